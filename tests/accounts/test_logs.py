"""What the platform writes to its logs about requests: no personal data in the access log,
no traceback for a refused request."""

import datetime
import io
import logging
import logging.config
from types import SimpleNamespace

import pytest
from django.test import Client
from gunicorn.config import Config
from gunicorn.glogging import Logger

from qoima import gunicorn_conf
from qoima.events import logging_config
from qoima.participants.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

IIN = "791028302728"


def test_the_access_log_has_no_query_referrer_or_browser():
    config = Config()
    config.set("access_log_format", gunicorn_conf.access_log_format)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/registry/holders/?q={IIN}",
        "PATH_INFO": "/registry/holders/",
        "QUERY_STRING": f"q={IIN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": "https://qoima.kz/registry/?name=Нурланова",
        "HTTP_USER_AGENT": "Browser/1.0",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    atoms = Logger(config).atoms(response, [], environ, datetime.timedelta(milliseconds=12))
    line = config.access_log_format % atoms
    assert "GET /registry/holders/ HTTP/1.1" in line
    assert " 200 512 12ms" in line
    for personal in (IIN, "Нурланова", "Browser/1.0"):
        assert personal not in line


def _console(stream: io.StringIO) -> logging.Handler:
    """The platform's console handler (with its filters), writing to ``stream``."""
    config = logging_config(level="WARNING")
    config["handlers"]["console"] = {
        **config["handlers"]["console"],
        "class": "logging.StreamHandler",
        "stream": stream,
    }
    config["root"] = {"handlers": [], "level": "WARNING"}
    config["loggers"] = {
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False}
    }
    logging.config.dictConfig(config)
    return logging.getLogger("django.request").handlers[0]


def test_a_refused_request_is_one_line_without_a_traceback(settings):
    stream = io.StringIO()
    before = (
        logging.getLogger("django.request").handlers[:],
        logging.getLogger("django.request").propagate,
    )
    try:
        _console(stream)
        holder = Client()
        holder.force_login(make_user(Role.HOLDER))
        assert holder.get("/registry/").status_code == 403
    finally:
        logger = logging.getLogger("django.request")
        logger.handlers[:], logger.propagate = before
    written = stream.getvalue()
    assert "Forbidden" in written
    assert "Traceback" not in written
    assert "PermissionDenied" not in written
