"""Whether the exchange's orders are being matched: the matchers' last heartbeat and the
oldest received order or change still waiting. Read by qoima/health.py."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from .models import Market, MatcherHeartbeat, Order, OrderChange

MATCHER_NEVER_HEARD = "matcher_never_heard"
MATCHER_SILENT = "matcher_silent"


@dataclass(frozen=True)
class MatcherStatus:
    now: datetime
    markets: bool
    last_heartbeat: datetime | None
    oldest_waiting: datetime | None
    stale_seconds: int

    @property
    def heartbeat_age(self) -> int | None:
        if self.last_heartbeat is None:
            return None
        return max(0, int((self.now - self.last_heartbeat).total_seconds()))

    @property
    def waiting_age(self) -> int | None:
        if self.oldest_waiting is None:
            return None
        return max(0, int((self.now - self.oldest_waiting).total_seconds()))

    @property
    def reason(self) -> str:
        """Nothing is wrong while there is no market to match; then a matcher must be heard."""
        if not self.markets:
            return ""
        if self.last_heartbeat is None:
            return MATCHER_NEVER_HEARD
        age = self.heartbeat_age
        return MATCHER_SILENT if age is not None and age > self.stale_seconds else ""


def matcher_status() -> MatcherStatus:
    received = [
        Order.objects.filter(state=Order.State.RECEIVED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first(),
        OrderChange.objects.filter(state=OrderChange.State.RECEIVED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first(),
    ]
    waiting = [at for at in received if at is not None]
    return MatcherStatus(
        now=timezone.now(),
        markets=Market.objects.exists(),
        last_heartbeat=MatcherHeartbeat.objects.order_by("-seen_at")
        .values_list("seen_at", flat=True)
        .first(),
        oldest_waiting=min(waiting) if waiting else None,
        stale_seconds=settings.MATCHER_HEARTBEAT_STALE_SECONDS,
    )
