"""Orders and fills for members: verified holders, and issuers selling their own units.

Prices are strings in tenge with two decimal places (``"1234.50"``) and, beside them, whole
tiyn; quantities are strings in the asset's units with exactly its decimal places.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qoima.chain.amounts import units_to_amount
from qoima.chain.models import PlatformToken
from qoima.errors import NotFound
from qoima.participants.access import api_role_required, current_user
from qoima.participants.models import Role
from qoima.throttling import throttle

from .. import services
from ..models import Order, OrderChange, Trade
from ..selectors import orders as selectors
from ..services import orders as order_services

TRADERS = (Role.HOLDER, Role.ISSUER_STAFF)
MAX_ID = 2**63 - 1
SHOWN = 200


def _tenge(tiyn: int) -> str:
    return str(units_to_amount(tiyn, 2))


class OrderIn(serializers.Serializer[Any]):
    market = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    client_order_id = serializers.CharField(
        max_length=64,
        help_text="The client's own id for this order: sending the same order again with it "
        "returns the first order and holds nothing more.",
    )
    side = serializers.ChoiceField(choices=Order.Side.choices)
    type = serializers.ChoiceField(choices=Order.Type.choices, default=Order.Type.LIMIT)
    time_in_force = serializers.ChoiceField(
        choices=Order.TimeInForce.choices,
        default=Order.TimeInForce.GTC,
        help_text="A market order is always immediate-or-cancel.",
    )
    post_only = serializers.BooleanField(default=False)
    price = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="Tenge per whole token, e.g. 1234.50; not used by a market order.",
    )
    quantity = serializers.CharField(max_length=100, help_text="In the asset's units, e.g. 12.50.")
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Required for good-till-date orders."
    )


class AmendIn(serializers.Serializer[Any]):
    price = serializers.CharField(max_length=40, required=False, allow_blank=True)
    quantity = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The order's new whole quantity, filled units included.",
    )


class OrderOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    market = serializers.IntegerField()
    symbol = serializers.CharField()
    client_order_id = serializers.CharField()
    side = serializers.ChoiceField(choices=Order.Side.choices)
    type = serializers.ChoiceField(choices=Order.Type.choices)
    time_in_force = serializers.ChoiceField(choices=Order.TimeInForce.choices)
    post_only = serializers.BooleanField()
    price = serializers.CharField(help_text="Tenge per whole token.")
    price_tiyn = serializers.IntegerField()
    quantity = serializers.CharField()
    filled = serializers.CharField()
    held = serializers.CharField(help_text="Tenge still held for a buy (the fee included).")
    reserved = serializers.CharField(help_text="Units still reserved for a sell.")
    state = serializers.ChoiceField(choices=Order.State.choices)
    state_label = serializers.CharField()
    reason = serializers.CharField()
    cancel_requested = serializers.BooleanField()
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


# One order rendered by a serializer bound once: a new serializer deep-copies its fields, which
# costs more than the rendering, and rendering only reads them.
ORDER_OUT = OrderOut()


class OrderChangeOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=OrderChange.Kind.choices)
    state = serializers.ChoiceField(choices=OrderChange.State.choices)
    new_price = serializers.CharField(allow_null=True)
    new_quantity = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class FillOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    market = serializers.IntegerField()
    symbol = serializers.CharField()
    order = serializers.IntegerField(help_text="The member's own order in this trade.")
    side = serializers.ChoiceField(choices=Order.Side.choices)
    liquidity = serializers.ChoiceField(
        choices=[("maker", "maker"), ("taker", "taker")],
        help_text="maker: the member's order rested in the book; taker: it met a resting one.",
    )
    price = serializers.CharField()
    quantity = serializers.CharField()
    amount = serializers.CharField(help_text="Tenge: price × quantity.")
    fee = serializers.CharField(help_text="Tenge: the member's fee.")
    state = serializers.ChoiceField(choices=Trade.State.choices)
    state_label = serializers.CharField()
    reason = serializers.CharField(
        help_text="Why a broken trade broke: its failed transfer's reason code; else empty."
    )
    reason_label = serializers.CharField(help_text="The same in words; empty unless broken.")
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)


def _order_shown(
    order: Order, cancel_requested: bool = False, token: PlatformToken | None = None
) -> dict[str, Any]:
    token = token or order.market.token
    return {
        "id": order.pk,
        "market": order.market_id,
        "symbol": token.symbol,
        "client_order_id": order.client_order_id,
        "side": order.side,
        "type": order.type,
        "time_in_force": order.time_in_force,
        "post_only": order.post_only,
        "price": _tenge(order.price),
        "price_tiyn": order.price,
        "quantity": str(units_to_amount(int(order.quantity), token.decimals)),
        "filled": str(units_to_amount(int(order.filled), token.decimals)),
        "held": _tenge(order.held_tiyn),
        "reserved": str(units_to_amount(int(order.reserved_units), token.decimals)),
        "state": order.state,
        "state_label": str(order.get_state_display()),
        "reason": order.reason,
        "cancel_requested": cancel_requested,
        "expires_at": order.expires_at,
        "created_at": order.created_at,
        "closed_at": order.closed_at,
    }


def _orders_out(orders: list[Order]) -> list[dict[str, Any]]:
    waiting = set(
        OrderChange.objects.filter(
            order__in=[order.pk for order in orders],
            kind=OrderChange.Kind.CANCEL,
            state=OrderChange.State.RECEIVED,
        ).values_list("order_id", flat=True)
    )
    return list(OrderOut([_order_shown(o, o.pk in waiting) for o in orders], many=True).data)


def _change_out(change: OrderChange) -> dict[str, Any]:
    order = Order.objects.select_related("market__token").get(pk=change.order_id)
    decimals = order.market.token.decimals
    return dict(
        OrderChangeOut(
            {
                "id": change.pk,
                "order": change.order_id,
                "kind": change.kind,
                "state": change.state,
                "new_price": _tenge(change.new_price) if change.new_price else None,
                "new_quantity": (
                    str(units_to_amount(int(change.new_quantity), decimals))
                    if change.new_quantity
                    else None
                ),
                "created_at": change.created_at,
            }
        ).data
    )


def _member_orders(request: Request) -> Any:
    return selectors.member_orders(order_services.member_of(current_user(request)))


class OrderFilter(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=Order.State.choices, required=False)
    market = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class OrderListApi(APIView):
    """The member's orders, newest first; a new order, durable (its cash held or its units
    reserved) when the answer comes. The market's matcher then takes it: read its state here."""

    permission_classes = [IsAuthenticated, api_role_required(*TRADERS)]

    def get_throttles(self) -> list[Any]:
        return [throttle("order")()] if self.request.method == "POST" else []

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=Order.State.values, required=False),
            OpenApiParameter("market", int, required=False),
        ],
        responses={200: OrderOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = OrderFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        orders = selectors.member_orders(
            order_services.member_of(current_user(request)),
            market=filters.validated_data.get("market"),
            state=filters.validated_data.get("state"),
        )
        return Response(_orders_out(list(orders[:SHOWN])))

    @extend_schema(request=OrderIn, responses={201: OrderOut, 200: OrderOut})
    def post(self, request: Request) -> Response:
        data_in = OrderIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        # The amounts are parsed against the market the placement reads (no read of it here).
        typed = order_services.Typed(
            data.get("price") if data["type"] == Order.Type.LIMIT else None, data["quantity"]
        )
        order, created = services.order_place(
            actor=current_user(request),
            market_id=data["market"],
            client_order_id=data["client_order_id"],
            side=data["side"],
            type=data["type"],
            time_in_force=data["time_in_force"],
            post_only=data["post_only"],
            expires_at=data.get("expires_at"),
            typed=typed,
        )
        if not created:
            # A resubmission answers with the first order as it stands now.
            shown = _member_orders(request).get(pk=order.pk)
            return Response(_orders_out([shown])[0], status=status.HTTP_200_OK)
        # A new order is shown as accepted, from the row just written (no second read): its
        # id was unknown until now, so no cancellation can be waiting for it.
        return Response(
            ORDER_OUT.to_representation(_order_shown(order, token=order.market.token)),
            status=status.HTTP_201_CREATED,
        )


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated, api_role_required(*TRADERS)]

    @extend_schema(responses={200: OrderOut})
    def get(self, request: Request, order_id: int) -> Response:
        order = _member_orders(request).filter(pk=order_id).first()
        if order is None:
            raise NotFound(_("No such order."))
        return Response(_orders_out([order])[0])


