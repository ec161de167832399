"""Markets: opened, changed, halted and resumed by the platform administrator.

A market's settings make every trade's amount an exact number of tiyn: a lot at one tick is a
whole number of tiyn (``tick_tiyn * lot_units`` is a multiple of ``10**decimals``), and orders
come in whole lots at whole ticks. Settings that break this are refused before anything is
written, each with what to change.
"""

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qoima import locks
from qoima.audit.actions import AuditAction
from qoima.audit.services import audit_record
from qoima.chain.amounts import format_units, units_from_text
from qoima.chain.models import PlatformToken
from qoima.errors import Conflict, InvalidInput, NotAllowed, NotFound
from qoima.participants.models import Role, User
from qoima.participants.selectors import user_role
from qoima.transactions import in_transaction

from ..models import Market
from ..models.markets import SelfTradePrevention
from ..money import format_tenge, tiyn_from_text
from .orders import orders_cancel_for_market_in_transaction

# Why a market is halted: a code kept on the market, its label read in the reader's language.
HALT_REASONS: dict[str, Any] = {
    "asset_paused": _("The asset is paused"),
    "platform_paused": _("The platform is paused"),
    "regulator": _("On the regulator's instruction"),
    "volatility": _("Unusual price movement"),
    "technical": _("A technical problem"),
}

# Halts that compliance's pauses decide: only the end of the pause lifts them.
ENFORCED_HALTS = frozenset({"asset_paused", "platform_paused"})

BPS = 10_000
MAX_FEE_BPS = 1000


@dataclass(frozen=True)
class MarketSettings:
    """What the administrator sets: prices in tiyn per whole token, sizes in the token's units."""

    tick_tiyn: int
    lot_units: int
    min_units: int
    max_units: int
    band_bps: int
    maker_fee_bps: int
    taker_fee_bps: int
    self_trade_prevention: str
    reference_price: int


def halt_reason_label(code: str) -> str:
    return str(HALT_REASONS.get(code, code))


def _settings_check(token: PlatformToken, values: MarketSettings) -> None:
    """Refuse settings that would make an amount inexact or an order impossible, naming the
    field and the numbers to change."""
    decimals, symbol = token.decimals, token.symbol
    whole = 10**decimals

    def units(value: int) -> str:
        return format_units(value, decimals, symbol=symbol)

    if values.tick_tiyn <= 0:
        raise InvalidInput(_("The tick must be above zero."), field="tick")
    if values.lot_units <= 0:
        raise InvalidInput(_("The lot must be above zero."), field="lot")
    if values.tick_tiyn * values.lot_units % whole:
        raise InvalidInput(
            _(
                "A lot at one tick must come to a whole number of tiyn: %(lot)s at %(tick)s "
                "does not. Make the lot or the tick larger."
            )
            % {"lot": units(values.lot_units), "tick": format_tenge(values.tick_tiyn)},
            field="lot",
        )
    for field, value, label in (
        ("min", values.min_units, _("The smallest order")),
        ("max", values.max_units, _("The largest order")),
    ):
        if value <= 0 or value % values.lot_units:
            raise InvalidInput(
                _("%(what)s must be a whole number of lots of %(lot)s.")
                % {"what": label, "lot": units(values.lot_units)},
                field=field,
            )
    if values.max_units < values.min_units:
        raise InvalidInput(
            _("The largest order must be at least the smallest, %(min)s.")
            % {"min": units(values.min_units)},
            field="max",
        )
    if not 0 < values.band_bps < BPS:
        raise InvalidInput(
            _("The price band is between 1 and 9999 basis points (0.01 % to 99.99 %)."),
            field="band",
        )
    for field, fee in (("maker_fee", values.maker_fee_bps), ("taker_fee", values.taker_fee_bps)):
        if not 0 <= fee <= MAX_FEE_BPS:
            raise InvalidInput(_("A fee is between 0 and 1000 basis points (10 %)."), field=field)
    if values.self_trade_prevention not in SelfTradePrevention.values:
        raise InvalidInput(_("Choose a self-trade prevention mode."), field="stp")
    if values.reference_price <= 0 or values.reference_price % values.tick_tiyn:
        raise InvalidInput(
            _("The reference price must be a whole number of ticks of %(tick)s.")
            % {"tick": format_tenge(values.tick_tiyn)},
            field="reference_price",
        )


def _settings_of(market: Market) -> dict[str, Any]:
    return {
        "tick_tiyn": market.tick_tiyn,
        "lot_units": int(market.lot_units),
        "min_units": int(market.min_units),
        "max_units": int(market.max_units),
        "band_bps": market.band_bps,
        "maker_fee_bps": market.maker_fee_bps,
        "taker_fee_bps": market.taker_fee_bps,
        "self_trade_prevention": market.self_trade_prevention,
        "reference_price": market.reference_price,
    }


def _require_admin(actor: User) -> None:
    if user_role(actor) != Role.PLATFORM_ADMIN:
        raise NotAllowed(_("Markets are set by the platform administrator."))


