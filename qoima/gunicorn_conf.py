"""How gunicorn serves the platform, wherever it runs it (the image, compose, ``runplatform`` and
the bench): ``gunicorn -c python:qoima.gunicorn_conf qoima.wsgi:application``. Each place adds
only its address; flags on the command line win over these.

Threaded workers: a request spends much of its time waiting on PostgreSQL (an order is
acknowledged only once its transaction commits), and threads of one process fill those waits
at a fraction of a process's memory. They also keep a client's connection open between
requests, which sync workers close after every answer (an API client reconnected for each
order). One process per core, so the interpreter lock is never what makes a request wait.
Each thread keeps its own database connection (CONN_MAX_AGE in production), so the database
sees ``WEB_CONCURRENCY`` × ``WEB_THREADS`` connections from the web service.
"""

import os
from typing import Any

from qoima.memory import started_objects_frozen

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
accesslog = "-"
# The path without its query string, and no referrer or browser: queries carry what people
# search for (an IIN, a name), and referrers other pages' queries. Personal data stays out of
# the access log.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker: Any) -> None:
    """Each worker, once the application is loaded (see ``qoima.memory``)."""
    started_objects_frozen()