class OrderCancelApi(APIView):
    """Ask for the order's cancellation: the matcher takes it out of the book and releases
    what it holds; the order's state says when."""

    permission_classes = [IsAuthenticated, api_role_required(*TRADERS)]

    @extend_schema(request=None, responses={202: OrderChangeOut})
    def post(self, request: Request, order_id: int) -> Response:
        change = services.order_cancel(actor=current_user(request), order_id=order_id)
        return Response(_change_out(change), status=status.HTTP_202_ACCEPTED)


class OrderAmendApi(APIView):
    """Ask for a new price and/or quantity; more cash or units needed are held at once."""

    permission_classes = [IsAuthenticated, api_role_required(*TRADERS)]

    @extend_schema(request=AmendIn, responses={202: OrderChangeOut})
    def post(self, request: Request, order_id: int) -> Response:
        data_in = AmendIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        order = _member_orders(request).filter(pk=order_id).first()
        if order is None:
            raise NotFound(_("No such order."))
        price_text = (data_in.validated_data.get("price") or "").strip()
        quantity_text = (data_in.validated_data.get("quantity") or "").strip()
        change = services.order_amend(
            actor=current_user(request),
            order_id=order_id,
            new_price=order_services.price_parse(price_text) if price_text else None,
            new_quantity=(
                order_services.quantity_parse(order.market, quantity_text)
                if quantity_text
                else None
            ),
        )
        return Response(_change_out(change), status=status.HTTP_202_ACCEPTED)


