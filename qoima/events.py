"""Notable events: one short line each, for the person watching ``make run``.

The platform names what is worth a line (a mail sent, an operation confirmed in a block, a
worker started) through the ``qoima.events`` logger; an error logged anywhere in the platform
counts too. When ``EVENTS_LOG_FILE`` is set, every process appends those lines, already
worded, to that one file, and ``runplatform`` prints them as they come; everything else each
process logs stays in its own log under ``var/log/``.

Only the standard library is imported here: the settings build their ``LOGGING`` with it.
"""

import datetime
import logging
import zoneinfo
from typing import Any

EVENTS_LOGGER = "qoima.events"
# The platform's own loggers: an error from any of them is worth a line.
PLATFORM_LOGGERS = ("qoima", "issuance", "registry")

logger = logging.getLogger(EVENTS_LOGGER)


def event(message: str, *args: object) -> None:
    """Say ``message % args`` in one line (English: the console is an operator's)."""
    logger.info(message, *args)


class Notable(logging.Filter):
    """Passes the events and the platform's errors; the rest is for the raw logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == EVENTS_LOGGER or record.name.startswith(EVENTS_LOGGER + "."):
            return record.levelno >= logging.INFO
        return record.levelno >= logging.ERROR


class RefusalsWithoutTrace(logging.Filter):
    """A refused request (4xx: a 403, a 404, a throttled one) is one line, not a traceback: it
    says nothing about the platform's health, and repeated by the thousand (an attack) it would
    bury what does. Django logs them under ``django.request`` with the exception attached."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class Clock(logging.Formatter):
    """``HH:MM message`` in the platform's time zone, one line whatever the message holds."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        from django.conf import settings

        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        return datetime.datetime.fromtimestamp(record.created, zone).strftime(datefmt or "%H:%M")

    def format(self, record: logging.LogRecord) -> str:
        lines = record.getMessage().strip().splitlines() or [""]
        text = lines[0]
        if record.name != EVENTS_LOGGER and record.levelno >= logging.ERROR:
            # The traceback, if any, is in the process's own log.
            text = f"error in {record.name}: {text}"
        return f"{self.formatTime(record)} {text}"


def logging_config(
    *, level: str = "INFO", events_file: str | None = None, raw_file: str | None = None
) -> dict[str, Any]:
    """The ``LOGGING`` of a platform process: everything to stderr (or to ``raw_file``), and,
    with ``events_file``, the notable lines appended there as well."""
    raw: dict[str, Any] = (
        {"class": "logging.FileHandler", "filename": raw_file, "encoding": "utf-8"}
        if raw_file
        else {"class": "logging.StreamHandler"}
    )
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"refusals": {"()": RefusalsWithoutTrace}},
        "handlers": {"console": {**raw, "filters": ["refusals"]}},
        "root": {"handlers": ["console"], "level": level},
        # django-axes says at INFO each failed sign-in it counts; lockouts are WARNING, and
        # each is in the audit log.
        "loggers": {"axes": {"level": "WARNING"}},
    }
    if events_file:
        config["filters"]["notable"] = {"()": Notable}
        config["formatters"] = {"clock": {"()": Clock}}
        config["handlers"]["events"] = {
            "class": "logging.FileHandler",
            "filename": events_file,
            "encoding": "utf-8",
            "filters": ["refusals", "notable"],
            "formatter": "clock",
        }
        # On the platform's loggers rather than the root: a Celery worker replaces the root's
        # handlers with its own when it starts.
        config["loggers"].update({name: {"handlers": ["events"]} for name in PLATFORM_LOGGERS})
        # Events are said at INFO whatever LOG_LEVEL quietens elsewhere.
        config["loggers"][EVENTS_LOGGER] = {"level": "INFO"}
    return config
