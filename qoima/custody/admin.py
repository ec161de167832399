from django.contrib import admin

from qoima.audit.admin import ReadOnlyAdmin

from .models import Wallet, WalletLink


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ["address", "kind", "holder", "organisation", "created_at"]
    list_select_related = ["holder", "organisation"]
    # The key never leaves the database, not even encrypted, through a page.
    exclude = ["encrypted_key"]


@admin.register(WalletLink)
class WalletLinkAdmin(ReadOnlyAdmin):
    list_display = ["address", "holder", "state", "created_at", "decided_by"]
    list_select_related = ["holder", "decided_by"]
    list_filter = ["state"]
    search_fields = ["address", "holder__identification_number"]
