"""Daily volumes per token, from confirmed transfers: what charts and daily reports read.

Recomputed from the last stored day on (and the day before it, whose last transfers may have
been confirmed since), so a periodic run costs the rows of a day or two, and a rollback of
recent blocks is reflected at the next run.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .contracts import ZERO_ADDRESS
from .fields import Uint256Sum
from .models import DailyVolume, EventBlock, IndexerCursor, TokenTransfer


@transaction.atomic(durable=True)
def daily_volumes_refresh(*, chain_id: int | None = None) -> int:
    """Recompute the days from the day before the last one stored; returns the days written."""
    chain_id = chain_id or settings.CHAIN_ID
    cursor = IndexerCursor.objects.filter(chain_id=chain_id).first()
    if cursor is None:
        return 0
    last = DailyVolume.objects.filter(chain_id=chain_id).aggregate(day=Max("day"))["day"]
    zone = timezone.get_default_timezone()
    blocks = EventBlock.objects.filter(chain_id=chain_id, number__lte=cursor.applied_block)
    stale = DailyVolume.objects.filter(chain_id=chain_id)
    if last is not None:
        since = last - datetime.timedelta(days=1)
        start = datetime.datetime.combine(since, datetime.time.min, tzinfo=zone)
        blocks = blocks.filter(timestamp__gte=start)
        stale = stale.filter(day__gte=since)
    days = (
        blocks.annotate(day=TruncDate("timestamp", tzinfo=zone))
        .order_by()
        .values("day")
        .annotate(first=Min("number"), last=Max("number"))
        .order_by("day")
    )
    moved = ~Q(sender=ZERO_ADDRESS) & ~Q(receiver=ZERO_ADDRESS)
    rows = []
    for day in days:
        per_token = (
            TokenTransfer.objects.filter(
                chain_id=chain_id,
                applied=True,
                block_number__gte=day["first"],
                block_number__lte=day["last"],
            )
            .order_by()
            .values("token_address")
            .annotate(
                minted=Uint256Sum("amount", filter=Q(sender=ZERO_ADDRESS), default=0),
                burned=Uint256Sum("amount", filter=Q(receiver=ZERO_ADDRESS), default=0),
                transferred=Uint256Sum("amount", filter=moved, default=0),
                transfers=Count("pk", filter=moved),
            )
        )
        rows += [DailyVolume(chain_id=chain_id, day=day["day"], **totals) for totals in per_token]
    stale.delete()
    DailyVolume.objects.bulk_create(rows)
    return len({row.day for row in rows})
