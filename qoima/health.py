"""The platform's health: the services it needs and whether its work moves.

One function, read by ``/health/`` (for load balancers and monitors) and the staff operations
page. Each service check waits at most HEALTH_CHECK_TIMEOUT_SECONDS; the chain figures are
indexed reads. Nothing personal is in it: counts, ages, block numbers and reason codes.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qoima.chain.client import ChainUnavailable, chain_head, web3_for
from qoima.chain.health import (
    INDEXER_STALLED,
    OPERATION_STALLED,
    WORKER_NEVER_HEARD,
    WORKER_SILENT,
    Stall,
    stall_status,
)
from qoima.exchange.health import MATCHER_NEVER_HEARD, MATCHER_SILENT

logger = logging.getLogger(__name__)

# Reason codes of a failing check (the operations page renders them as text).
UNAVAILABLE = "unavailable"
SEAL_OVERDUE = "seal_overdue"


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str = ""
    values: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"ok": self.ok, **(self.values or {})}
        if self.reason:
            answer["reason"] = self.reason
        return answer


@dataclass(frozen=True)
class Health:
    checks: dict[str, Check]
    stall: Stall | None

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, check in self.checks.items() if not check.ok]

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failing",
            "reasons": [f"{name}: {self.checks[name].reason}" for name in self.failing],
            "checks": {name: check.as_json() for name, check in self.checks.items()},
        }


def _database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any failure is the answer, never a 500
        logger.warning("health: the database did not answer: %s", error)
        return Check(ok=False, reason=UNAVAILABLE)
    return Check(ok=True)


def _broker() -> Check:
    from qoima import celery_app

    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    try:
        with celery_app.connection_for_write(connect_timeout=timeout) as broker:
            # One attempt, no retries: a load balancer asks again soon enough.
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as error:  # any failure is the answer, never a 500
        logger.warning("health: the broker did not answer: %s", error)
        return Check(ok=False, reason=UNAVAILABLE)
    return Check(ok=True)


def _node() -> tuple[Check, int | None]:
    w3 = web3_for(settings.CHAIN_RPC_URL, settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    try:
        head = chain_head(w3)
    except ChainUnavailable as error:
        logger.warning("health: the chain node did not answer: %s", error)
        return Check(ok=False, reason=UNAVAILABLE), None
    return Check(ok=True, values={"block": head.block_number}), head.block_number


def _audit_seal() -> Check:
    """The audit log's promise: an entry is sealed within AUDIT_MAX_SEAL_DELAY seconds."""
    from qoima.audit.services import audit_unsealed_age

    limit = settings.AUDIT_MAX_SEAL_DELAY
    try:
        age = audit_unsealed_age()
    except Exception as error:  # the database went away in between
        logger.warning("health: the audit log could not be read: %s", error)
        return Check(ok=False, reason=UNAVAILABLE)
    waited = None if age is None else int(age)
    values = {"age_seconds": waited, "limit_seconds": limit}
    if waited is not None and waited > limit:
        return Check(ok=False, reason=SEAL_OVERDUE, values=values)
    return Check(ok=True, values=values)


def _matcher() -> Check:
    """The exchange's matcher: heard from recently, once there is a market to match."""
    from qoima.exchange.health import matcher_status

    try:
        status = matcher_status()
    except Exception as error:  # the database went away in between
        logger.warning("health: the matcher's figures could not be read: %s", error)
        return Check(ok=False, reason=UNAVAILABLE)
    values = {
        "age_seconds": status.heartbeat_age,
        "limit_seconds": status.stale_seconds,
        "waiting_seconds": status.waiting_age,
        "markets": status.markets,
    }
    return Check(ok=not status.reason, reason=status.reason, values=values)


def _stall_checks(stall: Stall) -> dict[str, Check]:
    return {
        "worker_heartbeat": Check(
            ok=not stall.worker_reason,
            reason=stall.worker_reason,
            values={
                "age_seconds": stall.heartbeat_age,
                "limit_seconds": stall.heartbeat_stale_seconds,
            },
        ),
        "oldest_pending_operation": Check(
            ok=not stall.operation_reason,
            reason=stall.operation_reason,
            values={
                "age_seconds": stall.oldest_unfinished_age,
                "limit_seconds": stall.stall_seconds,
            },
        ),
        "indexer_lag": Check(
            ok=not stall.indexer_reason,
            reason=stall.indexer_reason,
            values={
                "blocks": stall.indexer_blocks_behind,
                "seconds": stall.indexer_seconds_behind,
                "limit_seconds": stall.stall_seconds,
            },
        ),
    }


