import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from issuance.documents import document_store
from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.manager import operations_cancel
from qoima.custody.models import Wallet
from qoima.custody.services import (
    holder_wallet_open_in_transaction,
    wallet_allowlist_set_in_transaction,
)
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound
from qoima.exchange.services.orders import orders_cancel_for_holder_in_transaction
from qoima.text import text_optional, text_required

from .access import PERMIT_TRANSITIONS
from .identifiers import parse_identification_number, validate_issuer_identification
from .models import HolderProfile, Organisation, Permit, Role, User
from .roles import ROLE_PERMISSIONS
from .selectors import user_role

# The action recorded when a permit takes each status.
PERMIT_STATUS_ACTIONS: dict[str, AuditAction] = {
    Permit.Status.PENDING: AuditAction.PERMIT_PENDING,
    Permit.Status.REFUSED: AuditAction.PERMIT_REFUSED,
    Permit.Status.ACTIVE: AuditAction.PERMIT_ACTIVE,
    Permit.Status.SUSPENDED: AuditAction.PERMIT_SUSPENDED,
    Permit.Status.REVOKED: AuditAction.PERMIT_REVOKED,
}


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


@transaction.atomic
def roles_sync() -> None:
    """Create each role's group and give it exactly the role's permissions (idempotent).

    A group that existed and had other permissions is recorded in the audit log with what was
    added and taken away (a new group is part of setting the platform up).
    """
    for role, codenames in ROLE_PERMISSIONS.items():
        group, created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        had = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        group.permissions.set(wanted)
        now = set(codenames)
        if not created and had != now:
            audit_record(
                actor=None,
                action=AuditAction.ROLE_PERMISSIONS_SYNCED,
                obj=group,
                details={
                    "role": role.value,
                    "added": sorted(now - had),
                    "removed": sorted(had - now),
                },
            )


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
    # The password policy reads the role (staff need longer ones) before the group is given.
    user._qoima_role = role  # type: ignore[attr-defined]
    _check_password(password, user)
    user.set_password(password)
    user.is_staff = role == Role.PLATFORM_ADMIN
    user.save()
    user.groups.add(Group.objects.get(name=role.value))
    return user


@transaction.atomic(durable=True)
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
    audit_record(
        actor=actor, action=AuditAction.USER_CREATED, obj=user, details={"role": role.value}
    )
    return user


@transaction.atomic(durable=True)
def user_password_set(*, actor: User | None, user: User, password: str) -> User:
    """Set an account's password (its owner, or the operator's setpassword command)."""
    if actor is not None and actor.pk != user.pk:
        raise NotAllowed(_("Only the owner of an account sets its password."))
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action=AuditAction.USER_PASSWORD_SET, obj=user, details={})
    return user


def _permit_dates(
    issued_on: datetime.date, expires_on: datetime.date | None, *, prefix: str
) -> tuple[datetime.date, datetime.date]:
    """The permit's term, refused unless plausible: issued between the law's entry into force
    (or the configured earliest day) and today, expiring after it within the longest term."""
    earliest: datetime.date = settings.PERMIT_EARLIEST_ISSUE_DATE
    if issued_on > timezone.localdate():
        raise InvalidInput(
            _("A permit cannot be issued in the future."), field=f"{prefix}issued_on"
        )
    if issued_on < earliest:
        raise InvalidInput(
            _("A permit cannot be issued before %(date)s.") % {"date": date_format(earliest)},
            field=f"{prefix}issued_on",
        )
    years = settings.PERMIT_MAX_TERM_YEARS
    expiry = expires_on or permit_default_expiry(
        issued_on, years=min(settings.PERMIT_DEFAULT_TERM_YEARS, years)
    )
    if expiry <= issued_on:
        raise InvalidInput(
            _("A permit must expire after the day it was issued."), field=f"{prefix}expires_on"
        )
    if expiry > permit_default_expiry(issued_on, years=years):
        raise InvalidInput(
            _("A permit runs for at most %(years)d years from the day it was issued.")
            % {"years": years},
            field=f"{prefix}expires_on",
        )
    return issued_on, expiry


