"""Reads of the issuance app; every one returns a QuerySet or plain values."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qoima.chain.amounts import format_units, units_from_text
from qoima.chain.contracts import ZERO_ADDRESS
from qoima.chain.fields import Uint256Sum
from qoima.chain.models import Operation, TokenBalance
from qoima.custody.models import Wallet
from qoima.errors import ApplicationError
from qoima.participants.models import Organisation
from qoima.participants.selectors import Waiting

from .models import Application, AssetClass, Distribution, Document, Redemption, Review
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


def current_documents_shown(application: Application) -> list[Document]:
    """``current_documents``, as read with the list by ``applications_listed`` when it was."""
    listed: list[Document] | None = getattr(application, "listed_documents", None)
    if listed is not None:
        return listed
    return list(current_documents(application))


def document_hashes_on_chain(application: Application) -> set[str]:
    """The SHA-256 of each document the token records: those its issue carried (none before
    the issue is requested; a version superseded earlier never reaches the chain)."""
    issue = application.issue_operation
    if issue is None:
        return set()
    # The payload keeps each hash as the contract takes it, a 0x-prefixed bytes32.
    return {
        str(document["sha256"]).lower().removeprefix("0x")
        for document in issue.payload.get("documents", [])
    }


def applications_listed(rows: QuerySet[Application]) -> QuerySet[Application]:
    """A list of applications with what each row shows read in a fixed number of queries:
    issuer, permit, on-chain operations and current documents."""
    return (
        rows.select_related("organisation", "permit", "issue_operation", "mint_operation")
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=Document.objects.filter(superseded_by__isnull=True),
                to_attr="listed_documents",
            )
        )
        .order_by("-created_at", "-pk")
    )


def review_queue() -> QuerySet[Application]:
    """What officers have to act on: new submissions, and approvals awaiting a second officer."""
    return (
        Application.objects.filter(
            status__in=[Application.Status.SUBMITTED, Application.Status.APPROVED]
        )
        .select_related("organisation", "approved_by")
        .order_by("submitted_at")
    )


def issued_assets() -> QuerySet[Application]:
    return Application.objects.filter(status=Application.Status.ISSUED).select_related(
        "organisation"
    )


# What each piece of evidence is, by the code it is stored under: an approval keeps codes and
# raw values, and every reader renders them in its own language.
EVIDENCE_LABELS = {
    "asset_class": _("Asset class"),
    "asset_identifier": _("Registry identifier"),
    "document": _("Document"),
    "number": _("Number"),
    "dated_on": _("Dated"),
    "signatory": _("Signatory"),
    "sha256": _("SHA-256"),
    "name_symbol": _("Name and symbol"),
    "currency_like": _("Currency-like"),
    "class_eligible": _("Asset class eligible"),
    "issuer": _("Issuer"),
    "id_number": _("BIN / IIN"),
    "permit": _("Permit"),
    "onchain": _("On-chain"),
}


@dataclass(frozen=True)
class Evidence:
    """One thing an Art. 5 item is checked against: a code and its raw value (a string, a
    yes/no, or None for a document that is missing)."""

    code: str
    value: str | bool | None

    @property
    def label(self) -> Any:
        # An approval stored before evidence had codes keeps its label text as the code.
        return EVIDENCE_LABELS.get(self.code, self.code)

    @property
    def text(self) -> str:
        if self.code == "onchain":
            return str(_("issued by the platform registry; every movement recorded"))
        if self.code == "asset_class" and isinstance(self.value, str):
            return str(dict(AssetClass.choices).get(self.value, self.value))
        if self.code == "document" and self.value is None:
            return str(_("missing"))
        if isinstance(self.value, bool):
            return str(_("yes")) if self.value else str(_("no"))
        return "—" if self.value in (None, "") else str(self.value)


@dataclass(frozen=True)
class ChecklistItem:
    number: int
    text: Any
    evidence: list[Evidence]


def checklist(application: Application) -> list[ChecklistItem]:
    """The seven items of Art. 5, each with what an officer checks it against."""
    documents = {d.kind: d for d in current_documents(application)}
    decision = documents.get(Document.Kind.ISSUANCE_DECISION)
    proof = documents.get(Document.Kind.PROOF_OF_RIGHTS)
    organisation = application.organisation
    permit = application.permit

    def document_evidence(document: Document | None) -> list[Evidence]:
        if document is None:
            return [Evidence("document", None)]
        return [
            Evidence("number", document.number),
            Evidence("dated_on", document.dated_on.isoformat() if document.dated_on else ""),
            Evidence("signatory", document.signatory),
            Evidence("sha256", document.sha256),
        ]

    currency_like = name_is_currency_like(application.name) or symbol_is_currency_like(
        application.symbol
    )
    return [
        ChecklistItem(
            1,
            ART5_ITEMS[1],
            [
                Evidence("asset_class", application.asset_class),
                Evidence("asset_identifier", application.asset_identifier),
            ],
        ),
        ChecklistItem(2, ART5_ITEMS[2], document_evidence(decision)),
        ChecklistItem(
            3,
            ART5_ITEMS[3],
            [
                Evidence("name_symbol", f"{application.name} · {application.symbol}"),
                Evidence("currency_like", bool(currency_like)),
            ],
        ),
        ChecklistItem(
            4,
            ART5_ITEMS[4],
            [Evidence("class_eligible", not class_refusal(application.asset_class))],
        ),
        ChecklistItem(
            5,
            ART5_ITEMS[5],
            [
                Evidence("issuer", organisation.legal_name),
                Evidence("id_number", organisation.identification_number),
                Evidence("permit", permit.number if permit else ""),
            ],
        ),
        ChecklistItem(6, ART5_ITEMS[6], document_evidence(proof)),
        ChecklistItem(7, ART5_ITEMS[7], [Evidence("onchain", True)]),
    ]


# ------------------------------------------------------------------------------ as reviewed
#
# The one shape an approval keeps its checklist in (``Review.checklist``), written by
# ``checklist_record`` and read back by ``checklist_as_reviewed``, nowhere else:
#     {"items": [1, ..., 7], "evidence": {"1": {"<code>": <value>, ...}, ...}}


def checklist_record(application: Application, confirmed_items: list[int]) -> dict[str, Any]:
    """What an approval stores: the items the officer confirmed and, for each item, the
    evidence as it stood when they did."""
    return {
        "items": sorted(set(confirmed_items) & set(ART5_ITEMS)),
        "evidence": {
            str(item.number): {e.code: e.value for e in item.evidence}
            for item in checklist(application)
        },
    }


@dataclass(frozen=True)
class ReviewedItem:
    number: int
    text: Any
    confirmed: bool
    evidence: list[Evidence]


@dataclass(frozen=True)
class ReviewedChecklist:
    items: list[ReviewedItem]
    # The approval the items come from; None until an officer approved.
    approval: Review | None


def checklist_as_reviewed(application: Application) -> ReviewedChecklist:
    """The Art. 5 items as the approving officer confirmed them, each with the evidence it was
    checked against (nothing confirmed until an officer approved)."""
    approval = (
        application.reviews.filter(action=Review.Action.APPROVE)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    stored: dict[str, Any] = approval.checklist if approval is not None else {}
    confirmed = {int(n) for n in stored.get("items", [])}
    evidence = stored.get("evidence", {})
    return ReviewedChecklist(
        [
            ReviewedItem(
                number,
                text,
                number in confirmed,
                [Evidence(code, value) for code, value in evidence.get(str(number), {}).items()],
            )
            for number, text in ART5_ITEMS.items()
        ],
        approval,
    )


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


def distributions_with_progress(application: Application) -> list[tuple[Distribution, Progress]]:
    """The application's distributions, newest first, each with its progress, in one query."""
    rows = application.distributions.annotate(
        lines_total=Count("lines__pk"),
        lines_confirmed=Count(
            "lines__pk", filter=Q(lines__operation__state=Operation.State.CONFIRMED)
        ),
        lines_failed=Count("lines__pk", filter=Q(lines__operation__state=Operation.State.FAILED)),
    ).order_by("-created_at", "-pk")[:20]
    return [(row, Progress(row.lines_total, row.lines_confirmed, row.lines_failed)) for row in rows]


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


