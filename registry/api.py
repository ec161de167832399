"""The regulator's read-only API: the registry's pages as JSON, with the same filters.

Token (or session) authentication, regulators only; GET and HEAD only (anything else is 405).
Lists page with cursors, so a deep page costs what the first does.
"""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issuance.models import Application, Document
from qoima.audit.labels import action_label
from qoima.audit.models import AuditEntry
from qoima.chain.amounts import units_to_amount
from qoima.chain.client import get_web3
from qoima.chain.models import (
    ComplianceEvent,
    DailyVolume,
    NodeHealth,
    Operation,
    ReconciliationDifference,
    ReconciliationRun,
    TokenTransfer,
)
from qoima.chain.reasons import failure_text
from qoima.enforcement import selectors as enforcement
from qoima.enforcement.models import EnforcementAct, LegalBasis
from qoima.errors import InvalidInput
from qoima.participants.access import api_role_required
from qoima.participants.models import HolderProfile, Organisation, Permit, Role

from . import holdings, selectors, transfers
from .forms import AsOfForm, AuditFilterForm, HolderSearchForm, PeriodForm, TransferSearchForm
from .parties import Party, parties_for

PAGE = 50


class RegistryApi(APIView):
    permission_classes = [IsAuthenticated, api_role_required(Role.REGULATOR)]
    http_method_names = ["get", "head"]


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise InvalidInput(" ".join(str(e) for e in errors), field=field)
    return dict(form.cleaned_data)


def _cursor_pagination(field: str) -> type[CursorPagination]:
    class Pagination(CursorPagination):
        ordering = field
        page_size = PAGE

    return Pagination


# ------------------------------------------------------------------------------ serializers


class PermitOut(serializers.ModelSerializer[Permit]):
    issuer_id_number = serializers.CharField(source="organisation.identification_number")
    verified_by = serializers.CharField(source="verified_by.username", default=None)

    class Meta:
        model = Permit
        fields = [
            "id",
            "number",
            "authority",
            "issued_on",
            "expires_on",
            "status",
            "status_reason",
            "status_document_ref",
            "status_changed_at",
            "verified_by",
            "verified_at",
            "document_sha256",
            "issuer_id_number",
        ]


class IssuerOut(serializers.ModelSerializer[Organisation]):
    permits = PermitOut(many=True)
    verified_by = serializers.CharField(source="verified_by.get_username", default=None)

    class Meta:
        model = Organisation
        fields = ["id", "legal_name", "kind", "identification_number", "registered_address"]
        fields += ["verification_status", "verified_by", "verified_at", "beneficial_owners"]
        fields += ["signatory_name", "registration_sha256", "authority_sha256", "permits"]


class AssetOut(serializers.ModelSerializer[Application]):
    issuer = serializers.CharField(source="organisation.legal_name")
    issuer_id_number = serializers.CharField(source="organisation.identification_number")
    permit = serializers.CharField(source="permit.number", default=None)
    backed_units = serializers.CharField(help_text="Exact, in the token's smallest units")
    backed_amount = serializers.SerializerMethodField(
        help_text="The same in the asset's units, with a point: 1000.00"
    )
    approved_by = serializers.CharField(
        source="approved_by.username", default=None, allow_null=True
    )
    confirmed_by = serializers.CharField(
        source="confirmed_by.username", default=None, allow_null=True
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "name",
            "symbol",
            "asset_class",
            "asset_identifier",
            "status",
            "issuer",
            "issuer_id_number",
            "permit",
            "decimals",
            "backed_units",
            "backed_amount",
            "token_address",
            "submitted_at",
            "approved_by",
            "approved_at",
            "confirmed_by",
            "confirmed_at",
        ]

    def get_backed_amount(self, application: Application) -> str:
        return str(units_to_amount(application.backed_units, application.decimals))


class DocumentOut(serializers.ModelSerializer[Document]):
    asset = serializers.IntegerField(source="application_id")
    last_check_ok = serializers.BooleanField(allow_null=True)
    last_check_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "asset",
            "kind",
            "title",
            "number",
            "dated_on",
            "signatory",
            "sha256",
            "size",
            "content_type",
            "uploaded_at",
            "supersedes",
            "last_check_ok",
            "last_check_at",
        ]