def _permit_document(upload: UploadedFile, field: str) -> dict[str, str]:
    try:
        stored = document_store(upload)
    except InvalidInput as error:
        raise InvalidInput(error.message, field=field, code=error.code) from None
    return {
        "document": stored.name,
        "document_sha256": stored.sha256,
        "document_content_type": stored.content_type,
        "document_original_name": (upload.name or "")[:255],
    }


def _permit_build(
    *,
    organisation: Organisation,
    number: str,
    authority: str,
    issued_on: datetime.date,
    expires_on: datetime.date | None,
    document: UploadedFile,
    field_prefix: str = "",
) -> Permit:
    """A new permit, pending verification: what the issuer states, with the document."""
    number = text_required(
        number,
        field=f"{field_prefix}number",
        message=_("Give the permit's number."),
        max_length=64,
    )
    authority = text_required(
        authority,
        field=f"{field_prefix}authority",
        message=_("Give the authority that issued the permit."),
        max_length=255,
    )
    issued_on, expiry = _permit_dates(issued_on, expires_on, prefix=field_prefix)
    taken = (
        Permit.objects.filter(authority__iexact=authority, number__iexact=number)
        .exclude(status=Permit.Status.REFUSED)
        .exists()
    )
    if taken:
        raise InvalidInput(
            _("This authority has already issued a permit with this number."),
            field=f"{field_prefix}number",
        )
    return Permit.objects.create(
        organisation=organisation,
        number=number,
        authority=authority,
        issued_on=issued_on,
        expires_on=expiry,
        status=Permit.Status.PENDING,
        **_permit_document(document, f"{field_prefix}document"),
    )


@transaction.atomic(durable=True)
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
    permit_document: UploadedFile,
    username: str,
    email: str,
    password: str,
) -> Organisation:
    """An issuer registers: the organisation, its permit (pending until compliance verifies it
    against the document) and its first staff account."""
    if kind not in Organisation.Kind.values:
        raise InvalidInput(_("Choose a legal entity or an individual entrepreneur."), field="kind")
    legal_name = text_required(
        legal_name,
        field="legal_name",
        message=_("Give the organisation's legal name."),
        max_length=255,
    )
    registered_address = text_optional(registered_address, multiline=True)
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
        document=permit_document,
        field_prefix="permit_",
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
        action=AuditAction.ORGANISATION_REGISTERED,
        obj=organisation,
        details={
            "kind": kind,
            "identification_number": identification_number,
            "permit": {
                "number": permit.number,
                "expires_on": permit.expires_on.isoformat(),
                "document_sha256": permit.document_sha256,
            },
        },
    )
    return organisation


@transaction.atomic(durable=True)
def permit_add(
    *,
    actor: User,
    organisation: Organisation,
    number: str,
    authority: str,
    issued_on: datetime.date,
    expires_on: datetime.date | None = None,
    document: UploadedFile,
) -> Permit:
    """Record a new or renewed permit of an issuer (compliance, or the issuer's own staff); it
    counts once a compliance officer has verified it."""
    if user_role(actor) != Role.COMPLIANCE_OFFICER and actor.organisation_id != organisation.pk:
        raise NotAllowed()
    permit = _permit_build(
        organisation=organisation,
        number=number,
        authority=authority,
        issued_on=issued_on,
        expires_on=expires_on,
        document=document,
    )
    audit_record(
        actor=actor,
        action=AuditAction.PERMIT_ADDED,
        obj=permit,
        details={
            "organisation": organisation.pk,
            "expires_on": permit.expires_on.isoformat(),
            "document_sha256": permit.document_sha256,
        },
    )
    return permit


