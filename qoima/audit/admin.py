from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .labels import action_label, audit_shown
from .models import AuditEntry, AuditHead, ChainCheck


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ActionFilter(admin.SimpleListFilter):
    """The actions the log holds, by their labels in the reader's language."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((code, str(action_label(code))) for code in codes), key=lambda c: c[1])

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(action=self.value()) if self.value() else queryset


class AuditChangeList(ChangeList):
    """Reads what the page's entries name (users, permits, applications) for all of them at
    once rather than an entry at a time."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        entries = list(self.result_list)
        for entry, shown in zip(entries, audit_shown(entries), strict=True):
            entry.shown = shown


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Entries as a person reads them (labels, the object as it is now); the stored codes and
    texts the hash chain covers are in the registry's audit-log export."""

    list_display = ["seq", "created_at", "actor_repr", "action_shown", "subject"]
    list_filter = [ActionFilter]
    search_fields = ["action", "actor_repr", "object_id"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "seq",
        "created_at",
        "actor_repr",
        "action_shown",
        "subject",
        "details_shown",
        "prev_hash",
        "entry_hash",
    )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return AuditChangeList

    @admin.display(description=_("action"), ordering="action")
    def action_shown(self, entry: AuditEntry) -> str:
        return str(action_label(entry.action))

    @admin.display(description=_("object"))
    def subject(self, entry: AuditEntry) -> str:
        shown = getattr(entry, "shown", None) or audit_shown([entry])[0]
        return str(shown.subject)

    @admin.display(description=_("details"))
    def details_shown(self, entry: AuditEntry) -> str:
        shown = audit_shown([entry])[0].details_shown
        return "; ".join(f"{label}: {value}" for label, value in shown)


@admin.register(ChainCheck)
class ChainCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "entries_checked", "ok", "first_broken_seq", "problem"]


@admin.register(AuditHead)
class AuditHeadAdmin(ReadOnlyAdmin):
    list_display = ["seq", "entry_hash"]
