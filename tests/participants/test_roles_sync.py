"""Role groups are kept to the platform's definition; a drift put right is in the audit log."""

import pytest
from django.contrib.auth.models import Group, Permission

from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.participants.models import Role
from qoima.participants.roles import ROLE_PERMISSIONS
from qoima.participants.services import roles_sync

pytestmark = pytest.mark.django_db


def test_a_role_whose_permissions_drifted_is_put_right_and_recorded():
    group = Group.objects.get(name=Role.REGULATOR.value)
    kept = sorted(ROLE_PERMISSIONS[Role.REGULATOR])
    app_label, codename = kept[0].split(".")
    group.permissions.remove(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    group.permissions.add(Permission.objects.get(codename="delete_user"))

    roles_sync()

    entry = AuditEntry.objects.get(action=AuditAction.ROLE_PERMISSIONS_SYNCED)
    assert (entry.object_type, entry.object_id) == ("auth.group", str(group.pk))
    assert entry.details == {
        "role": Role.REGULATOR.value,
        "added": [kept[0]],
        "removed": ["participants.delete_user"],
    }
    assert sorted(
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()
    ) == sorted(ROLE_PERMISSIONS[Role.REGULATOR])
    # In line again: nothing more to record.
    roles_sync()
    assert AuditEntry.objects.filter(action=AuditAction.ROLE_PERMISSIONS_SYNCED).count() == 1
