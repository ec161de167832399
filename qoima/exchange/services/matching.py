"""The matcher's own bookkeeping (its matching steps are ``qoima.exchange.matching``)."""

from django.db import transaction
from django.utils import timezone

from ..models import MatcherHeartbeat


@transaction.atomic(durable=True)
def matcher_heartbeat_record(*, name: str, steps: int) -> MatcherHeartbeat:
    """Note that this matcher is going round its loop now, and how many steps it has run."""
    heartbeat, _ = MatcherHeartbeat.objects.update_or_create(
        name=name[:255], defaults={"seen_at": timezone.now(), "steps": steps}
    )
    return heartbeat
