"""The exchange's trading: markets, orders and fills (pages under /exchange/, API under
/api/v1/)."""

from django.urls import path

from .api import orders as orders_api
from .views import trading

urlpatterns = [
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