def _locked_market(market_id: int) -> Market:
    try:
        return locks.lock_row(Market, market_id)
    except Market.DoesNotExist:
        raise NotFound(_("No such market.")) from None


@transaction.atomic(durable=True)
def market_open(*, actor: User, token_id: int, values: MarketSettings) -> Market:
    """One market for an issued asset, opened at the issuer's offering price."""
    _require_admin(actor)
    token = PlatformToken.objects.filter(pk=token_id, chain_id=settings.CHAIN_ID).first()
    if token is None:
        raise InvalidInput(_("No issued asset has this token."), field="token")
    if Market.objects.filter(token=token).exists():
        raise Conflict(_("This asset already has a market."), field="token")
    _settings_check(token, values)
    market = Market.objects.create(token=token, **asdict(values))
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_MARKET_OPENED,
        obj=market,
        details={"token": token.address, "after": asdict(values)},
    )
    return market


@transaction.atomic(durable=True)
def market_update(*, actor: User, market_id: int, values: MarketSettings) -> Market:
    """New settings for a market. Orders already in the book keep their prices and sizes; new
    orders and amendments follow the new settings."""
    _require_admin(actor)
    market = _locked_market(market_id)
    _settings_check(market.token, values)
    before = _settings_of(market)
    after = asdict(values)
    if before == after:
        return market
    for name, value in after.items():
        setattr(market, name, value)
    market.save()
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_MARKET_CHANGED,
        obj=market,
        details={
            "before": {k: v for k, v in before.items() if after[k] != v},
            "after": {k: v for k, v in after.items() if before[k] != v},
        },
    )
    return market


@transaction.atomic(durable=True)
def market_halt(*, actor: User, market_id: int, reason: str) -> Market:
    """Stop trading: no order is taken, and every open order is cancelled (the matcher
    releases their cash and units as it carries out each cancellation)."""
    _require_admin(actor)
    # A pause is compliance's to decide, with its legal basis, not a reason the admin gives.
    if reason not in HALT_REASONS or reason in ENFORCED_HALTS:
        raise InvalidInput(_("Choose why the market is halted."), field="reason")
    market = _locked_market(market_id)
    if market.status == Market.Status.HALTED:
        raise Conflict(_("This market is already halted."))
    return market_halt_in_transaction(market=market, reason=reason, actor=actor)


@in_transaction
def market_halt_in_transaction(*, market: Market, reason: str, actor: User | None) -> Market:
    """Halt a locked, open market (the administrator's decision, or an asset's pause)."""
    market.status, market.halt_reason = Market.Status.HALTED, reason
    market.save(update_fields=["status", "halt_reason", "updated_at"])
    cancelled = orders_cancel_for_market_in_transaction(
        market=market, reason="market_halted", actor=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_MARKET_HALTED,
        obj=market,
        details={
            "before": Market.Status.OPEN,
            "after": Market.Status.HALTED,
            "reason": reason,
            "orders_cancelled": cancelled,
        },
    )
    return market


@transaction.atomic(durable=True)
def market_resume(*, actor: User, market_id: int) -> Market:
    _require_admin(actor)
    market = _locked_market(market_id)
    if market.status == Market.Status.OPEN:
        raise Conflict(_("This market is open already."))
    if market.halt_reason in ENFORCED_HALTS:
        raise Conflict(_("Compliance paused this market's asset; it resumes when the pause ends."))
    return market_resume_in_transaction(market=market, actor=actor)


@in_transaction
def market_resume_in_transaction(*, market: Market, actor: User | None) -> Market:
    """Open a locked, halted market again."""
    previous = market.halt_reason
    market.status, market.halt_reason = Market.Status.OPEN, ""
    market.save(update_fields=["status", "halt_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.EXCHANGE_MARKET_RESUMED,
        obj=market,
        details={"before": Market.Status.HALTED, "after": Market.Status.OPEN, "reason": previous},
    )
    return market


def market_settings_parse(*, token: PlatformToken, data: dict[str, Any]) -> MarketSettings:
    """Settings typed by a person: prices in tenge, sizes in the asset's units, rates in basis
    points."""
    decimals = token.decimals

    def units(name: str, field: str) -> int:
        return units_from_text(str(data.get(name, "")), decimals, field=field)

    def tiyn(name: str, field: str) -> int:
        return tiyn_from_text(str(data.get(name, "")), field=field)

    def whole(name: str, field: str) -> int:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(_("Give a whole number of basis points."), field=field)
        return value

    return MarketSettings(
        tick_tiyn=tiyn("tick", "tick"),
        lot_units=units("lot", "lot"),
        min_units=units("min_quantity", "min"),
        max_units=units("max_quantity", "max"),
        band_bps=whole("band_bps", "band"),
        maker_fee_bps=whole("maker_fee_bps", "maker_fee"),
        taker_fee_bps=whole("taker_fee_bps", "taker_fee"),
        self_trade_prevention=str(data.get("self_trade_prevention", "")),
        reference_price=tiyn("reference_price", "reference_price"),
    )
