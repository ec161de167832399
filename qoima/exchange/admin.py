from django.contrib import admin

from qoima.audit.admin import ReadOnlyAdmin

from .models import Transfer


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    """A transfer is requested by its sender and carried by its chain operation; the admin only
    shows it."""

    list_display = ["created_at", "sender", "receiver", "token_address", "amount"]
    list_select_related = ["sender", "receiver"]
    search_fields = ["sender__full_name", "receiver__full_name", "idempotency_key"]
