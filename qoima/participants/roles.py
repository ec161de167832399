"""What each role may do, as Django permissions on the role's group."""

from .models import Role

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.ISSUER_STAFF: [
        "participants.view_organisation",
        "participants.view_permit",
    ],
    Role.HOLDER: [
        "participants.view_holderprofile",
    ],
    Role.COMPLIANCE_OFFICER: [
        "participants.view_organisation",
        "participants.view_permit",
        "participants.change_permit_status",
        "participants.view_holderprofile",
        "participants.verify_holder",
        "participants.verify_organisation",
        "audit.view_auditentry",
    ],
    Role.REGULATOR: [
        "participants.view_organisation",
        "participants.view_permit",
        "participants.view_holderprofile",
        "participants.view_user",
        "audit.view_auditentry",
        "audit.view_chaincheck",
    ],
    Role.PLATFORM_ADMIN: [
        "participants.view_user",
        "participants.add_user",
        "participants.change_user",
        "participants.view_organisation",
        "participants.view_permit",
        "participants.view_holderprofile",
        "audit.view_auditentry",
        "audit.view_chaincheck",
    ],
    # The treasury works on its own pages, checked by role; it needs nothing of the admin.
    Role.TREASURY_OFFICER: [],
}