# What can be wrong with a file or a row. A refused file keeps each problem as its code and
# parameters (``Distribution.errors``), and the page, the API and the mail put it into words
# when it is read, in the reader's language (distribution_errors below).
PROBLEMS: dict[str, Promise] = {
    "not_csv": _("The file is not a CSV file in UTF-8."),
    "no_rows": _("The file has no rows."),
    "too_many_rows": _("The file has %(count)s rows; at most %(limit)s are accepted."),
    "columns": _("Expected two columns: the holder's IIN / BIN or id, and the amount."),
    "check_digit": _("This is not a valid IIN / BIN (its check digit does not match)."),
    "unknown_holder": _("No holder has this IIN / BIN or id."),
    "not_verified": _("The holder is not verified."),
    "no_wallet": _("The holder has no wallet yet."),
    "short": _(
        "The file sends %(needed)s in all; the issuer's wallet has %(available)s available."
    ),
}
# Rendered by checking the amount again, as units_from_text words its refusal.
AMOUNT = "amount"
# An error written before errors were kept as codes: its text, as it was stored.
STORED_TEXT = "text"


def _amount_problem(text: str, decimals: int) -> str:
    """Why the file's amount was refused, worded as the amount check words it now."""
    try:
        units_from_text(text, decimals, localized=False)
    except ApplicationError as error:
        return str(error.message)
    return str(_("The amount is not valid."))


