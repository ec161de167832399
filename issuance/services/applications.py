"""The issuer's side of an application: draft, edit, upload documents, submit."""

import datetime
import re
from dataclasses import asdict, dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.amounts import format_units, units_from_text, units_to_amount
from qoima.errors import Conflict, InvalidInput
from qoima.participants.models import Role, User
from qoima.text import text_optional, text_required

from ..documents import document_store
from ..models import Application, Document, Review
from ..notifications import notify, officers
from ..rules import CURRENCY_LIKE, class_refusal, name_is_currency_like, symbol_is_currency_like
from ..selectors import current_documents
from .common import issuer_application, require_role, valid_permit, verified_organisation

SYMBOL = re.compile(r"[A-Z0-9]{2,11}")
MAX_DECIMALS = 18


@dataclass(frozen=True)
class ApplicationData:
    """What the issuer writes; amounts as typed, in whole units of the asset."""

    name: str
    symbol: str
    asset_class: str
    description: str
    asset_identifier: str
    decimals: int
    backed_amount: str
    mint_amount: str


def _checked(data: ApplicationData) -> dict[str, object]:
    """Column values, or InvalidInput naming the field and the rule it breaks."""
    name = text_required(
        data.name,
        field="name",
        message=_("Give the asset a name of up to 100 characters."),
        max_length=100,
    )
    symbol = text_optional(data.symbol).upper()
    if not SYMBOL.fullmatch(symbol):
        raise InvalidInput(
            _("The symbol is 2 to 11 Latin capital letters or digits."), field="symbol"
        )
    refusal = class_refusal(data.asset_class)
    if refusal is not None:
        raise InvalidInput(refusal, field="asset_class", code="asset_class_refused")
    if name_is_currency_like(name):
        raise InvalidInput(CURRENCY_LIKE % {"value": name}, field="name", code="currency_like")
    if symbol_is_currency_like(symbol):
        raise InvalidInput(CURRENCY_LIKE % {"value": symbol}, field="symbol", code="currency_like")
    description = text_required(
        data.description,
        field="description",
        message=_("Describe the underlying asset."),
        multiline=True,
    )
    identifier = text_required(
        data.asset_identifier,
        field="asset_identifier",
        message=_("Give the asset's registry identifier (cadastral, patent or trademark number)."),
        max_length=128,
    )
    if not 0 <= data.decimals <= MAX_DECIMALS:
        raise InvalidInput(
            _("Decimals are from 0 to %(max)s.") % {"max": MAX_DECIMALS}, field="decimals"
        )
    backed = units_from_text(data.backed_amount, data.decimals, field="backed_amount")
    mint = units_from_text(data.mint_amount, data.decimals, field="mint_amount")
    if mint > backed:
        raise InvalidInput(
            _("You cannot mint more than the backed units (%(backed)s).")
            % {"backed": format_units(backed, data.decimals)},
            field="mint_amount",
            code="mint_above_backed",
        )
    return {
        "name": name,
        "symbol": symbol,
        "asset_class": data.asset_class,
        "description": description,
        "asset_identifier": identifier,
        "decimals": data.decimals,
        "backed_units": backed,
        "mint_units": mint,
    }


@transaction.atomic(durable=True)
def application_create(*, actor: User, data: ApplicationData) -> Application:
    require_role(actor, Role.ISSUER_STAFF)
    assert actor.organisation is not None
    values = _checked(data)
    application = Application.objects.create(
        organisation=actor.organisation, created_by=actor, **values
    )
    audit_record(
        actor=actor, action=AuditAction.APPLICATION_DRAFTED, obj=application, details=asdict(data)
    )
    return application


@transaction.atomic(durable=True)
def application_update(*, actor: User, application_id: int, data: ApplicationData) -> Application:
    application = issuer_application(actor, application_id)
    _require_editable(application)
    values = _checked(data)
    Application.objects.filter(pk=application.pk).update(**values, updated_at=timezone.now())
    application.refresh_from_db()
    audit_record(
        actor=actor, action=AuditAction.APPLICATION_EDITED, obj=application, details=asdict(data)
    )
    return application


def _require_editable(application: Application) -> None:
    if not application.editable:
        raise Conflict(_("A submitted application cannot be changed."))


@dataclass(frozen=True)
class DocumentData:
    kind: str
    title: str = ""
    number: str = ""
    dated_on: datetime.date | None = None
    signatory: str = ""


