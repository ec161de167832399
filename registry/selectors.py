"""What the registry shows: reads only, each a bounded number of queries per page.

Nothing here (or anywhere in the registry) changes state; checks that need the chain read it
live through ``qoima.chain.reads``.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _
from web3 import Web3

from issuance.integrity import DocumentVerification, documents_verify, onchain_names
from issuance.models import Application, AssetClass, Document, DocumentCheck, Review
from issuance.selectors import ReviewedChecklist, checklist_as_reviewed, current_documents
from qoima import health
from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry, ChainCheck
from qoima.audit.services import ChainReport, audit_chain_check, audit_unsealed_age
from qoima.chain.amounts import format_units, units_to_amount
from qoima.chain.anchors import AnchorRecord, audit_anchors_read
from qoima.chain.client import ChainUnavailable
from qoima.chain.fields import Uint256Sum
from qoima.chain.health import Stall, stall_status
from qoima.chain.models import (
    DailyVolume,
    NodeHealth,
    Operation,
    ReconciliationDifference,
    ReconciliationRun,
    TokenBalance,
    TokenTransfer,
)
from qoima.chain.reads import (
    NoContract,
    TokenFacts,
    TransferProof,
    token_facts,
    transfer_verify,
)
from qoima.participants.models import HolderProfile, Organisation, Permit

# Decisions of compliance staff and the platform's reaction to them, as the audit log has them.
COMPLIANCE_ACTIONS = (
    AuditAction.PERMIT_VERIFIED,
    AuditAction.PERMIT_REFUSED,
    AuditAction.PERMIT_SUSPENDED,
    AuditAction.PERMIT_REVOKED,
    AuditAction.PERMIT_ACTIVE,
    AuditAction.HOLDER_SUSPENDED,
    AuditAction.HOLDER_MOVEMENTS_WITHDRAWN,
    AuditAction.ENFORCEMENT_ACT_REQUESTED,
    AuditAction.ENFORCEMENT_ACT_CONFIRMED,
    AuditAction.ENFORCEMENT_ACT_REJECTED,
)
# Entries in chain order; those still awaiting their seal (no number yet) after the sealed
# ones, or first when newest first, in the order they were written.
OLDEST_FIRST = (F("seq").asc(nulls_last=True), "id")
NEWEST_FIRST = (F("seq").desc(nulls_first=True), "-id")
COMPLIANCE_KINDS = (
    Operation.Kind.FREEZE,
    Operation.Kind.UNFREEZE,
    Operation.Kind.FREEZE_TOKENS,
    Operation.Kind.UNFREEZE_TOKENS,
    Operation.Kind.FORCED_TRANSFER,
    Operation.Kind.PAUSE,
    Operation.Kind.UNPAUSE,
)


# ------------------------------------------------------------------------------ issuers


def issuers() -> QuerySet[Organisation]:
    return (
        Organisation.objects.select_related("verified_by")
        .annotate(
            permit_count=Count("permits", distinct=True),
            asset_count=Count(
                "applications",
                filter=Q(applications__status=Application.Status.ISSUED),
                distinct=True,
            ),
        )
        .order_by("legal_name", "pk")
    )


def issuer_permits(organisation: Organisation) -> QuerySet[Permit]:
    return organisation.permits.select_related("status_changed_by", "verified_by").order_by(
        "-issued_on", "-pk"
    )


def permits_history(permits: list[Permit]) -> QuerySet[AuditEntry]:
    """Every recorded change of these permits, oldest first."""
    return AuditEntry.objects.filter(
        object_type="participants.permit", object_id__in=[str(p.pk) for p in permits]
    ).order_by(*OLDEST_FIRST)


def permits() -> QuerySet[Permit]:
    return Permit.objects.select_related("organisation", "verified_by").order_by(
        "-issued_on", "-pk"
    )


# ------------------------------------------------------------------------------ assets


def assets() -> QuerySet[Application]:
    """Every application past its draft: the regulator sees refusals as well as issues."""
    return (
        Application.objects.exclude(status=Application.Status.DRAFT)
        .select_related("organisation", "permit", "approved_by", "confirmed_by")
        .order_by("-submitted_at", "-pk")
    )


def asset_reviews(application: Application) -> QuerySet[Review]:
    return application.reviews.select_related("actor").order_by("created_at", "pk")


def asset_checklist(application: Application) -> ReviewedChecklist:
    """The Art. 5 items as the approving officer confirmed them, with their evidence."""
    return checklist_as_reviewed(application)


@dataclass(frozen=True)
class Fact:
    label: str | Promise
    database: str
    chain: str
    # Set for amounts: compared as units, given in the asset's units with these places.
    decimals: int | None = None
    # What a person reads for a value that is a code (an asset class): its label.
    labels: dict[str, str | Promise] = field(default_factory=dict)

    @property
    def matches(self) -> bool:
        return self.database == self.chain

    def value(self, side: str, *, for_people: bool) -> str:
        """One side's value; an amount in the asset's units, in the reader's language for
        people and as the exact decimal with a point for machines; a code as its label for
        people."""
        raw = self.database if side == "database" else self.chain
        if for_people and raw in self.labels:
            return str(self.labels[raw])
        if self.decimals is None or not raw.isdigit():
            return raw
        if for_people:
            return format_units(int(raw), self.decimals)
        return str(units_to_amount(int(raw), self.decimals))

    @property
    def database_text(self) -> str:
        return self.value("database", for_people=True)

    @property
    def chain_text(self) -> str:
        return self.value("chain", for_people=True)


@dataclass(frozen=True)
class OnChainComparison:
    facts: list[Fact]
    # Set when the node could not be read: nothing was compared.
    unavailable: str = ""
    # No contract at the token's address: nothing on chain backs the asset.
    missing: bool = False

    @property
    def mismatches(self) -> list[Fact]:
        return [fact for fact in self.facts if not fact.matches]


def ledger_supply(token: str) -> int:
    total = TokenBalance.objects.filter(chain_id=settings.CHAIN_ID, token_address=token).aggregate(
        units=Uint256Sum("amount")
    )["units"]
    return int(total or 0)


def asset_onchain(application: Application, *, w3: Web3) -> OnChainComparison:
    """The token's data read live from its contract, beside what the platform holds."""
    if not application.token_address:
        return OnChainComparison([])
    try:
        facts = token_facts(w3, application.token_address)
    except ChainUnavailable as error:
        return OnChainComparison([], unavailable=str(error))
    except NoContract:
        return OnChainComparison([], missing=True)
    return OnChainComparison(_compare(application, facts))


