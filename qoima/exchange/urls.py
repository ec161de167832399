from django.urls import path

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
]