@transaction.atomic(durable=True)
def document_add(
    *, actor: User, application_id: int, data: DocumentData, upload: UploadedFile
) -> Document:
    """Store a document; a new issuance decision or proof of rights supersedes the current one."""
    application = issuer_application(actor, application_id)
    _require_editable(application)
    if data.kind not in Document.Kind.values:
        raise InvalidInput(_("Choose the kind of document."), field="kind")
    today = timezone.localdate()
    number, signatory = text_optional(data.number), text_optional(data.signatory)
    if data.kind == Document.Kind.ISSUANCE_DECISION and not (
        number and data.dated_on and signatory
    ):
        raise InvalidInput(
            _("An issuance decision needs its number, date and signatory."), field="number"
        )
    if data.kind == Document.Kind.PROOF_OF_RIGHTS and data.dated_on is None:
        raise InvalidInput(_("A proof of rights needs its date."), field="dated_on")
    if data.dated_on and data.dated_on > today:
        raise InvalidInput(_("A document cannot be dated in the future."), field="dated_on")
    stored = document_store(upload)
    supersedes = None
    if data.kind != Document.Kind.OTHER:
        # The application's lock serialises uploads: no two can supersede the same version.
        supersedes = current_documents(application).filter(kind=data.kind).first()
    document = Document.objects.create(
        application=application,
        kind=data.kind,
        title=text_optional(data.title)[:200],
        number=number[:64],
        dated_on=data.dated_on,
        signatory=signatory[:200],
        file=stored.name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
        original_name=(upload.name or "")[:255],
        uploaded_by=actor,
        supersedes=supersedes,
    )
    audit_record(
        actor=actor,
        action=AuditAction.DOCUMENT_UPLOADED,
        obj=document,
        details={
            "application": application.pk,
            "kind": data.kind,
            "sha256": stored.sha256,
            "size": stored.size,
            "supersedes": supersedes.pk if supersedes else None,
        },
    )
    return document


def required_documents_check(application: Application, *, on: datetime.date) -> None:
    """Art. 5 items 2 and 6: a decision and a proof of rights dated no later than ``on``."""
    documents = {d.kind: d for d in current_documents(application)}
    if Document.Kind.ISSUANCE_DECISION not in documents:
        raise InvalidInput(
            _("The issuance decision is missing (Art. 5, item 2)."),
            field="documents",
            code="decision_missing",
        )
    proof = documents.get(Document.Kind.PROOF_OF_RIGHTS)
    if proof is None:
        raise InvalidInput(
            _("The proof of rights is missing (Art. 5, item 6)."),
            field="documents",
            code="proof_missing",
        )
    assert proof.dated_on is not None
    if proof.dated_on > on:
        raise InvalidInput(
            _(
                "The proof of rights is dated %(date)s, after the approval: the rights must "
                "exist before the asset is formed (Art. 5, item 6)."
            )
            % {"date": date_format(proof.dated_on)},
            field="documents",
            code="proof_after_approval",
        )


@transaction.atomic(durable=True)
def application_submit(*, actor: User, application_id: int) -> Application:
    application = issuer_application(actor, application_id)
    _require_editable(application)
    permit = valid_permit(application.organisation, step="submit")
    verified_organisation(application.organisation, step="submit")
    # Checked again as the application stands now: a draft saved before a rule changed
    # must still meet it.
    _checked(_data_of(application))
    required_documents_check(application, on=timezone.localdate())
    now = timezone.now()
    application.status, application.status_reason = Application.Status.SUBMITTED, ""
    application.revision += 1
    application.permit, application.submitted_at = permit, now
    application.save(
        update_fields=[
            "status",
            "status_reason",
            "revision",
            "permit",
            "submitted_at",
            "updated_at",
        ]
    )
    Review.objects.create(
        application=application,
        actor=actor,
        action=Review.Action.SUBMIT,
        revision=application.revision,
    )
    audit_record(
        actor=actor,
        action=AuditAction.APPLICATION_SUBMITTED,
        obj=application,
        details={"revision": application.revision, "permit": permit.number},
    )
    notify(
        users=officers(),
        subject=_("Application to review: %(name)s"),
        body=_("%(issuer)s submitted %(name)s (%(symbol)s) for review."),
        name=application.name,
        symbol=application.symbol,
        issuer=application.organisation.legal_name,
    )
    return application


def _data_of(application: Application) -> ApplicationData:
    return ApplicationData(
        name=application.name,
        symbol=application.symbol,
        asset_class=application.asset_class,
        description=application.description,
        asset_identifier=application.asset_identifier,
        decimals=application.decimals,
        backed_amount=str(units_to_amount(application.backed_units, application.decimals)),
        mint_amount=str(units_to_amount(application.mint_units, application.decimals)),
    )
