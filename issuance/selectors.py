"""Reads of the issuance app; every one returns a QuerySet or plain values."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from qoima.chain.amounts import units_from_text
from qoima.chain.models import Operation, TokenBalance
from qoima.chain.templatetags.tokens import token_units
from qoima.errors import ApplicationError
from qoima.participants.models import HolderProfile, Organisation

from .models import Application, Distribution, Document, Redemption
from .rules import class_refusal, name_is_currency_like, symbol_is_currency_like

ART5_ITEMS = {
    1: _(
        "Certifies a right to tangible or intellectual services or assets, not money or securities"
    ),
    2: _("Has the issuer's decision on issuance"),
    3: _("Is not a unit of account or legal tender"),
    4: _("Is not a financial instrument or a financial asset"),
    5: _("Contains data on the issuer"),
    6: _("Has confirmation of the property or intellectual rights before it is formed"),
    7: _("Every movement is recorded in the blockchain"),
}
FINAL = (Operation.State.CONFIRMED, Operation.State.FAILED)


def current_documents(application: Application) -> QuerySet[Document]:
    """The documents no later version has superseded."""
    return application.documents.filter(superseded_by__isnull=True)


def organisation_applications(organisation: Organisation) -> QuerySet[Application]:
    return Application.objects.filter(organisation=organisation).order_by("-created_at")


def review_queue() -> QuerySet[Application]:
    """What officers have to act on: new submissions, and approvals awaiting a second officer."""
    return (
        Application.objects.filter(
            status__in=[Application.Status.SUBMITTED, Application.Status.APPROVED]
        )
        .select_related("organisation", "approved_by")
        .order_by("submitted_at")
    )


def applications_recent() -> QuerySet[Application]:
    return Application.objects.exclude(status=Application.Status.DRAFT).select_related(
        "organisation"
    )


def issued_assets() -> QuerySet[Application]:
    return Application.objects.filter(status=Application.Status.ISSUED).select_related(
        "organisation"
    )


@dataclass(frozen=True)
class ChecklistItem:
    number: int
    text: Any
    evidence: list[tuple[Any, str]]


def checklist(application: Application) -> list[ChecklistItem]:
    """The seven items of Art. 5, each with what an officer checks it against."""
    documents = {d.kind: d for d in current_documents(application)}
    decision = documents.get(Document.Kind.ISSUANCE_DECISION)
    proof = documents.get(Document.Kind.PROOF_OF_RIGHTS)
    organisation = application.organisation
    permit = application.permit

    def document_evidence(document: Document | None) -> list[tuple[Any, str]]:
        if document is None:
            return [(_("Document"), str(_("missing")))]
        return [
            (_("Number"), document.number or "—"),
            (_("Dated"), document.dated_on.isoformat() if document.dated_on else "—"),
            (_("Signatory"), document.signatory or "—"),
            (_("SHA-256"), document.sha256),
        ]

    currency_like = name_is_currency_like(application.name) or symbol_is_currency_like(
        application.symbol
    )
    return [
        ChecklistItem(
            1,
            ART5_ITEMS[1],
            [
                (_("Asset class"), str(application.get_asset_class_display())),
                (_("Registry identifier"), application.asset_identifier),
            ],
        ),
        ChecklistItem(2, ART5_ITEMS[2], document_evidence(decision)),
        ChecklistItem(
            3,
            ART5_ITEMS[3],
            [
                (_("Name and symbol"), f"{application.name} · {application.symbol}"),
                (
                    _("Currency-like"),
                    str(_("yes")) if currency_like else str(_("no")),
                ),
            ],
        ),
        ChecklistItem(
            4,
            ART5_ITEMS[4],
            [
                (
                    _("Asset class eligible"),
                    str(_("no")) if class_refusal(application.asset_class) else str(_("yes")),
                )
            ],
        ),
        ChecklistItem(
            5,
            ART5_ITEMS[5],
            [
                (_("Issuer"), organisation.legal_name),
                (_("BIN / IIN"), organisation.identification_number),
                (_("Permit"), permit.number if permit else "—"),
            ],
        ),
        ChecklistItem(6, ART5_ITEMS[6], document_evidence(proof)),
        ChecklistItem(
            7,
            ART5_ITEMS[7],
            [(_("On-chain"), str(_("issued by the platform registry; every movement recorded")))],
        ),
    ]


@dataclass(frozen=True)
class Progress:
    total: int
    confirmed: int
    failed: int

    @property
    def pending(self) -> int:
        return self.total - self.confirmed - self.failed

    @property
    def percent(self) -> int:
        return 100 * (self.confirmed + self.failed) // self.total if self.total else 0


def distribution_progress(distribution: Distribution) -> Progress:
    counts = distribution.lines.aggregate(
        total=Count("pk"),
        confirmed=Count("pk", filter=Q(operation__state=Operation.State.CONFIRMED)),
        failed=Count("pk", filter=Q(operation__state=Operation.State.FAILED)),
    )
    return Progress(counts["total"], counts["confirmed"], counts["failed"])


@dataclass(frozen=True)
class FileError:
    """A refused file's problem on one line (0: the file as a whole), in the reader's words."""

    line: int
    reason: str
    codes: list[str]


def _amount_problem(text: str, decimals: int) -> str:
    """Why the file's amount was refused, worded as the amount check words it now."""
    from .services.distribution import PROBLEMS

    try:
        numeric = Decimal(text).is_finite()
    except InvalidOperation:
        numeric = False
    if not numeric:
        return str(PROBLEMS["not_a_number"]) % {"example": "12.50"}
    try:
        units_from_text(text, decimals, localized=False)
    except ApplicationError as error:
        return str(error.message)
    return str(_("The amount is not valid."))


def _problem(code: str, params: dict[str, Any], application: Application) -> str:
    from .services.distribution import AMOUNT, PROBLEMS, STORED_TEXT

    if code == AMOUNT:
        return _amount_problem(str(params.get("text", "")), int(params.get("decimals", 0)))
    if code == STORED_TEXT:
        return str(params.get("text", ""))
    if code == "short":
        params = {
            "needed": token_units(int(params["needed"]), application.decimals),
            "available": token_units(int(params["available"]), application.decimals),
            "symbol": application.symbol,
        }
    template = PROBLEMS.get(code)
    return str(template) % params if template is not None else code


def distribution_errors(distribution: Distribution, *, limit: int | None = None) -> list[FileError]:
    """A refused file's errors, put into words now, in the reader's language."""
    shown = []
    for error in distribution.errors[:limit]:
        problems = error.get("problems", [])
        shown.append(
            FileError(
                line=int(error.get("line", 0)),
                reason=" ".join(
                    _problem(p["code"], p.get("params", {}), distribution.application)
                    for p in problems
                ),
                codes=[p["code"] for p in problems],
            )
        )
    return shown


def holder_redemptions(holder: HolderProfile) -> QuerySet[Redemption]:
    return Redemption.objects.filter(holder=holder).select_related("application", "operation")


def organisation_redemptions(organisation: Organisation) -> QuerySet[Redemption]:
    return Redemption.objects.filter(application__organisation=organisation).select_related(
        "application", "holder", "operation"
    )


def balance_of(*, token_address: str, holder: str) -> tuple[int, int]:
    """A holder's confirmed units of a token and how many of them are free to move."""
    row = TokenBalance.objects.filter(
        chain_id=settings.CHAIN_ID, token_address=token_address, holder=holder
    ).first()
    if row is None:
        return 0, 0
    return int(row.amount), int(row.amount) - int(row.reserved)
