"""The exchange's pages and API: the wallet and transfers (under /wallet/), cash, the
treasury, markets and orders (under /exchange/), and their API (under /api/v1/)."""

from django.urls import path

from .api import cash as cash_api
from .api import market as market_api
from .api import orders as orders_api
from .api import transfers as transfers_api
from .views import cash, market, trading, transfers, treasury, wallet_links

wallet_urlpatterns = [
    path("", transfers.transfers_page, name="holder-transfers"),
    path("list/", transfers.transfers_list, name="holder-transfers-list"),
    path("links/", wallet_links.link_request, name="wallet-link-request"),
    path("links/<int:link_id>/", wallet_links.link_page, name="wallet-link"),
    path("own/<int:wallet_id>/send/", wallet_links.own_wallet_send, name="own-wallet-send"),
    path("own/<int:wallet_id>/unlink/", wallet_links.own_wallet_unlink, name="own-wallet-unlink"),
]

urlpatterns = [
    path("cash/", cash.cash_page, name="cash"),
    path("cash/bank-accounts/", cash.bank_account_add, name="cash-bank-account-add"),
    path("cash/withdrawals/", cash.withdrawal_request, name="cash-withdrawal-request"),
    path(
        "cash/withdrawals/<int:withdrawal_id>/cancel/",
        cash.withdrawal_cancel,
        name="cash-withdrawal-cancel",
    ),
    path("treasury/statements/", treasury.statements, name="treasury-statements"),
    path("treasury/receipts/", treasury.receipts, name="treasury-receipts"),
    path(
        "treasury/receipts/<int:line_id>/allocate/",
        treasury.receipt_allocate,
        name="treasury-receipt-allocate",
    ),
    path(
        "treasury/receipts/<int:line_id>/return/",
        treasury.receipt_return,
        name="treasury-receipt-return",
    ),
    path("treasury/withdrawals/", treasury.withdrawals, name="treasury-withdrawals"),
    path(
        "treasury/withdrawals/<int:withdrawal_id>/approve/",
        treasury.withdrawal_approve,
        name="treasury-withdrawal-approve",
    ),
    path(
        "treasury/withdrawals/<int:withdrawal_id>/pay/",
        treasury.withdrawal_pay,
        name="treasury-withdrawal-pay",
    ),
    path(
        "treasury/withdrawals/<int:withdrawal_id>/refuse/",
        treasury.withdrawal_refuse,
        name="treasury-withdrawal-refuse",
    ),
    path("treasury/ledger/", treasury.ledger, name="treasury-ledger"),
    path("markets/", market.markets_page, name="markets"),
    path("markets/<int:market_id>/chart/", market.market_chart, name="market-chart"),
    path("markets/<int:market_id>/book/", market.market_book, name="market-book"),
    path("markets/<int:market_id>/trades/", market.market_trades, name="market-trades"),
    path("markets/<int:market_id>/ticker/", market.market_ticker, name="market-ticker"),
    path("markets/manage/", trading.markets_manage, name="exchange-markets-manage"),
    path("markets/<int:market_id>/trade/", trading.trade_page, name="exchange-trade"),
    path("markets/<int:market_id>/preview/", trading.order_preview, name="exchange-preview"),
    path("markets/<int:market_id>/manage/", trading.market_manage, name="exchange-market-manage"),
    path("markets/<int:market_id>/halt/", trading.market_halt, name="exchange-market-halt"),
    path("markets/<int:market_id>/resume/", trading.market_resume, name="exchange-market-resume"),
    path("orders/<int:order_id>/cancel/", trading.order_cancel, name="exchange-order-cancel"),
    path("orders/<int:order_id>/amend/", trading.order_amend, name="exchange-order-amend"),
    path("orders/live/", trading.member_orders_live, name="exchange-orders-live"),
    path("offering/", trading.offering_page, name="exchange-offering"),
]

api_urlpatterns = [
    path("transfers/", transfers_api.TransferListApi.as_view(), name="api-transfers"),
    path(
        "transfers/<int:transfer_id>/",
        transfers_api.TransferDetailApi.as_view(),
        name="api-transfer",
    ),
    path("wallet/", transfers_api.WalletApi.as_view(), name="api-wallet"),
    path("wallet/history/", transfers_api.WalletHistoryApi.as_view(), name="api-wallet-history"),
    path("markets/", market_api.MarketListApi.as_view(), name="api-markets"),
    path("markets/<int:market_id>/", market_api.MarketDetailApi.as_view(), name="api-market"),
    path("markets/<int:market_id>/book/", market_api.BookApi.as_view(), name="api-market-book"),
    path(
        "markets/<int:market_id>/trades/",
        market_api.TradeListApi.as_view(),
        name="api-market-trades",
    ),
    path(
        "markets/<int:market_id>/candles/",
        market_api.CandleListApi.as_view(),
        name="api-market-candles",
    ),
    path(
        "markets/<int:market_id>/ticker/", market_api.TickerApi.as_view(), name="api-market-ticker"
    ),
    path("cash/balances/", cash_api.BalancesApi.as_view(), name="api-cash-balances"),
    path("cash/postings/", cash_api.PostingsApi.as_view(), name="api-cash-postings"),
    path("cash/withdrawals/", cash_api.WithdrawalListApi.as_view(), name="api-cash-withdrawals"),
    path(
        "cash/withdrawals/<int:withdrawal_id>/cancel/",
        cash_api.WithdrawalCancelApi.as_view(),
        name="api-cash-withdrawal-cancel",
    ),
    path("cash/deposits/", cash_api.DepositListApi.as_view(), name="api-cash-deposits"),
    path("orders/", orders_api.OrderListApi.as_view(), name="api-orders"),
    path("orders/<int:order_id>/", orders_api.OrderDetailApi.as_view(), name="api-order"),
    path(
        "orders/<int:order_id>/cancel/",
        orders_api.OrderCancelApi.as_view(),
        name="api-order-cancel",
    ),
    path(
        "orders/<int:order_id>/amend/", orders_api.OrderAmendApi.as_view(), name="api-order-amend"
    ),
    path("fills/", orders_api.FillListApi.as_view(), name="api-fills"),
]