def _document_name(name: str) -> str | Promise:
    """A document's name on-chain (its kind's code, ``other_<n>`` for further ones) as its
    kind's label."""
    if name in Document.Kind.values:
        return Document.Kind(name).label
    prefix, _sep, number = name.rpartition("_")
    if prefix == Document.Kind.OTHER and number.isdigit():
        return f"{Document.Kind.OTHER.label} {number}"
    return name


def _compare(application: Application, facts: TokenFacts) -> list[Fact]:
    organisation = application.organisation
    permit_number = application.permit.number if application.permit else ""
    rows = [
        Fact(_("Name"), application.name, facts.name),
        Fact(_("Symbol"), application.symbol, facts.symbol),
        Fact(_("Decimals"), str(application.decimals), str(facts.decimals)),
        Fact(_("Issuer"), organisation.legal_name, facts.issuer_name),
        Fact(_("BIN / IIN"), organisation.identification_number, facts.issuer_id_number),
        Fact(_("Permit number"), permit_number, facts.permit_number),
        Fact(_("Registry identifier"), application.asset_identifier, facts.asset_identifier),
        Fact(
            _("Asset class"),
            application.asset_class,
            facts.asset_class,
            labels=dict(AssetClass.choices),
        ),
        Fact(
            _("Cap (backed units)"),
            str(int(application.backed_units)),
            str(facts.cap),
            application.decimals,
        ),
        Fact(
            _("Total supply"),
            str(ledger_supply(application.token_address)),
            str(facts.total_supply),
            application.decimals,
        ),
    ]
    recorded = {name: sha for sha, name in onchain_names(application).items()}
    for name in sorted(recorded.keys() | facts.documents.keys()):
        rows.append(
            Fact(
                _("Document %(name)s (SHA-256)") % {"name": _document_name(name)},
                recorded.get(name, ""),
                facts.documents.get(name, ""),
            )
        )
    return rows


