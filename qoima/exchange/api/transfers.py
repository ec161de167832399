from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qoima.chain.amounts import units_to_amount
from qoima.chain.models import Operation
from qoima.chain.reasons import failure_text
from qoima.custody.selectors import custodial_wallet
from qoima.errors import InvalidInput, NotFound
from qoima.participants.access import api_role_required, current_user, holder_for
from qoima.participants.models import HolderProfile, Role
from qoima.throttling import throttle

from .. import services
from ..models import Transfer
from ..selectors import transfers as selectors

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The client's key for this transfer: the same request with the same key "
    "returns the first transfer and moves nothing again.",
)


class TransferIn(serializers.Serializer[Any]):
    asset = serializers.CharField(max_length=64, help_text="The asset's token address.")
    to = serializers.CharField(max_length=32, help_text="The receiving holder's IIN / BIN.")
    amount = serializers.CharField(max_length=100, help_text="In the asset's units, e.g. 12.50.")


class TransferOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    asset = serializers.CharField()
    symbol = serializers.CharField()
    sender = serializers.CharField(help_text="The sending holder's IIN / BIN.")
    receiver = serializers.CharField(help_text="The receiving holder's IIN / BIN.")
    amount = serializers.CharField()
    state = serializers.ChoiceField(choices=Operation.State.choices)
    failure_code = serializers.CharField(
        help_text="Why the transfer failed, as a code (blank unless it failed)."
    )
    failure_reason = serializers.CharField(
        help_text="Why the transfer failed, in the request's language (blank unless it failed)."
    )
    tx_hash = serializers.CharField(allow_null=True)
    block_number = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


def _shown(transfers: list[Transfer]) -> list[dict[str, Any]]:
    tokens = selectors.transfer_tokens(transfers)
    shown = []
    for transfer in transfers:
        token = tokens.get(transfer.token_address)
        shown.append(
            {
                "id": transfer.pk,
                "asset": transfer.token_address,
                "symbol": token.symbol if token else "",
                "sender": transfer.sender.identification_number,
                "receiver": transfer.receiver.identification_number,
                "amount": str(units_to_amount(transfer.amount, token.decimals if token else 0)),
                "state": transfer.operation.state,
                "failure_code": transfer.operation.failure_code,
                "failure_reason": (
                    failure_text(transfer.operation)
                    if transfer.operation.state == Operation.State.FAILED
                    else ""
                ),
                "tx_hash": getattr(transfer, "tx_hash", None),
                "block_number": getattr(transfer, "block_number", None),
                "created_at": transfer.created_at,
            }
        )
    return list(TransferOut(shown, many=True).data)


def _holder(request: Request) -> HolderProfile:
    return holder_for(current_user(request))