@transaction.atomic(durable=True)
def permit_verify(
    *, officer: User, permit_id: int, document_ref: str, document: UploadedFile | None = None
) -> Permit:
    """Compliance checked the permit against its document (and the authority's register): from
    now on it counts. A permit recorded without a document gets the one the officer checked."""
    _require_role(officer, Role.COMPLIANCE_OFFICER)
    if not document_ref.strip():
        raise InvalidInput(
            _("Give the reference of the check against the authority's register."),
            field="document_ref",
        )
    permit = _locked(Permit, permit_id)
    if permit.status != Permit.Status.PENDING:
        raise Conflict(
            _("Only a permit pending verification can be verified; this one is %(status)s.")
            % {"status": permit.get_status_display()}
        )
    if document is not None:
        if permit.document_sha256:
            raise InvalidInput(
                _("This permit already has its document; verify it against that one."),
                field="document",
            )
        for field, value in _permit_document(document, "document").items():
            setattr(permit, field, value)
    if not permit.document_sha256:
        raise InvalidInput(
            _("A permit is verified against its document: upload the permit document."),
            field="document",
        )
    now = timezone.now()
    permit.status = Permit.Status.ACTIVE
    permit.verified_by, permit.verified_at = officer, now
    permit.status_changed_by, permit.status_changed_at = officer, now
    permit.status_reason, permit.status_document_ref = "", document_ref
    permit.save()
    audit_record(
        actor=officer,
        action=AuditAction.PERMIT_VERIFIED,
        obj=permit,
        details={"document_sha256": permit.document_sha256, "document_ref": document_ref},
    )
    return permit


@transaction.atomic(durable=True)
def permit_refuse(*, officer: User, permit_id: int, reason: str) -> Permit:
    """Compliance refuses a permit that does not match its document or the authority's
    register; the number is free again for a correct record."""
    _require_role(officer, Role.COMPLIANCE_OFFICER)
    if not reason.strip():
        raise InvalidInput(_("Give the reason for the refusal."), field="reason")
    permit = _locked(Permit, permit_id)
    if permit.status != Permit.Status.PENDING:
        raise Conflict(
            _("Only a permit pending verification can be refused; this one is %(status)s.")
            % {"status": permit.get_status_display()}
        )
    permit.status = Permit.Status.REFUSED
    permit.status_reason = reason
    permit.status_changed_by, permit.status_changed_at = officer, timezone.now()
    permit.save()
    audit_record(
        actor=officer, action=AuditAction.PERMIT_REFUSED, obj=permit, details={"reason": reason}
    )
    return permit


# Authority decisions on a verified permit; verification itself is permit_verify/permit_refuse.
@transaction.atomic(durable=True)
def permit_set_status(
    *, actor: User, permit_id: int, status: str, reason: str, document_ref: str
) -> Permit:
    """Suspend, revoke or reinstate a permit on the authority's decision."""
    _require_role(actor, Role.COMPLIANCE_OFFICER)
    needed = _("Give the reason and the reference of the authority's document.")
    reason = text_required(reason, field="reason", message=needed, multiline=True)
    document_ref = text_required(document_ref, field="document_ref", message=needed)
    permit = _locked(Permit, permit_id)
    if status not in PERMIT_TRANSITIONS[permit.status]:
        raise Conflict(
            _("A permit that is %(current)s cannot become %(new)s.")
            % {
                "current": permit.get_status_display(),
                "new": Permit.Status(status).label if status in Permit.Status.values else status,
            }
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
        action=PERMIT_STATUS_ACTIONS[status],
        obj=permit,
        details={"from": previous, "reason": reason, "document_ref": document_ref},
    )
    return permit


@transaction.atomic(durable=True)
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
    full_name = text_required(
        full_name,
        field="full_name",
        message=_("Give the holder's full or legal name."),
        max_length=255,
    )
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
    audit_record(
        actor=user, action=AuditAction.HOLDER_REGISTERED, obj=holder, details={"kind": kind}
    )
    return holder


@transaction.atomic(durable=True)
def holder_verify(*, officer: User, holder_id: int, document_ref: str) -> HolderProfile:
    """Compliance verifies a holder's identity (or reinstates a suspended one)."""
    _require_role(officer, Role.COMPLIANCE_OFFICER)
    document_ref = text_required(
        document_ref,
        field="document_ref",
        message=_("Give the reference of the identity check."),
        max_length=255,
    )
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
        action=AuditAction.HOLDER_VERIFIED,
        obj=holder,
        details={"from": previous, "document_ref": document_ref},
    )
    # A verified holder may hold: their wallet goes on the allowlist with the verification.
    wallet = holder_wallet_open_in_transaction(holder=holder, actor=officer)
    wallet_allowlist_set_in_transaction(
        wallet=wallet, allowed=True, event=f"verified-{now.isoformat()}", actor=officer
    )
    return holder