class HolderOut(serializers.ModelSerializer[HolderProfile]):
    verified_by = serializers.CharField(source="verified_by.username", default=None)

    class Meta:
        model = HolderProfile
        fields = ["id", "full_name", "kind", "identification_number", "verification_status"]
        fields += ["verified_by", "verified_at", "status_reason"]


class AuditOut(serializers.ModelSerializer[AuditEntry]):
    """The entry as stored (what its hash covers), and its action in the reader's words. An
    entry awaiting its seal has no ``seq``, ``prev_hash`` or ``entry_hash`` yet."""

    action_label = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = ["seq", "created_at", "actor_repr", "action", "action_label", "object_type"]
        fields += ["object_id", "object_repr", "details", "prev_hash", "entry_hash"]

    def get_action_label(self, entry: AuditEntry) -> str:
        return str(action_label(entry.action))


class _InAssetUnits(serializers.ModelSerializer[Any]):
    """A row whose units of a token are also given in the asset's units (exact, with a point;
    null for a token the platform did not issue). Its view puts the assets in the context."""

    def _amount(self, row: Any, field: str) -> str | None:
        units = getattr(row, field)
        assets: dict[str, Application] = self.context.get("assets", {})
        return None if units is None else _amount(units, assets.get(row.token_address))


class _AssetsInContext:
    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
        return {**context, "assets": selectors.tokens_by_address()}


class OperationOut(_InAssetUnits):
    amount_in_asset_units = serializers.SerializerMethodField()
    failure_reason = serializers.SerializerMethodField(
        help_text="Why the operation failed, in the request's language (blank unless it failed)."
    )

    class Meta:
        model = Operation
        fields = ["id", "kind", "token_address", "sender", "receiver", "account", "amount"]
        fields += ["amount_in_asset_units", "reason_hash", "state", "failure_code"]
        fields += ["failure_reason", "created_at"]

    def get_amount_in_asset_units(self, operation: Operation) -> str | None:
        return self._amount(operation, "amount")

    def get_failure_reason(self, operation: Operation) -> str:
        return failure_text(operation) if operation.state == Operation.State.FAILED else ""


class LegalBasisOut(serializers.ModelSerializer[LegalBasis]):
    kind_label = serializers.CharField(source="get_kind_display")
    sha256 = serializers.CharField(source="document_sha256")

    class Meta:
        model = LegalBasis
        fields = ["id", "kind", "kind_label", "number", "issued_on", "authority", "sha256"]


class ComplianceEventOut(serializers.ModelSerializer[ComplianceEvent]):
    class Meta:
        model = ComplianceEvent
        fields = ["kind", "contract", "account", "amount", "reason_hash", "block_number"]
        fields += ["tx_hash", "log_index"]


class EnforcementActOut(serializers.ModelSerializer[EnforcementAct]):
    kind_label = serializers.CharField(source="get_kind_display")
    state_label = serializers.CharField(source="get_state_display")
    wallet = serializers.CharField(source="wallet.address", default="")
    receiver_wallet = serializers.CharField(source="receiver_wallet.address", default="")
    units = serializers.CharField(source="amount", allow_null=True)
    legal_basis = LegalBasisOut()
    requested_by = serializers.CharField(source="requested_by.get_username")
    confirmed_by = serializers.CharField(source="confirmed_by.get_username", default="")
    tx_hash = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta:
        model = EnforcementAct
        fields = ["id", "kind", "kind_label", "state", "state_label", "wallet"]
        fields += ["receiver_wallet", "token_address", "units", "reason", "legal_basis"]
        fields += ["requested_by", "confirmed_by", "created_at", "operation", "tx_hash", "events"]

    # ``on_chain`` is read for the whole page at once (``ComplianceActList``).
    def get_tx_hash(self, act: EnforcementAct) -> str:
        on_chain = getattr(act, "on_chain", None)
        return on_chain.tx_hash if on_chain else ""

    @extend_schema_field(ComplianceEventOut(many=True))
    def get_events(self, act: EnforcementAct) -> list[dict[str, Any]]:
        on_chain = getattr(act, "on_chain", None)
        events = on_chain.events if on_chain else []
        return list(ComplianceEventOut(events, many=True).data)


class RunOut(serializers.ModelSerializer[ReconciliationRun]):
    class Meta:
        model = ReconciliationRun
        fields = ["id", "started_at", "block_number", "token_address", "tokens_checked"]
        fields += ["holders_checked", "refs_checked", "differences"]