class TransferListApi(APIView):
    """The transfers the holder requested or was sent by another holder, with their live
    state; a new transfer to another verified holder. Every movement of the holder's wallets
    (issues, distributions, redemptions, transfers from outside the platform as well) is
    ``/api/v1/wallet/history/``."""

    permission_classes = [IsAuthenticated, api_role_required(Role.HOLDER)]

    def get_throttles(self) -> list[Any]:
        if self.request.method != "POST":
            return []
        return [throttle("transfer")(), throttle("recipient")()]

    @extend_schema(responses={200: TransferOut(many=True)})
    def get(self, request: Request) -> Response:
        transfers = list(selectors.holder_transfers(_holder(request))[:200])
        return Response(_shown(transfers))

    @extend_schema(
        request=TransferIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: TransferOut, 200: TransferOut},
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise InvalidInput(
                _("The Idempotency-Key header is required."), field="idempotency_key"
            )
        data_in = TransferIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        transfer, created = services.transfer_request(
            actor=current_user(request),
            token_address=data_in.validated_data["asset"],
            receiver_number=data_in.validated_data["to"],
            amount=data_in.validated_data["amount"],
            idempotency_key=key,
        )
        shown = selectors.holder_transfers(transfer.sender).get(pk=transfer.pk)
        return Response(
            _shown([shown])[0], status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class TransferDetailApi(APIView):
    permission_classes = [IsAuthenticated, api_role_required(Role.HOLDER)]

    @extend_schema(responses={200: TransferOut})
    def get(self, request: Request, transfer_id: int) -> Response:
        transfer = selectors.holder_transfers(_holder(request)).filter(pk=transfer_id).first()
        if transfer is None:
            raise NotFound()
        return Response(_shown([transfer])[0])


class HoldingOut(serializers.Serializer[Any]):
    asset = serializers.CharField(source="token.address")
    symbol = serializers.CharField(source="token.symbol")
    name = serializers.CharField(source="token.name")
    decimals = serializers.IntegerField(source="token.decimals")
    # Strings with exactly the asset's decimal places, as the chain counts them.
    balance = serializers.CharField()
    reserved = serializers.CharField()
    available = serializers.CharField()


class WalletOut(serializers.Serializer[Any]):
    address = serializers.CharField()
    holdings = HoldingOut(many=True)


class WalletApi(APIView):
    """The holder's custodial wallet and what it holds."""

    permission_classes = [IsAuthenticated, api_role_required(Role.HOLDER)]

    @extend_schema(responses={200: WalletOut})
    def get(self, request: Request) -> Response:
        wallet = custodial_wallet(_holder(request))
        if wallet is None:
            raise NotFound()
        return Response(
            WalletOut(
                {"address": wallet.address, "holdings": selectors.wallet_holdings(wallet)}
            ).data
        )


class MovementOut(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=list(selectors.MOVEMENT_KINDS.items()),
        help_text="transfer: between holders; distribution: from or to an issuer; issuance: "
        "minted; redemption: burned; forced: a compliance order; external: logged on-chain "
        "with no request on the platform (a wallet outside it).",
    )
    kind_label = serializers.CharField(help_text="The kind in the reader's language.")
    direction = serializers.ChoiceField(choices=[("in", "in"), ("out", "out")])
    asset = serializers.CharField(source="token_address")
    symbol = serializers.CharField()
    counterparty = serializers.CharField(
        help_text="The other party's name (a holder's or issuer's), \"issuance\" or "
        '"redemption" in the reader\'s language, or an address outside the platform.'
    )
    counterparty_id_number = serializers.CharField(
        source="counterparty_number", help_text="The other party's IIN / BIN, when it has one."
    )
    amount = serializers.CharField(help_text="In the asset's units, e.g. 12.50.")
    state = serializers.ChoiceField(choices=Operation.State.choices)
    state_label = serializers.CharField()
    failure_reason = serializers.CharField()
    tx_hash = serializers.CharField(allow_null=True)
    block_number = serializers.IntegerField(allow_null=True)
    time = serializers.DateTimeField(
        source="at",
        allow_null=True,
        help_text="The block's time for a movement on-chain; the request's while it waits.",
    )
    transfer_id = serializers.IntegerField(
        allow_null=True, help_text="The transfer request's id, for /api/v1/transfers/{id}/."
    )


class WalletHistoryApi(APIView):
    """Every movement of the holder's wallets, in and out, newest first."""

    permission_classes = [IsAuthenticated, api_role_required(Role.HOLDER)]

    @extend_schema(responses={200: MovementOut(many=True)})
    def get(self, request: Request) -> Response:
        history = selectors.holder_history(_holder(request), limit=200)
        shown = [
            {
                "kind": movement.kind,
                "kind_label": str(movement.kind_label),
                "direction": movement.direction,
                "token_address": movement.token_address,
                "symbol": movement.token.symbol if movement.token else "",
                "counterparty": str(movement.counterparty),
                "counterparty_number": movement.counterparty_number,
                "amount": str(movement.amount_decimal),
                "state": movement.state,
                "state_label": str(movement.state_label),
                "failure_reason": movement.failure_reason,
                "tx_hash": movement.tx_hash,
                "block_number": movement.block_number,
                "at": movement.at,
                "transfer_id": movement.transfer_id,
            }
            for movement in history
        ]
        return Response(MovementOut(shown, many=True).data)
