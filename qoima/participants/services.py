import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from qoima import locks
from qoima.audit.services import audit_record
from qoima.chain.manager import operations_cancel
from qoima.custody.models import Wallet
from qoima.custody.services import holder_wallet_open, wallet_allowlist_set
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound

from .identifiers import parse_identification_number, validate_issuer_identification
from .models import HolderProfile, Organisation, Permit, Role, User
from .roles import ROLE_PERMISSIONS
from .selectors import user_role


def _invalid(error: ValidationError, field: str) -> InvalidInput:
    return InvalidInput(" ".join(error.messages), field=field, code=getattr(error, "code", ""))


def _require_role(actor: User, *roles: Role) -> None:
    if user_role(actor) not in roles:
        raise NotAllowed()


M = TypeVar("M", bound=Model)


def _locked(model: type[M], pk: int) -> M:
    try:
        return locks.lock_row(model, pk)
    except ObjectDoesNotExist:
        raise NotFound() from None


def roles_sync() -> None:
    """Create each role's group and give it exactly the role's permissions (idempotent)."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def permit_default_expiry(issued_on: datetime.date, *, years: int) -> datetime.date:
    try:
        return issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February
        return issued_on.replace(year=issued_on.year + years, day=28)


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise _invalid(error, "password") from None


def _user_build(*, username: str, email: str, password: str, role: Role, **extra: Any) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("This username is taken."), field="username")
    user = User(username=username, email=email, **extra)
    _check_password(password, user)
    user.set_password(password)
    user.is_staff = role == Role.PLATFORM_ADMIN
    user.save()
    user.groups.add(Group.objects.get(name=role.value))
    return user


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    email: str,
    password: str,
    role: Role,
    organisation: Organisation | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a staff or participant account with one role."""
    if actor is not None:
        _require_role(actor, Role.PLATFORM_ADMIN)
    if role == Role.ISSUER_STAFF and organisation is None:
        raise InvalidInput(_("Issuer staff must belong to an issuer organisation."))
    user = _user_build(
        username=username,
        email=email,
        password=password,
        role=role,
        organisation=organisation,
        first_name=first_name,
        last_name=last_name,
    )
    audit_record(actor=actor, action="user.created", obj=user, details={"role": role.value})
    return user


def _permit_build(
    *,
    organisation: Organisation,
    number: str,
    authority: str,
    issued_on: datetime.date,
    expires_on: datetime.date | None,
    years: int,
) -> Permit:
    expiry = expires_on or permit_default_expiry(issued_on, years=years)
    if expiry <= issued_on:
        raise InvalidInput(
            _("A permit must expire after the day it was issued."), field="expires_on"
        )
    if Permit.objects.filter(authority=authority, number=number).exists():
        raise InvalidInput(
            _("This authority has already issued a permit with this number."), field="number"
        )
    return Permit.objects.create(
        organisation=organisation,
        number=number,
        authority=authority,
        issued_on=issued_on,
        expires_on=expiry,
    )


@transaction.atomic
def organisation_register(
    *,
    kind: str,
    legal_name: str,
    identification_number: str,
    registered_address: str = "",
    permit_number: str,
    permit_authority: str,
    permit_issued_on: datetime.date,
    permit_expires_on: datetime.date | None = None,
    permit_term_years: int = 3,
    username: str,
    email: str,
    password: str,
) -> Organisation:
    """An issuer registers: the organisation, its permit and its first staff account."""
    if kind not in Organisation.Kind.values:
        raise InvalidInput(_("Choose a legal entity or an individual entrepreneur."), field="kind")
    try:
        validate_issuer_identification(kind, identification_number)
    except ValidationError as error:
        raise _invalid(error, "identification_number") from None
    if Organisation.objects.filter(identification_number=identification_number).exists():
        raise InvalidInput(
            _("An organisation with this BIN / IIN is already registered."),
            field="identification_number",
        )
    organisation = Organisation.objects.create(
        kind=kind,
        legal_name=legal_name,
        identification_number=identification_number,
        registered_address=registered_address,
    )
    permit = _permit_build(
        organisation=organisation,
        number=permit_number,
        authority=permit_authority,
        issued_on=permit_issued_on,
        expires_on=permit_expires_on,
        years=permit_term_years,
    )
    user = _user_build(
        username=username,
        email=email,
        password=password,
        role=Role.ISSUER_STAFF,
        organisation=organisation,
    )
    audit_record(
        actor=user,
        action="organisation.registered",
        obj=organisation,
        details={
            "kind": kind,
            "identification_number": identification_number,
            "permit": {"number": permit.number, "expires_on": permit.expires_on.isoformat()},
        },
    )
    return organisation


@transaction.atomic
def permit_add(
    *,
    actor: User,
    organisation: Organisation,
    number: str,
    authority: str,
    issued_on: datetime.date,
    expires_on: datetime.date | None = None,
    term_years: int = 3,
) -> Permit:
    """Record a new or renewed permit of an issuer (compliance, or the issuer's own staff)."""
    if user_role(actor) != Role.COMPLIANCE_OFFICER and actor.organisation_id != organisation.pk:
        raise NotAllowed()
    permit = _permit_build(
        organisation=organisation,
        number=number,
        authority=authority,
        issued_on=issued_on,
        expires_on=expires_on,
        years=term_years,
    )
    audit_record(
        actor=actor,
        action="permit.added",
        obj=permit,
        details={"organisation": organisation.pk, "expires_on": permit.expires_on.isoformat()},
    )
    return permit


PERMIT_TRANSITIONS: dict[str, set[str]] = {
    Permit.Status.ACTIVE: {Permit.Status.SUSPENDED, Permit.Status.REVOKED},
    Permit.Status.SUSPENDED: {Permit.Status.ACTIVE, Permit.Status.REVOKED},
    Permit.Status.REVOKED: set(),
}


