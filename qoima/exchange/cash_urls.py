"""Pages and API of tenge: the member's cash page and the treasury's pages, under
``/exchange/``; the cash API under ``/api/v1/cash/``."""

from django.urls import path

from .api import cash as cash_api
from .views import cash, treasury

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
]

api_urlpatterns = [
    path("cash/balances/", cash_api.BalancesApi.as_view(), name="api-cash-balances"),
    path("cash/postings/", cash_api.PostingsApi.as_view(), name="api-cash-postings"),
    path("cash/withdrawals/", cash_api.WithdrawalListApi.as_view(), name="api-cash-withdrawals"),
    path(
        "cash/withdrawals/<int:withdrawal_id>/cancel/",
        cash_api.WithdrawalCancelApi.as_view(),
        name="api-cash-withdrawal-cancel",
    ),
    path("cash/deposits/", cash_api.DepositListApi.as_view(), name="api-cash-deposits"),
]