class DifferenceOut(serializers.ModelSerializer[ReconciliationDifference]):
    class Meta:
        model = ReconciliationDifference
        fields = ["id", "kind", "token_address", "subject", "database_value", "chain_value"]


class VolumeOut(_InAssetUnits):
    minted = serializers.CharField()
    burned = serializers.CharField()
    transferred = serializers.CharField()
    minted_amount = serializers.SerializerMethodField()
    burned_amount = serializers.SerializerMethodField()
    transferred_amount = serializers.SerializerMethodField()

    class Meta:
        model = DailyVolume
        fields = ["day", "token_address", "minted", "burned", "transferred", "transfers"]
        fields += ["minted_amount", "burned_amount", "transferred_amount"]

    def get_minted_amount(self, volume: DailyVolume) -> str | None:
        return self._amount(volume, "minted")

    def get_burned_amount(self, volume: DailyVolume) -> str | None:
        return self._amount(volume, "burned")

    def get_transferred_amount(self, volume: DailyVolume) -> str | None:
        return self._amount(volume, "transferred")


def _party(party: Party) -> dict[str, Any]:
    return {
        "address": party.address,
        "kind": party.kind,
        "name": str(party.name),
        "identification_number": party.identification_number,
    }


def _amount(units: Any, application: Application | None) -> str | None:
    """Units in the asset's units (exact, with a point); None for a token the platform did not
    issue, whose decimal places it does not know."""
    return None if application is None else str(units_to_amount(units, application.decimals))


def _transfer_out(
    transfer: TokenTransfer,
    parties: dict[str, Party],
    times: dict[int, Any],
    head: int | None,
    assets: dict[str, Application],
) -> dict[str, Any]:
    time = times.get(transfer.block_number)
    return {
        "id": transfer.pk,
        "token_address": transfer.token_address,
        "time": time.isoformat() if time else None,
        "sender": _party(parties[transfer.sender]),
        "receiver": _party(parties[transfer.receiver]),
        "units": str(int(transfer.amount)),
        "amount": _amount(transfer.amount, assets.get(transfer.token_address)),
        "reference": None if transfer.ref is None else str(int(transfer.ref)),
        "tx_hash": transfer.tx_hash,
        "block_number": transfer.block_number,
        "block_hash": transfer.block_hash,
        "log_index": transfer.log_index,
        "confirmations": None if head is None else max(0, head - transfer.block_number + 1),
    }


def _head() -> int | None:
    node = NodeHealth.objects.filter(chain_id=settings.CHAIN_ID).first()
    return node.block_number if node else None


# ------------------------------------------------------------------------------ lists


class IssuerList(RegistryApi, ListAPIView[Organisation]):
    serializer_class = IssuerOut
    pagination_class = _cursor_pagination("id")

    def get_queryset(self) -> QuerySet[Organisation]:
        return Organisation.objects.select_related("verified_by").prefetch_related(
            Prefetch("permits", queryset=Permit.objects.select_related("verified_by"))
        )


class PermitList(RegistryApi, ListAPIView[Permit]):
    serializer_class = PermitOut
    pagination_class = _cursor_pagination("-id")

    def get_queryset(self) -> QuerySet[Permit]:
        return Permit.objects.select_related("organisation", "verified_by")


class AssetList(RegistryApi, ListAPIView[Application]):
    serializer_class = AssetOut
    pagination_class = _cursor_pagination("-id")

    def get_queryset(self) -> QuerySet[Application]:
        return selectors.assets()


class AssetDetail(RegistryApi):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="An asset, its review and its token")
    def get(self, request: Request, application_id: int) -> Response:
        application = get_object_or_404(selectors.assets(), pk=application_id)
        comparison = selectors.asset_onchain(application, w3=get_web3())
        supply = (
            selectors.ledger_supply(application.token_address)
            if application.token_address
            else None
        )
        return Response(
            {
                **AssetOut(application).data,
                "checklist": [
                    {
                        "item": i.number,
                        "requirement": str(i.text),
                        "confirmed": i.confirmed,
                        "evidence": [
                            {"code": e.code, "label": str(e.label), "value": e.text}
                            for e in i.evidence
                        ],
                    }
                    for i in selectors.asset_checklist(application).items
                ],
                "reviews": [
                    {
                        "action": r.action,
                        "by": r.actor.get_username(),
                        "revision": r.revision,
                        "note": r.note,
                        "at": r.created_at,
                    }
                    for r in selectors.asset_reviews(application)
                ],
                "ledger_supply": str(supply) if supply is not None else None,
                "ledger_supply_amount": _amount(supply, application)
                if supply is not None
                else None,
                "onchain": {
                    "unavailable": comparison.unavailable,
                    "facts": [
                        {
                            "label": str(f.label),
                            "database": f.value("database", for_people=False),
                            "chain": f.value("chain", for_people=False),
                            "matches": f.matches,
                        }
                        for f in comparison.facts
                    ],
                },
            }
        )


