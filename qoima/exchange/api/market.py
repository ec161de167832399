"""Market data for every signed-in user: the markets, each one's book, trades, candles and
ticker. Prices are tiyn per whole token; ``units`` are the token's base units (a string: they
are uint256), ``quantity`` the same in the asset's units."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qoima.chain.amounts import units_to_amount
from qoima.errors import InvalidInput, NotFound

from ..models import Market, Order, Trade
from ..selectors import market as selectors


def _market(market_id: int) -> Market:
    found = selectors.markets().filter(pk=market_id).first()
    if found is None:
        raise NotFound(_("There is no such market."))
    return found


def _whole(request: Request, name: str, default: int, highest: int) -> int:
    """A whole-number query parameter from 1 to ``highest``; anything else is refused."""
    text = request.query_params.get(name, "")
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or not 0 < int(text) <= highest:
        raise InvalidInput(
            _("%(name)s must be a whole number from 1 to %(highest)s.")
            % {"name": name, "highest": highest},
            field=name,
        )
    return int(text)


def _quantity(units: int, market: Market) -> str:
    return str(units_to_amount(units, market.token.decimals))


class MarketOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    asset = serializers.CharField(help_text="The asset's token address.")
    symbol = serializers.CharField()
    name = serializers.CharField()
    decimals = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Market.Status.choices)
    tick_tiyn = serializers.IntegerField()
    lot_units = serializers.CharField()
    min_units = serializers.CharField()
    max_units = serializers.CharField()
    band_bps = serializers.IntegerField()
    maker_fee_bps = serializers.IntegerField()
    taker_fee_bps = serializers.IntegerField()
    reference_price = serializers.IntegerField(help_text="Tiyn per whole token.")
    last_price = serializers.IntegerField(allow_null=True, help_text="Tiyn per whole token.")


def _market_shown(market: Market) -> dict[str, Any]:
    token = market.token
    return dict(
        MarketOut(
            {
                "id": market.pk,
                "asset": token.address,
                "symbol": token.symbol,
                "name": token.name,
                "decimals": token.decimals,
                "status": market.status,
                "tick_tiyn": market.tick_tiyn,
                "lot_units": str(int(market.lot_units)),
                "min_units": str(int(market.min_units)),
                "max_units": str(int(market.max_units)),
                "band_bps": market.band_bps,
                "maker_fee_bps": market.maker_fee_bps,
                "taker_fee_bps": market.taker_fee_bps,
                "reference_price": market.reference_price,
                "last_price": market.last_price,
            }
        ).data
    )


class MarketListApi(APIView):
    """Every market: one asset traded against tenge."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MarketOut(many=True)})
    def get(self, request: Request) -> Response:
        return Response([_market_shown(m) for m in selectors.markets()])


class MarketDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MarketOut})
    def get(self, request: Request, market_id: int) -> Response:
        return Response(_market_shown(_market(market_id)))


class LevelOut(serializers.Serializer[Any]):
    price = serializers.IntegerField(help_text="Tiyn per whole token.")
    units = serializers.CharField()
    quantity = serializers.CharField()
    orders = serializers.IntegerField()
    amount_tiyn = serializers.IntegerField()


class BookOut(serializers.Serializer[Any]):
    market = serializers.IntegerField()
    bids = LevelOut(many=True, help_text="Highest price first.")
    asks = LevelOut(many=True, help_text="Lowest price first.")
    spread = serializers.IntegerField(allow_null=True, help_text="Tiyn.")


def _levels(levels: list[selectors.Level], market: Market) -> list[dict[str, Any]]:
    return [
        {
            "price": level.price,
            "units": str(level.units),
            "quantity": _quantity(level.units, market),
            "orders": level.orders,
            "amount_tiyn": level.amount,
        }
        for level in levels
    ]