@transaction.atomic
def permit_set_status(
    *, actor: User, permit_id: int, status: str, reason: str, document_ref: str
) -> Permit:
    """Suspend, revoke or reinstate a permit on the authority's decision."""
    _require_role(actor, Role.COMPLIANCE_OFFICER)
    if not reason.strip() or not document_ref.strip():
        raise InvalidInput(_("Give the reason and the reference of the authority's document."))
    permit = _locked(Permit, permit_id)
    if status not in PERMIT_TRANSITIONS[permit.status]:
        raise Conflict(
            _("A permit that is %(current)s cannot become %(new)s.")
            % {"current": permit.get_status_display(), "new": status}
        )
    previous = permit.status
    permit.status = status
    permit.status_reason = reason
    permit.status_document_ref = document_ref
    permit.status_changed_at = timezone.now()
    permit.status_changed_by = actor
    permit.save()
    audit_record(
        actor=actor,
        action=f"permit.{status}",
        obj=permit,
        details={"from": previous, "reason": reason, "document_ref": document_ref},
    )
    return permit


@transaction.atomic
def holder_register(
    *,
    username: str,
    email: str,
    password: str,
    kind: str,
    full_name: str,
    identification_number: str,
) -> HolderProfile:
    """A participant signs up as a holder; they may hold assets once compliance verifies them."""
    try:
        parsed = parse_identification_number(identification_number)
    except ValidationError as error:
        raise _invalid(error, "identification_number") from None
    expected = "iin" if kind == HolderProfile.Kind.INDIVIDUAL else "bin"
    if kind not in HolderProfile.Kind.values or parsed.kind != expected:
        raise InvalidInput(
            _("An individual is identified by an IIN and a legal entity by a BIN."),
            field="identification_number",
        )
    if HolderProfile.objects.filter(identification_number=identification_number).exists():
        raise InvalidInput(
            _("A holder with this IIN / BIN is already registered."), field="identification_number"
        )
    user = _user_build(username=username, email=email, password=password, role=Role.HOLDER)
    holder = HolderProfile.objects.create(
        user=user, kind=kind, full_name=full_name, identification_number=identification_number
    )
    audit_record(actor=user, action="holder.registered", obj=holder, details={"kind": kind})
    return holder


@transaction.atomic
def holder_verify(*, officer: User, holder_id: int, document_ref: str) -> HolderProfile:
    """Compliance verifies a holder's identity (or reinstates a suspended one)."""
    _require_role(officer, Role.COMPLIANCE_OFFICER)
    if not document_ref.strip():
        raise InvalidInput(_("Give the reference of the identity check."), field="document_ref")
    holder = _locked(HolderProfile, holder_id)
    if holder.verification_status == HolderProfile.Status.VERIFIED:
        raise Conflict(_("This holder is already verified."))
    if holder.user_id == officer.pk:
        raise NotAllowed(_("Nobody may verify themselves."))
    previous = holder.verification_status
    now = timezone.now()
    holder.verification_status = HolderProfile.Status.VERIFIED
    holder.verified_by = officer
    holder.verified_at = now
    holder.status_changed_at = now
    holder.status_reason = ""
    holder.save()
    audit_record(
        actor=officer,
        action="holder.verified",
        obj=holder,
        details={"from": previous, "document_ref": document_ref},
    )
    # A verified holder may hold: their wallet goes on the allowlist with the verification.
    wallet = holder_wallet_open(holder=holder, actor=officer)
    wallet_allowlist_set(
        wallet=wallet, allowed=True, event=f"verified-{now.isoformat()}", actor=officer
    )
    return holder


@transaction.atomic
def holder_suspend(*, officer: User, holder_id: int, reason: str) -> HolderProfile:
    _require_role(officer, Role.COMPLIANCE_OFFICER)
    if not reason.strip():
        raise InvalidInput(_("Give the reason for the suspension."), field="reason")
    holder = _locked(HolderProfile, holder_id)
    if holder.verification_status != HolderProfile.Status.VERIFIED:
        raise Conflict(_("Only a verified holder can be suspended."))
    holder.verification_status = HolderProfile.Status.SUSPENDED
    holder.status_reason = reason
    holder.status_changed_at = timezone.now()
    holder.save()
    # Nothing may reach or leave a suspended holder's wallet until they are verified again:
    # movements not yet sent are withdrawn (their balances released) and it leaves the
    # allowlist. The audit entries come last: the audit head is the last lock of a
    # transaction, after the balance rows a concurrent transfer request takes first.
    wallets = list(Wallet.objects.filter(holder=holder))
    with translation.override("en"):
        withdrawn = operations_cancel(
            addresses=[wallet.address for wallet in wallets],
            reason=str(_("The holder was suspended before the movement was sent.")),
        )
    audit_record(actor=officer, action="holder.suspended", obj=holder, details={"reason": reason})
    for wallet in wallets:
        wallet_allowlist_set(
            wallet=wallet,
            allowed=False,
            event=f"suspended-{holder.status_changed_at.isoformat()}",
            actor=officer,
        )
    if withdrawn:
        audit_record(
            actor=officer,
            action="holder.movements_withdrawn",
            obj=holder,
            details={"operations": [op.pk for op in withdrawn]},
        )
    return holder


@transaction.atomic
def api_token_issue(*, user: User) -> str:
    """A new API token for the user, replacing any earlier one; the key is shown only now."""
    from rest_framework.authtoken.models import Token

    replaced = Token.objects.filter(user=user).delete()[0] > 0
    token = Token.objects.create(user=user)
    audit_record(
        actor=user, action="user.api_token_issued", obj=user, details={"replaced": replaced}
    )
    return str(token.key)