@transaction.atomic(durable=True)
def holder_suspend(*, officer: User, holder_id: int, reason: str) -> HolderProfile:
    _require_role(officer, Role.COMPLIANCE_OFFICER)
    reason = text_required(
        reason,
        field="reason",
        message=_("Give the reason for the suspension."),
        multiline=True,
    )
    holder = _locked(HolderProfile, holder_id)
    if holder.verification_status != HolderProfile.Status.VERIFIED:
        raise Conflict(_("Only a verified holder can be suspended."))
    holder.verification_status = HolderProfile.Status.SUSPENDED
    holder.status_reason = reason
    holder.status_changed_at = timezone.now()
    holder.save()
    # Its open orders leave the book: the matcher carries out each cancellation in its turn
    # and releases the cash and units they hold. Orders are business rows, locked before any
    # operation (qoima/locks.py).
    orders_cancel_for_holder_in_transaction(holder=holder, reason="holder_suspended", actor=officer)
    # Nothing may reach or leave a suspended holder's wallet until they are verified again:
    # movements not yet sent are withdrawn (their balances released) and it leaves the
    # allowlist.
    wallets = list(Wallet.objects.filter(holder=holder))
    withdrawn = operations_cancel(
        addresses=[wallet.address for wallet in wallets], code="HolderSuspended"
    )
    audit_record(
        actor=officer, action=AuditAction.HOLDER_SUSPENDED, obj=holder, details={"reason": reason}
    )
    for wallet in wallets:
        wallet_allowlist_set_in_transaction(
            wallet=wallet,
            allowed=False,
            event=f"suspended-{holder.status_changed_at.isoformat()}",
            actor=officer,
        )
    if withdrawn:
        audit_record(
            actor=officer,
            action=AuditAction.HOLDER_MOVEMENTS_WITHDRAWN,
            obj=holder,
            details={"operations": [op.pk for op in withdrawn]},
        )
    return holder


@transaction.atomic(durable=True)
def user_language_remember(*, user: User, language: str) -> None:
    """Keep the language the user signed in with as theirs: mails to them are written in it."""
    code = (language or "").split("-")[0]
    if code not in dict(settings.LANGUAGES) or user.preferred_language == code:
        return
    previous = user.preferred_language
    User.objects.filter(pk=user.pk).update(preferred_language=code)
    user.preferred_language = code
    audit_record(
        actor=user,
        action=AuditAction.USER_LANGUAGE_CHANGED,
        obj=user,
        details={"from": previous, "to": code},
    )


# ------------------------------------------------------------------------------ organisations

# What compliance confirms before an issuer organisation counts.
ORGANISATION_CHECKS = ("registration", "owners", "signatory")