class BookApi(APIView):
    """The book's depth: resting orders aggregated by price, the best ``levels`` a side."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("levels", OpenApiTypes.INT, description="1 to 100; 20.")],
        responses={200: BookOut},
    )
    def get(self, request: Request, market_id: int) -> Response:
        market = _market(market_id)
        levels = _whole(request, "levels", selectors.DEPTH_LEVELS, selectors.MAX_LEVELS)
        found = selectors.depth(market, levels=levels)
        return Response(
            BookOut(
                {
                    "market": market.pk,
                    "bids": _levels(found.bids, market),
                    "asks": _levels(found.asks, market),
                    "spread": found.spread,
                }
            ).data
        )


class TradeOut(serializers.Serializer[Any]):
    seq = serializers.IntegerField(help_text="The trade's place in the market's sequence.")
    price = serializers.IntegerField(help_text="Tiyn per whole token.")
    units = serializers.CharField()
    quantity = serializers.CharField()
    amount_tiyn = serializers.IntegerField()
    side = serializers.ChoiceField(
        choices=Order.Side.choices, help_text="The taker's side: the order that traded on arrival."
    )
    state = serializers.ChoiceField(choices=Trade.State.choices)
    at = serializers.DateTimeField()


class TradeListApi(APIView):
    """The market's newest trades, newest first (broken trades left out: they never held)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 500; 50.")],
        responses={200: TradeOut(many=True)},
    )
    def get(self, request: Request, market_id: int) -> Response:
        market = _market(market_id)
        limit = _whole(request, "limit", selectors.RECENT_TRADES, selectors.MAX_TRADES)
        trades = selectors.recent_trades(market, limit=limit)
        shown = [
            {
                "seq": t.seq,
                "price": t.price,
                "units": str(int(t.quantity)),
                "quantity": _quantity(int(t.quantity), market),
                "amount_tiyn": t.amount_tiyn,
                "side": selectors.taker_side(t),
                "state": t.state,
                "at": t.created_at,
            }
            for t in trades
        ]
        return Response(TradeOut(shown, many=True).data)


class CandleOut(serializers.Serializer[Any]):
    time = serializers.IntegerField(help_text="The bar's start, in seconds since the epoch.")
    open = serializers.IntegerField()
    high = serializers.IntegerField()
    low = serializers.IntegerField()
    close = serializers.IntegerField()
    units = serializers.CharField()
    amount_tiyn = serializers.IntegerField()
    trades = serializers.IntegerField()


def candles_shown(market: Market, interval: str) -> list[dict[str, Any]]:
    return [
        {
            "time": int(c.start.timestamp()),
            "open": c.open,
            "high": c.high,
            "low": c.low,
            "close": c.close,
            "units": str(c.units),
            "amount_tiyn": c.amount,
            "trades": c.trades,
        }
        for c in selectors.candles(market, interval=interval)
    ]


def interval_of(text: str) -> str:
    if text not in selectors.INTERVALS:
        raise InvalidInput(_("Choose an interval: 1m, 1h or 1d."), field="interval")
    return text


class CandleListApi(APIView):
    """Price bars of the market's trades, oldest first: a bar a minute over the last day, an
    hour over the last 45 days, or a day over the last 1,000 days (Almaty days)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "interval", OpenApiTypes.STR, enum=list(selectors.INTERVALS), required=True
            )
        ],
        responses={200: CandleOut(many=True)},
    )
    def get(self, request: Request, market_id: int) -> Response:
        market = _market(market_id)
        interval = interval_of(request.query_params.get("interval", ""))
        return Response(CandleOut(candles_shown(market, interval), many=True).data)


class TickerOut(serializers.Serializer[Any]):
    market = serializers.IntegerField()
    last_price = serializers.IntegerField(allow_null=True)
    high = serializers.IntegerField(allow_null=True, help_text="The last 24 hours.")
    low = serializers.IntegerField(allow_null=True, help_text="The last 24 hours.")
    units = serializers.CharField(help_text="Volume over the last 24 hours, in base units.")
    quantity = serializers.CharField()
    amount_tiyn = serializers.IntegerField(help_text="Volume over the last 24 hours, in tiyn.")
    trades = serializers.IntegerField()
    change = serializers.IntegerField(
        allow_null=True, help_text="Tiyn, against the price 24 hours ago (or the reference)."
    )
    change_percent = serializers.FloatField(allow_null=True)


class TickerApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: TickerOut})
    def get(self, request: Request, market_id: int) -> Response:
        market = _market(market_id)
        found = selectors.ticker(market)
        return Response(
            TickerOut(
                {
                    "market": market.pk,
                    "last_price": found.last_price,
                    "high": found.high,
                    "low": found.low,
                    "units": str(found.units),
                    "quantity": _quantity(found.units, market),
                    "amount_tiyn": found.amount,
                    "trades": found.trades,
                    "change": found.change,
                    "change_percent": found.change_percent,
                }
            ).data
        )
