from django.contrib import admin
from django.http import HttpRequest

from qoima.audit.admin import ReadOnlyAdmin

from .models import (
    BankAccount,
    CashAccount,
    Leg,
    Market,
    MarketEvent,
    MatcherHeartbeat,
    Member,
    Order,
    OrderChange,
    Posting,
    StatementImport,
    StatementLine,
    Trade,
    Transfer,
    Withdrawal,
)


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    """A transfer is requested by its sender and carried by its chain operation; the admin only
    shows it."""

    list_display = ["created_at", "sender", "receiver", "token_address", "amount"]
    list_select_related = ["sender", "receiver"]
    search_fields = ["sender__full_name", "receiver__full_name", "idempotency_key"]


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    """Members are made by the platform on first use; the admin only shows them."""

    list_display = ["payment_reference", "holder", "organisation", "created_at"]
    list_select_related = ["holder", "organisation"]
    search_fields = ["payment_reference", "holder__full_name", "organisation__legal_name"]


@admin.register(CashAccount)
class CashAccountAdmin(ReadOnlyAdmin):
    """Balances move only through postings."""

    list_display = ["member", "kind", "balance"]
    list_filter = ["kind"]
    list_select_related = ["member"]


class LegInline(admin.TabularInline[Leg, Posting]):
    model = Leg
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount"]

    def has_add_permission(self, request: HttpRequest, obj: Posting | None = None) -> bool:
        return False


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    """The ledger is append-only; the database refuses any change."""

    list_display = ["created_at", "kind", "reference", "actor"]
    list_filter = ["kind"]
    search_fields = ["reference", "key"]
    inlines = [LegInline]


@admin.register(Leg)
class LegAdmin(ReadOnlyAdmin):
    list_display = ["posting", "account", "amount"]
    list_select_related = ["posting", "account"]


@admin.register(Market)
class MarketAdmin(ReadOnlyAdmin):
    """Markets are set up and changed through the platform's own audited pages."""

    list_display = ["token", "status", "tick_tiyn", "lot_units", "band_bps", "reference_price"]
    list_select_related = ["token"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "market", "member", "side", "price", "quantity", "state"]
    list_filter = ["state", "side"]
    list_select_related = ["market__token", "member"]
    search_fields = ["client_order_id", "member__payment_reference"]


@admin.register(OrderChange)
class OrderChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order", "kind", "state", "reason"]
    list_filter = ["kind", "state"]


@admin.register(Trade)
class TradeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "market", "buyer", "seller", "price", "quantity", "state"]
    list_filter = ["state"]
    list_select_related = ["market__token", "buyer", "seller"]


@admin.register(MarketEvent)
class MarketEventAdmin(ReadOnlyAdmin):
    list_display = ["market", "seq", "kind", "order", "price", "quantity", "at"]
    list_filter = ["kind"]


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    """Members register their own accounts on the cash page, where the IBAN is checked."""

    list_display = ["iban", "holder_name", "member", "created_at"]
    list_select_related = ["member"]
    search_fields = ["iban", "holder_name", "member__payment_reference"]


@admin.register(StatementImport)
class StatementImportAdmin(ReadOnlyAdmin):
    """Statements are imported on the treasury's page, once each."""

    list_display = [
        "imported_at",
        "file_name",
        "format",
        "matched_count",
        "unallocated_count",
        "skipped_count",
        "imported_by",
    ]
    list_select_related = ["imported_by"]


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnlyAdmin):
    """Receipts are allocated or returned on the treasury's page, through the ledger."""

    list_display = ["value_date", "bank_reference", "amount", "state", "member", "payer_name"]
    list_filter = ["state"]
    list_select_related = ["member"]
    search_fields = ["bank_reference", "payer_name", "purpose", "member__payment_reference"]


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    """Withdrawals move held cash; they change only through the member's and the treasury's
    pages."""

    list_display = ["requested_at", "member", "amount", "state", "bank_reference", "paid_by"]
    list_filter = ["state"]
    list_select_related = ["member", "paid_by"]
    search_fields = ["bank_reference", "member__payment_reference", "bank_account__iban"]


@admin.register(MatcherHeartbeat)
class MatcherHeartbeatAdmin(ReadOnlyAdmin):
    """Written by the matchers' loops; /health/ reads it."""

    list_display = ["name", "seen_at", "steps"]
