from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry, ChainCheck


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "actor_repr", "action", "object_repr"]
    list_filter = ["action"]
    search_fields = ["action", "actor_repr", "object_repr", "object_id"]
    date_hierarchy = "created_at"


@admin.register(ChainCheck)
class ChainCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "entries_checked", "ok", "first_broken_seq", "problem"]