def _with_checks(documents: QuerySet[Document]) -> QuerySet[Document]:
    """Each document with its latest scheduled check and whether a later version replaced it."""
    latest = DocumentCheck.objects.filter(document=OuterRef("pk")).order_by("-checked_at", "-pk")
    return documents.annotate(
        last_check_ok=Subquery(latest.values("ok")[:1]),
        last_check_at=Subquery(latest.values("checked_at")[:1]),
        superseded=Exists(Document.objects.filter(supersedes=OuterRef("pk"))),
    )


def asset_documents(application: Application) -> QuerySet[Document]:
    return _with_checks(application.documents.select_related("uploaded_by")).order_by(
        "kind", "-uploaded_at", "-pk"
    )


# ------------------------------------------------------------------------------ documents


def documents() -> QuerySet[Document]:
    return _with_checks(
        Document.objects.exclude(application__status=Application.Status.DRAFT).select_related(
            "application", "application__organisation"
        )
    ).order_by("-uploaded_at", "-pk")


def document_checks(document: Document) -> QuerySet[DocumentCheck]:
    return document.checks.order_by("-checked_at", "-pk")


def failed_document_checks() -> QuerySet[DocumentCheck]:
    return DocumentCheck.objects.filter(ok=False).select_related("document__application")


def document_rehash(document: Document, *, w3: Web3) -> DocumentVerification:
    """Re-read the stored file now and compare its hash with the DB's and the chain's."""
    (result,) = documents_verify(document.application, [document], w3=w3)
    return result


def is_current(document: Document) -> bool:
    return current_documents(document.application).filter(pk=document.pk).exists()


# ------------------------------------------------------------------------------ transfers


# What each field a receipt is compared on is called on the transfer's page.
PROOF_LABELS: dict[str, Promise] = {
    "block": _("Block"),
    "block hash": _("Block hash"),
    "log": _("Log index"),
    "token": _("Token"),
    "sender": _("From"),
    "receiver": _("To"),
    "amount": _("Amount"),
}


def proof_mismatches(proof: TransferProof | None) -> list[tuple[str | Promise, str, str]]:
    """The fields the chain disagrees on, each under its label: (label, stored, on chain)."""
    if proof is None:
        return []
    return [
        (PROOF_LABELS.get(name, name), stored, onchain)
        for name, (stored, onchain) in proof.mismatches.items()
    ]


def transfer_proof(transfer: TokenTransfer, *, w3: Web3) -> TransferProof | None:
    """The transfer re-read from the chain now; None when the node does not answer."""
    try:
        return transfer_verify(w3, transfer)
    except ChainUnavailable:
        return None


@dataclass(frozen=True)
class PlatformRecord:
    """What the platform knows of a transfer beyond the chain: the operation that asked for
    it and why."""

    operation: Operation | None
    purpose: str | Promise


def transfer_record(transfer: TokenTransfer) -> PlatformRecord:
    if transfer.ref is None:
        return PlatformRecord(None, _("A holder's own transfer from an external wallet"))
    operation = (
        Operation.objects.filter(pk=int(transfer.ref), token_address=transfer.token_address)
        .select_related("transaction")
        .defer("transaction__data")
        .first()
    )
    if operation is None:
        return PlatformRecord(None, _("No operation of the platform has this reference"))
    return PlatformRecord(operation, operation.get_kind_display())


def head_seen() -> int | None:
    """The chain's newest block as the platform last heard it (to count confirmations)."""
    node = NodeHealth.objects.filter(chain_id=settings.CHAIN_ID).first()
    return node.block_number if node else None


def tokens_by_address() -> dict[str, Application]:
    """Issued assets by token address: how a transfer's token is named on a page."""
    return {
        application.token_address: application
        for application in Application.objects.exclude(token_address="").select_related(
            "organisation"
        )
    }


