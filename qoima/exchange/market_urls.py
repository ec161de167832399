"""The market data pages, under /exchange/."""

from django.urls import path

from .views import market

urlpatterns = [
    path("markets/", market.markets_page, name="markets"),
    path("markets/<int:market_id>/chart/", market.market_chart, name="market-chart"),
    path("markets/<int:market_id>/book/", market.market_book, name="market-book"),
    path("markets/<int:market_id>/trades/", market.market_trades, name="market-trades"),
    path("markets/<int:market_id>/ticker/", market.market_ticker, name="market-ticker"),
]