def _owners(text: str) -> list[dict[str, str]]:
    """Beneficial owners as the issuer lists them, one a line: name; IIN or BIN; share in %."""
    owners: list[dict[str, str]] = []
    for number, line in enumerate(text_optional(text, multiline=True).splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        try:
            name, identification, share = parts
            parse_identification_number(identification)
            percent = Decimal(share.replace(",", ".").rstrip("%").strip())
        except (ValueError, ValidationError, InvalidOperation):
            percent = Decimal(-1)
        if percent <= 0 or percent > 100 or not name:
            raise InvalidInput(
                _(
                    "Line %(line)s: write each owner as name; IIN or BIN; share in %% "
                    "(for example: Асанов Ерлан; 791028302728; 60)."
                )
                % {"line": number},
                field="beneficial_owners",
            )
        owners.append(
            {"name": name, "identification_number": identification, "share": str(percent)}
        )
    if not owners:
        raise InvalidInput(_("List the beneficial owners."), field="beneficial_owners")
    if sum(Decimal(owner["share"]) for owner in owners) > 100:
        raise InvalidInput(
            _("The owners' shares add up to more than 100 %."), field="beneficial_owners"
        )
    return owners


@transaction.atomic(durable=True)
def organisation_verification_submit(
    *,
    actor: User,
    registration_document: UploadedFile | None,
    beneficial_owners: str,
    signatory_name: str,
    signatory_position: str,
    authority_document: UploadedFile | None,
) -> Organisation:
    """The issuer's staff hand in what compliance checks: the state registration document, the
    beneficial owners, the signatory and the document of their authority."""
    if user_role(actor) != Role.ISSUER_STAFF or actor.organisation_id is None:
        raise NotAllowed()
    organisation = _locked(Organisation, actor.organisation_id)
    if organisation.verification_status == Organisation.Verification.VERIFIED:
        raise Conflict(_("The organisation is verified already."))
    owners = _owners(beneficial_owners)
    name = text_required(
        signatory_name,
        field="signatory_name",
        message=_("Give the signatory's name."),
        max_length=255,
    )
    position = text_required(
        signatory_position,
        field="signatory_position",
        message=_("Give the signatory's position."),
        max_length=255,
    )
    stored = {}
    for field, upload in (
        ("registration_document", registration_document),
        ("authority_document", authority_document),
    ):
        if upload is None:
            raise InvalidInput(_("Upload the document (PDF, PNG or JPEG)."), field=field)
        try:
            stored[field] = document_store(upload)
        except InvalidInput as error:
            raise InvalidInput(error.message, field=field, code=error.code) from None
    organisation.beneficial_owners = owners
    organisation.signatory_name, organisation.signatory_position = name, position
    organisation.registration_document = stored["registration_document"].name
    organisation.registration_sha256 = stored["registration_document"].sha256
    organisation.authority_document = stored["authority_document"].name
    organisation.authority_sha256 = stored["authority_document"].sha256
    organisation.verification_status = Organisation.Verification.PENDING
    organisation.verification_submitted_at = timezone.now()
    organisation.save()
    audit_record(
        actor=actor,
        action=AuditAction.ORGANISATION_VERIFICATION_SUBMITTED,
        obj=organisation,
        details={
            "beneficial_owners": owners,
            "signatory_name": name,
            "registration_sha256": organisation.registration_sha256,
            "authority_sha256": organisation.authority_sha256,
        },
    )
    return organisation


def _organisation_to_decide(officer: User, organisation_id: int) -> Organisation:
    _require_role(officer, Role.COMPLIANCE_OFFICER)
    organisation = _locked(Organisation, organisation_id)
    if organisation.verification_submitted_at is None:
        raise Conflict(_("The organisation has not sent its documents for verification yet."))
    if organisation.verification_status != Organisation.Verification.PENDING:
        raise Conflict(_("The organisation does not wait for verification."))
    if organisation.staff.filter(pk=officer.pk).exists():
        raise NotAllowed(_("Nobody may verify themselves."))
    return organisation


@transaction.atomic(durable=True)
def organisation_verify(
    *, officer: User, organisation_id: int, confirmed: list[str], note: str = ""
) -> Organisation:
    """Compliance verifies an issuer organisation, having checked each item against its
    documents: the registration, the beneficial owners, the signatory's authority."""
    organisation = _organisation_to_decide(officer, organisation_id)
    missing = [check for check in ORGANISATION_CHECKS if check not in confirmed]
    if missing:
        raise InvalidInput(
            _(
                "Confirm each check: the registration, the beneficial owners and the "
                "signatory's authority."
            ),
            field="confirmed",
            code="checks_incomplete",
        )
    organisation.verification_status = Organisation.Verification.VERIFIED
    organisation.verified_by, organisation.verified_at = officer, timezone.now()
    organisation.verification_note = text_optional(note, multiline=True)
    organisation.save(
        update_fields=["verification_status", "verified_by", "verified_at", "verification_note"]
    )
    audit_record(
        actor=officer,
        action=AuditAction.ORGANISATION_VERIFIED,
        obj=organisation,
        details={"verification_note": organisation.verification_note},
    )
    return organisation


@transaction.atomic(durable=True)
def organisation_refuse(*, officer: User, organisation_id: int, reason: str) -> Organisation:
    organisation = _organisation_to_decide(officer, organisation_id)
    reason = text_required(
        reason, field="reason", message=_("Give the reason for the refusal."), multiline=True
    )
    organisation.verification_status = Organisation.Verification.REFUSED
    organisation.verification_note = reason
    organisation.save(update_fields=["verification_status", "verification_note"])
    audit_record(
        actor=officer,
        action=AuditAction.ORGANISATION_REFUSED,
        obj=organisation,
        details={"reason": reason},
    )
    return organisation
