from django.contrib import admin
from django.http import HttpRequest

from qoima.audit.admin import ReadOnlyAdmin

from .models import (
    CashAccount,
    Leg,
    Market,
    MarketEvent,
    Member,
    Order,
    OrderChange,
    Posting,
    Trade,
    Transfer,
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
