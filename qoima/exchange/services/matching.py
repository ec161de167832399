"""The matcher's own bookkeeping (its matching steps are ``qoima.exchange.matching``)."""

from django.utils import timezone

from qoima.transactions import use_case

from ..models import MatcherHeartbeat


@use_case
def matcher_heartbeat_record(*, name: str, steps: int) -> MatcherHeartbeat:
    """Note that this matcher is going round its loop now, and how many steps it has run.

    One statement (insert, or update the row of that name): it runs between steps, so it
    costs the matcher one round trip rather than a transaction's four.
    """
    heartbeat = MatcherHeartbeat(name=name[:255], seen_at=timezone.now(), steps=steps)
    MatcherHeartbeat.objects.bulk_create(
        [heartbeat],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["seen_at", "steps"],
    )
    return heartbeat