class FillListApi(APIView):
    """The member's trades, newest first: each settles on-chain (``pending``) and turns
    ``final`` when its transfer confirms, or ``broken`` when it fails."""

    permission_classes = [IsAuthenticated, api_role_required(*TRADERS)]

    def get_throttles(self) -> list[Any]:
        return [throttle("order")()] if self.request.method == "POST" else []

    @extend_schema(
        parameters=[OpenApiParameter("market", int, required=False)],
        responses={200: FillOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = OrderFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        member = order_services.member_of(current_user(request))
        trades = list(
            selectors.member_fills(member, market=filters.validated_data.get("market"))[:SHOWN]
        )
        shown = []
        for trade in trades:
            buying = member is not None and trade.buyer_id == member.pk
            side = Order.Side.BUY if buying else Order.Side.SELL
            decimals = trade.market.token.decimals
            shown.append(
                {
                    "id": trade.pk,
                    "market": trade.market_id,
                    "symbol": trade.market.token.symbol,
                    "order": trade.buy_order_id if buying else trade.sell_order_id,
                    "side": side,
                    "liquidity": "maker" if trade.maker_side == side else "taker",
                    "price": _tenge(trade.price),
                    "quantity": str(units_to_amount(int(trade.quantity), decimals)),
                    "amount": _tenge(trade.amount_tiyn),
                    "fee": _tenge(trade.buyer_fee_tiyn if buying else trade.seller_fee_tiyn),
                    "state": trade.state,
                    "state_label": str(trade.get_state_display()),
                    "reason": trade.reason if trade.state == Trade.State.BROKEN else "",
                    "reason_label": selectors.trade_broken_reason(trade),
                    "created_at": trade.created_at,
                    "settled_at": trade.settled_at,
                }
            )
        return Response(FillOut(shown, many=True).data)
