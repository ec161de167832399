"""The session engine (``SESSION_ENGINE``): Django's database sessions in ``AccountSession``,
each row carrying its owner and what the owner's list of sessions shows."""

import datetime
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.utils import timezone

from .models import AccountSession

# Keys of the session's data that the policy middleware writes (qoima.accounts.policy).
STARTED = "_qoima_started"
SEEN = "_qoima_seen"
ADDRESS = "_qoima_address"
AGENT = "_qoima_agent"


def _moment(value: Any) -> datetime.datetime | None:
    if not isinstance(value, int | float):
        return None
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls) -> type[AccountSession]:
        return AccountSession

    def create_model_instance(self, data: dict[str, Any]) -> AccountSession:
        instance = super().create_model_instance(data)
        assert isinstance(instance, AccountSession)
        try:
            instance.user_id = int(data.get("_auth_user_id") or 0) or None
        except (TypeError, ValueError):
            instance.user_id = None
        instance.address = data.get(ADDRESS) or None
        instance.user_agent = str(data.get(AGENT) or "")[:300]
        instance.started_at = _moment(data.get(STARTED))
        instance.last_seen_at = _moment(data.get(SEEN)) or timezone.now()
        return instance