class CapTableApi(RegistryApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("block", int, description="As of this block"),
            OpenApiParameter("date", OpenApiTypes.DATE, description="As of the end of this day"),
            OpenApiParameter("page", int),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="The asset's holders, largest first",
    )
    def get(self, request: Request, application_id: int) -> Response:
        application = get_object_or_404(
            selectors.assets().exclude(token_address=""), pk=application_id
        )
        data = _valid(AsOfForm(request.query_params))
        block = data.get("block")
        page = data.get("page") or 1
        table = holdings.cap_table(
            application.token_address, block=block, offset=(page - 1) * PAGE, limit=PAGE
        )
        parties = parties_for({row.address for row in table.rows})
        more = page * PAGE < table.holders
        return Response(
            {
                "block": table.block,
                "holders": table.holders,
                "total_units": str(table.total_units),
                "total_amount": _amount(table.total_units, application),
                "next": _next(request, {"page": page + 1}) if more else None,
                "results": [
                    {
                        **_party(parties[row.address]),
                        "units": str(row.units),
                        "amount": _amount(row.units, application),
                    }
                    for row in table.rows
                ],
            }
        )


def _next(request: Request, changes: dict[str, Any]) -> str:
    query = {**request.query_params.dict(), **changes}
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")


class DocumentList(RegistryApi, ListAPIView[Document]):
    serializer_class = DocumentOut
    pagination_class = _cursor_pagination("-id")

    def get_queryset(self) -> QuerySet[Document]:
        return selectors.documents()


class DocumentRehashApi(RegistryApi):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Re-hash the stored file now")
    def get(self, request: Request, document_id: int) -> Response:
        document = get_object_or_404(selectors.documents(), pk=document_id)
        result = selectors.document_rehash(document, w3=get_web3())
        return Response(
            {
                "id": document.pk,
                "recorded_sha256": document.sha256,
                "file_sha256": result.file_sha256 or None,
                "chain_sha256": result.chain_sha256,
                "file_matches": result.file_matches,
                "chain_matches": result.chain_matches,
                "ok": result.ok,
                "problems": [str(p) for p in result.problems],
            }
        )


class TransferList(RegistryApi):
    @extend_schema(
        parameters=[
            OpenApiParameter("asset", int, description="Asset (application) id"),
            OpenApiParameter("party", str, description="IIN / BIN, address or part of a name"),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("min_amount", str, description="In the asset's units; needs asset"),
            OpenApiParameter("max_amount", str, description="In the asset's units; needs asset"),
            OpenApiParameter("reference", int, description="The platform's reference"),
            OpenApiParameter("before", int, description="Cursor: the next page's transfers"),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Transfers, newest first",
        operation_id="registry_transfers_list",
    )
    def get(self, request: Request) -> Response:
        form = TransferSearchForm(request.query_params)
        _valid(form)
        page = transfers.transfers_page(
            form.filters(), before=form.cleaned_data.get("before"), limit=PAGE
        )
        parties = parties_for({t.sender for t in page.items} | {t.receiver for t in page.items})
        times = transfers.block_times({t.block_number for t in page.items})
        head = _head()
        assets = selectors.tokens_by_address()
        return Response(
            {
                "next": _next(request, {"before": page.next_before}) if page.next_before else None,
                "results": [_transfer_out(t, parties, times, head, assets) for t in page.items],
            }
        )


class TransferDetail(RegistryApi):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="A transfer and the platform's record")
    def get(self, request: Request, transfer_id: int) -> Response:
        found = get_object_or_404(TokenTransfer, pk=transfer_id, chain_id=settings.CHAIN_ID)
        record = selectors.transfer_record(found)
        return Response(
            {
                **_transfer_out(
                    found,
                    parties_for({found.sender, found.receiver}),
                    transfers.block_times({found.block_number}),
                    _head(),
                    selectors.tokens_by_address(),
                ),
                "operation": None
                if record.operation is None
                else {
                    "id": record.operation.pk,
                    "kind": record.operation.kind,
                    "state": record.operation.state,
                    "purpose": record.operation.purpose,
                },
                "origin": str(record.purpose),
            }
        )