def _problem(code: str, params: dict[str, Any], application: Application) -> str:
    if code == AMOUNT:
        return _amount_problem(str(params.get("text", "")), int(params.get("decimals", 0)))
    if code == STORED_TEXT:
        return str(params.get("text", ""))
    if code == "short":
        params = {
            "needed": format_units(
                int(params["needed"]), application.decimals, symbol=application.symbol
            ),
            "available": format_units(
                int(params["available"]), application.decimals, symbol=application.symbol
            ),
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


def redemptions_listed(rows: QuerySet[Redemption]) -> QuerySet[Redemption]:
    """A list of redemptions with their asset, holder and burn read along."""
    return rows.select_related("application", "holder", "operation").order_by(
        "-requested_at", "-pk"
    )


def balances_of(*, token_addresses: list[str], holder: str) -> dict[str, tuple[int, int]]:
    """A holder's confirmed and free units of each token, in one query (0, 0 for none)."""
    rows = TokenBalance.objects.filter(
        chain_id=settings.CHAIN_ID, token_address__in=token_addresses, holder=holder
    ).values_list("token_address", "amount", "reserved")
    found = {token: (int(amount), int(amount) - int(reserved)) for token, amount, reserved in rows}
    return {token: found.get(token, (0, 0)) for token in token_addresses}


def balance_of(*, token_address: str, holder: str) -> tuple[int, int]:
    """A holder's confirmed units of a token and how many of them are free to move."""
    row = TokenBalance.objects.filter(
        chain_id=settings.CHAIN_ID, token_address=token_address, holder=holder
    ).first()
    if row is None:
        return 0, 0
    return int(row.amount), int(row.amount) - int(row.reserved)


def distributions_waiting() -> QuerySet[Distribution]:
    """Uploaded files no worker has checked yet, oldest first (the sweep's work)."""
    return Distribution.objects.filter(status=Distribution.Status.VALIDATING).order_by(
        "created_at", "pk"
    )


# ------------------------------------------------------------------------------ dashboards


def review_waiting() -> tuple[Waiting, Waiting]:
    """Officers' two queues in one query: submissions no officer has decided yet, and
    approvals waiting for a second officer's confirmation, each with its oldest."""
    submitted = Q(status=Application.Status.SUBMITTED)
    approved = Q(status=Application.Status.APPROVED)
    row = Application.objects.aggregate(
        submitted=Count("pk", filter=submitted),
        submitted_oldest=Min("submitted_at", filter=submitted),
        approved=Count("pk", filter=approved),
        approved_oldest=Min("approved_at", filter=approved),
    )
    return (
        Waiting(row["submitted"], row["submitted_oldest"]),
        Waiting(row["approved"], row["approved_oldest"]),
    )


# An issuer's assets: applications that reached the chain, or tried to.
ASSET_STATUSES = (
    Application.Status.ISSUING,
    Application.Status.ISSUED,
    Application.Status.FAILED,
)
# Applications still on their way to an issue.
OPEN_STATUSES = (
    Application.Status.DRAFT,
    Application.Status.SUBMITTED,
    Application.Status.CHANGES_REQUESTED,
    Application.Status.APPROVED,
)


@dataclass(frozen=True)
class IssuerAsset:
    application: Application
    # Units on the ledger now (confirmed blocks): what was minted less what was burned.
    supply: int | None
    # Wallets other than the issuer's own that hold any units.
    holders: int

    @property
    def share(self) -> float:
        """The supply as a share of the units the asset is backed by, in per cent."""
        backed = int(self.application.backed_units)
        return 100 * (self.supply or 0) / backed if backed else 0.0


def issuer_assets(organisation: Organisation) -> list[IssuerAsset]:
    """The organisation's assets with their supply and holder count, in two queries."""
    applications = list(
        Application.objects.filter(organisation=organisation, status__in=ASSET_STATUSES).order_by(
            "symbol", "pk"
        )
    )
    tokens = [application.token_address for application in applications]
    own = Wallet.objects.filter(organisation=organisation).values("address")
    held = {
        row["token_address"]: row
        for row in TokenBalance.objects.filter(
            chain_id=settings.CHAIN_ID, token_address__in=[t for t in tokens if t]
        )
        .order_by()
        .values("token_address")
        .annotate(
            units=Uint256Sum("amount"),
            holders=Count(
                "pk",
                filter=Q(amount__gt=0) & ~Q(holder__in=own) & ~Q(holder=ZERO_ADDRESS),
            ),
        )
    }
    assets = []
    for application in applications:
        row = held.get(application.token_address) if application.token_address else None
        supply = None if not application.token_address else int((row or {}).get("units") or 0)
        holders = int(row["holders"]) if row else 0
        assets.append(IssuerAsset(application, supply, holders))
    return assets


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: Any
    count: int


def open_application_counts(organisation: Organisation) -> list[StatusCount]:
    """How many of the organisation's applications stand at each step before an issue."""
    counts = dict(
        Application.objects.filter(organisation=organisation, status__in=OPEN_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
    )
    return [
        StatusCount(status.value, status.label, counts.get(status.value, 0))
        for status in OPEN_STATUSES
    ]


def redemptions_waiting(rows: QuerySet[Redemption]) -> QuerySet[Redemption]:
    """Requests waiting for the issuer's answer, oldest first, with asset and holder."""
    return (
        rows.filter(status=Redemption.Status.REQUESTED)
        .select_related("application", "holder")
        .order_by("requested_at", "pk")
    )


def distributions_under_way(rows: QuerySet[Distribution]) -> QuerySet[Distribution]:
    """Distributions being checked or sent, oldest first, each with its lines counted."""
    return (
        rows.filter(status__in=[Distribution.Status.VALIDATING, Distribution.Status.SENDING])
        .select_related("application")
        .defer("content")
        .annotate(
            lines_total=Count("lines__pk"),
            lines_confirmed=Count(
                "lines__pk", filter=Q(lines__operation__state=Operation.State.CONFIRMED)
            ),
        )
        .order_by("created_at", "pk")
    )


def waiting_in(rows: QuerySet[Any], since: str) -> Waiting:
    """How many rows a queue holds and the oldest one's ``since`` field, in one query."""
    row = rows.order_by().aggregate(count=Count("pk"), oldest=Min(since))
    return Waiting(row["count"], row["oldest"])