def amount_text(units: int | Decimal, application: Application | None) -> str:
    if application is None:
        return str(int(units))
    return f"{units_to_amount(int(units), application.decimals)} {application.symbol}"


# ------------------------------------------------------------------------------ holders


def holders() -> QuerySet[HolderProfile]:
    return HolderProfile.objects.select_related("verified_by").order_by("full_name", "pk")


def holders_matching(query: str) -> QuerySet[HolderProfile]:
    """Holders by their IIN / BIN (all digits) or part of their name; everyone for nothing."""
    rows = holders()
    if not query:
        return rows
    if query.isdigit():
        return rows.filter(identification_number=query)
    return rows.filter(full_name__icontains=query)


# ------------------------------------------------------------------------------ compliance


def compliance_decisions() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(action__in=COMPLIANCE_ACTIONS).order_by(*NEWEST_FIRST)


def compliance_operations() -> QuerySet[Operation]:
    return (
        Operation.objects.filter(kind__in=COMPLIANCE_KINDS)
        .select_related("transaction")
        .defer("transaction__data", "payload")
        .order_by("-pk")
    )


# ------------------------------------------------------------------------------ reports


def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.filter(chain_id=settings.CHAIN_ID).order_by(
        "-started_at", "-pk"
    )


def reconciliation_differences(run: ReconciliationRun) -> QuerySet[ReconciliationDifference]:
    return run.difference_rows.order_by("pk")


