import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_ready, worker_shutdown

from .events import event
from .memory import started_objects_frozen

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoima.settings.base")

app = Celery("qoima")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _say_started(sender: Any = None, **kwargs: Any) -> None:
    event("worker %s started", getattr(sender, "hostname", "") or "")


def _started(**kwargs: Any) -> None:
    started_objects_frozen()


# The solo pool runs tasks in the worker's own process; a prefork pool's children each freeze
# their own once forked.
worker_ready.connect(_started)
worker_process_init.connect(_started)


@worker_shutdown.connect
def _say_stopped(sender: Any = None, **kwargs: Any) -> None:
    event("worker %s stopped", getattr(sender, "hostname", "") or "")
