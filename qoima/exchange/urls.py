from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.transfers_page, name="holder-transfers"),
    path("list/", views.transfers_list, name="holder-transfers-list"),
]

api_urlpatterns = [
    path("transfers/", api.TransferListApi.as_view(), name="api-transfers"),
    path("transfers/<int:transfer_id>/", api.TransferDetailApi.as_view(), name="api-transfer"),
    path("wallet/", api.WalletApi.as_view(), name="api-wallet"),
    path("wallet/history/", api.WalletHistoryApi.as_view(), name="api-wallet-history"),
]