def audit_entries(
    *, action: str = "", actor: str = "", object_type: str = ""
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("actor").order_by(*NEWEST_FIRST)
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(actor_repr=actor)
    if object_type:
        entries = entries.filter(object_type=object_type)
    return entries


@dataclass(frozen=True)
class AnchorShown:
    record: AnchorRecord
    # The hash the log holds today for the anchored entry; empty when it holds none.
    entry_hash: str

    @property
    def matches(self) -> bool:
        return self.entry_hash == self.record.root


@dataclass(frozen=True)
class AuditAnchors:
    """The anchors the registry contract holds, as the node reports them now."""

    # None: no registry is deployed yet.
    records: list[AnchorRecord] | None
    newest: list[AnchorShown] = field(default_factory=list)
    unavailable: bool = False

    @property
    def count(self) -> int:
        return len(self.records or [])


def audit_anchors(*, shown: int = 10) -> AuditAnchors:
    """Every anchor read from the chain, the newest few beside the log's entry at each."""
    try:
        records = audit_anchors_read()
    except ChainUnavailable:
        return AuditAnchors(None, unavailable=True)
    if not records:
        return AuditAnchors(records)
    newest = records[-shown:][::-1]
    hashes = dict(
        AuditEntry.objects.filter(seq__in=[r.seq for r in newest]).values_list("seq", "entry_hash")
    )
    return AuditAnchors(records, [AnchorShown(r, hashes.get(r.seq) or "") for r in newest])


def audit_check_now(anchors: AuditAnchors) -> ChainReport:
    """Walk the whole audit chain now, against every anchor read from the chain (read only;
    the scheduled check keeps its results)."""
    return audit_chain_check(anchors=[record.anchor for record in anchors.records or []])


def daily_volumes(
    *, since: datetime.date, until: datetime.date, token: str = ""
) -> QuerySet[DailyVolume]:
    volumes = DailyVolume.objects.filter(chain_id=settings.CHAIN_ID, day__gte=since, day__lte=until)
    if token:
        volumes = volumes.filter(token_address=token)
    return volumes.order_by("day", "token_address")


def period_totals(*, since: datetime.date, until: datetime.date) -> QuerySet[DailyVolume, Any]:
    """Each asset's issued, redeemed and transferred units and transfers over the period."""
    return (
        DailyVolume.objects.filter(chain_id=settings.CHAIN_ID, day__gte=since, day__lte=until)
        .order_by()
        .values("token_address")
        .annotate(
            minted=Uint256Sum("minted"),
            burned=Uint256Sum("burned"),
            transferred=Uint256Sum("transferred"),
            transfers=Sum("transfers"),
        )
        .order_by("-transfers", "token_address")
    )


def daily_transfer_counts(*, since: datetime.date, until: datetime.date) -> list[tuple[str, int]]:
    """Transfers per day over every asset, for the chart (units differ between assets)."""
    rows = (
        DailyVolume.objects.filter(chain_id=settings.CHAIN_ID, day__gte=since, day__lte=until)
        .order_by()
        .values("day")
        .annotate(count=Sum("transfers"))
        .order_by("day")
    )
    return [(row["day"].isoformat(), int(row["count"] or 0)) for row in rows]


# ------------------------------------------------------------------------------ overview

# The overview's charts and its count of failed operations cover this many days to today.
OVERVIEW_DAYS = 30
# The issuance chart draws the assets that issued most in the period; units differ between
# assets, so each is a series of its own, and a chart of more is unreadable.
CHART_ASSETS = 5
# Altered documents named one by one on the overview; the rest are on the documents list.
ALERTED_DOCUMENTS = 10


@dataclass(frozen=True)
class AssetSupply:
    application: Application
    units: int


@dataclass(frozen=True)
class Totals:
    issuers: int
    verified_permits: int
    issued_assets: int
    holders: int
    verified_holders: int
    # Movements between holders (issues and redemptions are not transfers), as the daily
    # summary counts them.
    transfers: int
    supplies: list[AssetSupply]


def platform_totals() -> Totals:
    """The platform at a glance: who takes part and what is issued and held."""
    chain_id = settings.CHAIN_ID
    issued = list(
        Application.objects.filter(status=Application.Status.ISSUED)
        .exclude(token_address="")
        .select_related("organisation")
        .order_by("symbol", "pk")
    )
    supply = dict(
        TokenBalance.objects.filter(
            chain_id=chain_id, token_address__in=[a.token_address for a in issued]
        )
        .order_by()
        .values("token_address")
        .annotate(units=Uint256Sum("amount"))
        .values_list("token_address", "units")
    )
    transfers = DailyVolume.objects.filter(chain_id=chain_id).aggregate(count=Sum("transfers"))
    return Totals(
        issuers=Organisation.objects.count(),
        verified_permits=Permit.objects.filter(
            status=Permit.Status.ACTIVE, verified_by__isnull=False
        ).count(),
        issued_assets=len(issued),
        holders=HolderProfile.objects.count(),
        verified_holders=HolderProfile.objects.filter(
            verification_status=HolderProfile.Status.VERIFIED
        ).count(),
        transfers=int(transfers["count"] or 0),
        supplies=[AssetSupply(a, int(supply.get(a.token_address) or 0)) for a in issued],
    )


@dataclass(frozen=True)
class Alert:
    """Something the regulator should look into: what is wrong, and where it is explained."""

    kind: str
    text: str
    url: str
    link_text: str | Promise


def altered_documents() -> QuerySet[Document]:
    """Documents whose latest scheduled re-hash did not match the hash recorded at upload."""
    return documents().filter(Q(last_check_ok=False))


def failed_operations(*, since: datetime.datetime) -> QuerySet[Operation]:
    return (
        Operation.objects.filter(
            chain_id=settings.CHAIN_ID, state=Operation.State.FAILED, updated_at__gte=since
        )
        .defer("payload", "result")
        .order_by("-updated_at", "-pk")
    )


def _reconciliation_alerts(run: ReconciliationRun | None) -> list[Alert]:
    if run is None or not run.differences:
        return []
    text = ngettext(
        "The newest reconciliation, at block %(block)s, found %(count)s difference between "
        "the platform's ledger and the chain.",
        "The newest reconciliation, at block %(block)s, found %(count)s differences between "
        "the platform's ledger and the chain.",
        run.differences,
    ) % {"block": run.block_number, "count": run.differences}
    url = reverse("registry-reconciliation-run", args=[run.pk])
    return [Alert("reconciliation", text, url, _("See the differences"))]


def _document_alerts() -> list[Alert]:
    altered = list(altered_documents()[: ALERTED_DOCUMENTS + 1])
    alerts = [
        Alert(
            "document",
            gettext(
                "%(kind)s of %(asset)s no longer has the SHA-256 recorded at upload: "
                "the stored file was altered or lost."
            )
            % {"kind": document.get_kind_display(), "asset": document.application.symbol},
            reverse("registry-document", args=[document.pk]),
            _("See the checks"),
        )
        for document in altered[:ALERTED_DOCUMENTS]
    ]
    if len(altered) > ALERTED_DOCUMENTS:
        alerts.append(
            Alert(
                "document",
                gettext("More documents failed their latest check."),
                reverse("registry-documents"),
                _("All documents"),
            )
        )
    return alerts


def _audit_alerts(last_check: ChainCheck | None) -> list[Alert]:
    alerts = []
    url = reverse("registry-audit")
    if last_check is not None and not last_check.ok:
        alerts.append(
            Alert(
                "audit_chain",
                gettext("The audit log's hash chain is broken: %(problem)s")
                % {"problem": last_check.problem},
                url,
                _("Open the audit log"),
            )
        )
    age = audit_unsealed_age()
    limit = settings.AUDIT_MAX_SEAL_DELAY
    if age is not None and int(age) > limit:
        alerts.append(
            Alert(
                "audit_seal",
                str(health.TEXTS[health.SEAL_OVERDUE])
                % {"age_seconds": int(age), "limit_seconds": limit},
                url,
                _("Open the audit log"),
            )
        )
    return alerts


def _processing_alerts(stall: Stall, failed: int) -> list[Alert]:
    url = reverse("registry-home") + "#processing"
    alerts = []
    if stall.operation_reason:
        alerts.append(
            Alert(
                "operation_stalled",
                gettext("The oldest unfinished operation: %(text)s")
                % {
                    "text": str(health.TEXTS[stall.operation_reason])
                    % {
                        "age_seconds": stall.oldest_unfinished_age,
                        "limit_seconds": stall.stall_seconds,
                    }
                },
                url,
                _("See the processing"),
            )
        )
    if stall.indexer_reason:
        alerts.append(
            Alert(
                "indexer_stalled",
                gettext("The indexer: %(text)s")
                % {
                    "text": str(health.TEXTS[stall.indexer_reason])
                    % {
                        "blocks": stall.indexer_blocks_behind,
                        "seconds": stall.indexer_seconds_behind,
                        "limit_seconds": stall.stall_seconds,
                    }
                },
                url,
                _("See the processing"),
            )
        )
    if failed:
        alerts.append(
            Alert(
                "operation_failed",
                ngettext(
                    "%(count)s operation failed on chain in the last %(days)s days.",
                    "%(count)s operations failed on chain in the last %(days)s days.",
                    failed,
                )
                % {"count": failed, "days": OVERVIEW_DAYS},
                url,
                _("See the processing"),
            )
        )
    return alerts


@dataclass(frozen=True)
class Series:
    label: str
    # Base units of one asset (shown in its units), or counts when ``asset`` is None.
    values: list[int]
    asset: Application | None = None

    def value(self, index: int) -> float:
        # A chart's values as floats: a picture needs no more precision.
        units = self.values[index]
        return units / 10**self.asset.decimals if self.asset else float(units)

    def text(self, index: int) -> str:
        units = self.values[index]
        if self.asset is None:
            return formats.number_format(units, use_l10n=True, force_grouping=True)
        return format_units(units, self.asset.decimals)


@dataclass(frozen=True)
class Chart:
    """A chart's figures: a day per bar and a series per thing measured, drawn by
    ``registry/charts.js`` and listed in a table beside it for those who cannot see it."""

    days: list[datetime.date]
    series: list[Series]

    @property
    def rows(self) -> list[tuple[datetime.date, list[str]]]:
        return [(day, [s.text(i) for s in self.series]) for i, day in enumerate(self.days)]

    def as_json(self) -> dict[str, Any]:
        return {
            "days": [formats.date_format(day, "SHORT_DATE_FORMAT") for day in self.days],
            "series": [
                {"label": s.label, "data": [s.value(i) for i in range(len(self.days))]}
                for s in self.series
            ],
        }


def _days(since: datetime.date, until: datetime.date) -> list[datetime.date]:
    return [since + datetime.timedelta(days=n) for n in range((until - since).days + 1)]


def issuance_chart(*, since: datetime.date, until: datetime.date) -> Chart:
    """Units issued per day by the assets that issued most in the period, each in its units.
    Every day of the period is a bar, none left out for having had no issue."""
    by_token: dict[str, dict[datetime.date, int]] = {}
    for volume in daily_volumes(since=since, until=until).filter(minted__gt=0):
        by_token.setdefault(volume.token_address, {})[volume.day] = int(volume.minted)
    tokens = tokens_by_address()
    known = [t for t in by_token if t in tokens]
    busiest = sorted(known, key=lambda t: (-sum(by_token[t].values()), tokens[t].symbol))
    days = _days(since, until)
    return Chart(
        days,
        [
            Series(
                tokens[token].symbol,
                [by_token[token].get(day, 0) for day in days],
                tokens[token],
            )
            for token in busiest[:CHART_ASSETS]
        ],
    )


def transfers_chart(*, since: datetime.date, until: datetime.date) -> Chart:
    """Transfers between holders per day over every asset (units differ between assets;
    counts add up), every day of the period a bar."""
    counts = dict(daily_transfer_counts(since=since, until=until))
    days = _days(since, until)
    return Chart(
        days, [Series(str(_("Transfers")), [counts.get(day.isoformat(), 0) for day in days])]
    )


def asset_days_chart(volumes: list[DailyVolume], asset: Application) -> Chart:
    """One asset's days that moved: issued, redeemed and transferred units."""
    return Chart(
        [v.day for v in volumes],
        [
            Series(str(pgettext("volume", "Issued")), [int(v.minted) for v in volumes], asset),
            Series(str(_("Redeemed")), [int(v.burned) for v in volumes], asset),
            Series(str(_("Transferred")), [int(v.transferred) for v in volumes], asset),
        ],
    )


def transfer_days_chart(*, since: datetime.date, until: datetime.date) -> Chart:
    """Transfers per day over every asset, the days that had any (a period may span years)."""
    counts = daily_transfer_counts(since=since, until=until)
    return Chart(
        [datetime.date.fromisoformat(day) for day, _count in counts],
        [Series(str(_("Transfers")), [count for _day, count in counts])],
    )


@dataclass(frozen=True)
class Overview:
    totals: Totals
    alerts: list[Alert]
    last_run: ReconciliationRun | None
    last_check: ChainCheck | None
    stall: Stall
    failed_operations: list[Operation]
    failed_count: int
    issuance: Chart
    transfers: Chart
    since: datetime.date
    until: datetime.date
    days: int = OVERVIEW_DAYS


def regulator_overview() -> Overview:
    """What a regulator asks first: how big the platform is, what needs their attention, and
    how issuance and transfers moved over the last days."""
    until = timezone.localdate()
    since = until - datetime.timedelta(days=OVERVIEW_DAYS)
    start = datetime.datetime.combine(
        since, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    last_run = reconciliation_runs().first()
    last_check = ChainCheck.objects.first()
    stall = stall_status(chain_id=settings.CHAIN_ID)
    failed = failed_operations(since=start)
    failed_count = failed.count()
    return Overview(
        totals=platform_totals(),
        alerts=[
            *_reconciliation_alerts(last_run),
            *_document_alerts(),
            *_audit_alerts(last_check),
            *_processing_alerts(stall, failed_count),
        ],
        last_run=last_run,
        last_check=last_check,
        stall=stall,
        failed_operations=list(failed[:5]),
        failed_count=failed_count,
        issuance=issuance_chart(since=since, until=until),
        transfers=transfers_chart(since=since, until=until),
        since=since,
        until=until,
    )


def share_of(units: int, total: int) -> Decimal:
    """A holding's share of the supply, in per cent."""
    return Decimal(units) * 100 / Decimal(total) if total else Decimal(0)
