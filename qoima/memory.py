"""What a long-running process loaded to start is put out of the cycle collector's reach.

A web worker, a Celery worker and the matcher import Django, the models, web3 and the contracts'
interfaces before their first request, task or step: some hundred and seventy thousand objects
that live as long as the process. Python's cycle collector walks every one of them at each full
collection, and the allocations of a busy process (rows, model instances, notices) start one
every few seconds: a tenth of a second each, more when the cores are shared, which a matcher's
step or a request waiting behind it feels as a stall. Frozen once started, they are skipped;
what the process creates afterwards is collected as before.

Only the standard library is imported here: the gunicorn configuration calls it.
"""

import gc


def started_objects_frozen() -> None:
    """Collect what starting left as garbage, then freeze everything still alive."""
    gc.collect()
    gc.freeze()
