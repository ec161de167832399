"""The exchange's demo for the embedded default, made through the services as people would:
the administrator opens the demo asset's market, the treasury imports a bank statement that
credits both demo holders by their payment references, and the holders leave a few orders in
the book and make one trade, which the worker settles on-chain.

Runs once the demo asset is distributed (``loaddemoassets --follow``); safe to run again.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from qoima.chain.models import PlatformToken
from qoima.participants.models import HolderProfile, User

from .models import Market, StatementImport
from .services import treasury
from .services.markets import MarketSettings, market_open
from .services.orders import order_place

DEMO_SYMBOL = "WHTK3"
DEMO_STATEMENT = "demo-statement.csv"
# What each demo holder deposits, in tiyn.
DEMO_DEPOSITS = {"holder1": 5_000_000_00, "holder2": 1_000_000_00}
# The demo asset has two decimals: ticks of 1 ₸, lots of one whole unit (100 of its smallest),
# orders of 1 to 10 000 units, a band of 20 % around 2 500 ₸.
DEMO_MARKET = MarketSettings(
    tick_tiyn=100,
    lot_units=100,
    min_units=100,
    max_units=1_000_000,
    band_bps=2000,
    maker_fee_bps=10,
    taker_fee_bps=20,
    self_trade_prevention="cancel_resting",
    reference_price=2_500_00,
)
# (holder, side, price in tiyn, smallest units): two asks and a bid resting, then a buy of
# 10 units that trades with the best ask.
DEMO_ORDERS = [
    ("holder2", "sell", 2_600_00, 100_00),
    ("holder2", "sell", 2_650_00, 50_00),
    ("holder1", "buy", 2_450_00, 20_00),
    ("holder1", "buy", 2_600_00, 10_00),
]


def _statement(references: dict[str, str], today: datetime.date) -> bytes:
    rows = ["date,amount,currency,bank_reference,payer_name,payer_iban,purpose"]
    for i, (username, tiyn) in enumerate(DEMO_DEPOSITS.items(), start=1):
        rows.append(
            f"{today.isoformat()},{tiyn // 100}.{tiyn % 100:02d},KZT,DEMO-{i:04d},"
            f"{username},KZ86125KZT5004100100,Пополнение {references[username]}"
        )
    return ("\n".join(rows) + "\n").encode()


def demo_exchange_load() -> bool:
    """Open the demo market, fund the demo holders and place the demo orders (each once);
    False while the demo asset is not issued yet."""
    token = PlatformToken.objects.filter(chain_id=settings.CHAIN_ID, symbol=DEMO_SYMBOL).first()
    if token is None:
        return False
    admin = User.objects.get(username="admin")
    market = Market.objects.filter(token=token).first() or market_open(
        actor=admin, token_id=token.pk, values=DEMO_MARKET
    )
    holders = {
        holder.user.username: holder.user
        for holder in HolderProfile.objects.filter(user__username__in=DEMO_DEPOSITS).select_related(
            "user"
        )
    }
    if not StatementImport.objects.filter(file_name=DEMO_STATEMENT).exists():
        references = {
            username: treasury.member_join(actor=user).payment_reference
            for username, user in holders.items()
        }
        treasury.statement_import(
            actor=User.objects.get(username="treasury"),
            file_name=DEMO_STATEMENT,
            content=_statement(references, timezone.localdate()),
            file_format="csv",
        )
    for i, (username, side, price, units) in enumerate(DEMO_ORDERS, start=1):
        order_place(
            actor=holders[username],
            market_id=market.pk,
            client_order_id=f"demo-{i}",
            side=side,
            type="limit",
            time_in_force="gtc",
            price=price,
            quantity=units,
        )
    return True
