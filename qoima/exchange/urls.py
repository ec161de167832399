from django.urls import path

from .api import market as market_api
from .api import transfers as transfers_api
from .views import transfers

urlpatterns = [
    path("", transfers.transfers_page, name="holder-transfers"),
    path("list/", transfers.transfers_list, name="holder-transfers-list"),
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
]