class TransferVerifyApi(RegistryApi):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Check the transfer on chain now")
    def get(self, request: Request, transfer_id: int) -> Response:
        found = get_object_or_404(TokenTransfer, pk=transfer_id, chain_id=settings.CHAIN_ID)
        proof = selectors.transfer_proof(found, w3=get_web3())
        if proof is None:
            return Response({"id": found.pk, "node_answered": False, "ok": None})
        return Response(
            {
                "id": found.pk,
                "node_answered": True,
                "ok": proof.ok,
                "found": proof.found,
                "status": proof.status,
                "block_number": proof.block_number,
                "block_hash": proof.block_hash,
                "confirmations": proof.confirmations,
                "mismatches": {
                    name: {"stored": stored, "chain": onchain}
                    for name, (stored, onchain) in proof.mismatches.items()
                },
            }
        )


class HolderList(RegistryApi, ListAPIView[HolderProfile]):
    serializer_class = HolderOut
    pagination_class = _cursor_pagination("id")

    @extend_schema(parameters=[OpenApiParameter("q", str, description="IIN / BIN or name")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[HolderProfile]:
        return selectors.holders_matching(_valid(HolderSearchForm(self.request.query_params))["q"])


class ComplianceList(RegistryApi, ListAPIView[AuditEntry]):
    """Compliance decisions (permits, holders) with their reasons, newest first."""

    serializer_class = AuditOut
    # Newest first by id: an entry awaiting its seal has no number yet.
    pagination_class = _cursor_pagination("-id")

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return selectors.compliance_decisions()


class ComplianceOperationList(_AssetsInContext, RegistryApi, ListAPIView[Operation]):
    """On-chain compliance acts (freezes, forced transfers, pauses) with their legal basis."""

    serializer_class = OperationOut
    pagination_class = _cursor_pagination("-id")

    def get_queryset(self) -> QuerySet[Operation]:
        return selectors.compliance_operations()


class ComplianceActList(RegistryApi, ListAPIView[EnforcementAct]):
    """Acts of enforcement with their legal document (its SHA-256) and the on-chain events that
    carry that hash, newest first."""

    serializer_class = EnforcementActOut
    pagination_class = _cursor_pagination("-id")

    def get_queryset(self) -> QuerySet[EnforcementAct]:
        return enforcement.acts_for_officers()

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        return None if page is None else enforcement.with_proof(list(page))


class ReconciliationList(RegistryApi, ListAPIView[ReconciliationRun]):
    serializer_class = RunOut
    pagination_class = _cursor_pagination("-id")

    def get_queryset(self) -> QuerySet[ReconciliationRun]:
        return selectors.reconciliation_runs()


class ReconciliationDifferenceList(RegistryApi, ListAPIView[ReconciliationDifference]):
    serializer_class = DifferenceOut
    pagination_class = _cursor_pagination("id")

    def get_queryset(self) -> QuerySet[ReconciliationDifference]:
        run = get_object_or_404(
            ReconciliationRun, pk=self.kwargs["run_id"], chain_id=settings.CHAIN_ID
        )
        return selectors.reconciliation_differences(run)


class AuditList(RegistryApi, ListAPIView[AuditEntry]):
    serializer_class = AuditOut
    # Newest first by id: an entry awaiting its seal has no number yet.
    pagination_class = _cursor_pagination("-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("action", str, description="Actions starting with this"),
            OpenApiParameter("actor", str),
            OpenApiParameter("object_type", str),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AuditEntry]:
        data = _valid(AuditFilterForm(self.request.query_params))
        return selectors.audit_entries(
            action=data["action"], actor=data["actor"], object_type=data["object_type"]
        )


class DailyVolumeList(_AssetsInContext, RegistryApi, ListAPIView[DailyVolume]):
    serializer_class = VolumeOut
    pagination_class = _cursor_pagination("day")

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("asset", int),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[DailyVolume]:
        form = PeriodForm(self.request.query_params)
        _valid(form)
        since, until = form.period()
        asset = form.cleaned_data.get("asset")
        return selectors.daily_volumes(
            since=since, until=until, token=asset.token_address if asset else ""
        ).order_by()