def platform_health() -> Health:
    """Every check, each failing on its own without hiding the others."""
    checks = {"database": _database(), "broker": _broker()}
    checks["node"], head = _node()
    stall = None
    if checks["database"].ok:
        try:
            stall = stall_status(chain_id=settings.CHAIN_ID, head=head)
        except Exception as error:  # the database went away in between
            logger.warning("health: the chain figures could not be read: %s", error)
    if stall is None:
        for name in ("worker_heartbeat", "oldest_pending_operation", "indexer_lag"):
            checks[name] = Check(ok=False, reason=UNAVAILABLE)
    else:
        checks.update(_stall_checks(stall))
    checks["audit_seal"] = _audit_seal() if checks["database"].ok else Check(False, UNAVAILABLE)
    checks["matcher"] = _matcher() if checks["database"].ok else Check(False, UNAVAILABLE)
    return Health(checks=checks, stall=stall)


LABELS: dict[str, Promise] = {
    "database": _("Database"),
    "broker": _("Message broker"),
    "node": _("Chain node"),
    "worker_heartbeat": _("Workers"),
    "oldest_pending_operation": _("Oldest unfinished operation"),
    "indexer_lag": _("Indexer"),
    "audit_seal": _("Audit log sealing"),
    "matcher": _("Exchange matcher"),
}
TEXTS: dict[str, Promise] = {
    UNAVAILABLE: _("Does not answer."),
    WORKER_NEVER_HEARD: _("No worker has been heard from: nothing is sent to the chain."),
    WORKER_SILENT: _(
        "No worker heard from for %(age_seconds)s s (limit %(limit_seconds)s s): nothing is sent "
        "to the chain."
    ),
    OPERATION_STALLED: _(
        "Waiting for %(age_seconds)s s, longer than %(limit_seconds)s s: the work has stalled."
    ),
    SEAL_OVERDUE: _(
        "An audit entry has waited %(age_seconds)s s for its seal, longer than "
        "%(limit_seconds)s s: the sealer is not running."
    ),
    MATCHER_NEVER_HEARD: _("No matcher has been heard from: orders are not matched."),
    MATCHER_SILENT: _(
        "No matcher heard from for %(age_seconds)s s (limit %(limit_seconds)s s): orders are "
        "not matched."
    ),
    INDEXER_STALLED: _(
        "%(blocks)s blocks behind the node for %(seconds)s s, longer than %(limit_seconds)s s: "
        "the indexer has stalled."
    ),
}


@dataclass(frozen=True)
class Row:
    name: str
    label: Promise
    ok: bool
    text: str


def _text_when_ok(name: str, values: dict[str, Any]) -> str:
    if name == "node":
        return str(_("Answers at block %(block)s.") % values)
    if name == "worker_heartbeat":
        return str(_("Last heard from %(age_seconds)s s ago.") % values)
    if name == "oldest_pending_operation":
        if values["age_seconds"] is None:
            return str(_("No operation is waiting."))
        return str(_("Waiting for %(age_seconds)s s.") % values)
    if name == "indexer_lag":
        if values["blocks"] is None:
            return str(_("The indexer has not started, or the node's head is not known yet."))
        return str(_("%(blocks)s blocks behind the node.") % values)
    if name == "audit_seal":
        if values["age_seconds"] is None:
            return str(_("Every audit entry is sealed."))
        return str(_("The oldest unsealed audit entry has waited %(age_seconds)s s.") % values)
    if name == "matcher":
        if values["age_seconds"] is None:
            return str(_("No market is open yet."))
        if values["waiting_seconds"] is None:
            return str(_("Last heard from %(age_seconds)s s ago; no order is waiting.") % values)
        return str(
            _(
                "Last heard from %(age_seconds)s s ago; the oldest order waiting came "
                "%(waiting_seconds)s s ago."
            )
            % values
        )
    return str(_("Answers."))


def health_rows(health: Health) -> list[Row]:
    """The checks as a person reads them, in the current language."""
    rows = []
    for name, check in health.checks.items():
        values = check.values or {}
        if check.ok:
            text = _text_when_ok(name, values)
        else:
            template = TEXTS.get(check.reason, TEXTS[UNAVAILABLE])
            text = str(template % values) if values else str(template)
        rows.append(Row(name=name, label=LABELS[name], ok=check.ok, text=text))
    return rows
