from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qoima.audit.services import audit_record

from .identifiers import validate_issuer_identification
from .models import HolderProfile, Organisation, Permit, Role, User


class AuditedAdmin(admin.ModelAdmin[Any]):
    """Every change made through the admin lands in the audit log in the same transaction."""

    def save_model(
        self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=f"admin.{obj._meta.model_name}.{'changed' if change else 'added'}",
            obj=obj,
            details={"fields": sorted(form.changed_data)},
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Registry records are superseded, never deleted.
        return False


class OrganisationAdminForm(forms.ModelForm[Organisation]):
    class Meta:
        model = Organisation
        fields = ["kind", "legal_name", "identification_number", "registered_address"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, number = data.get("kind"), data.get("identification_number")
        if kind and number:
            try:
                validate_issuer_identification(kind, number)
            except ValidationError as error:
                self.add_error("identification_number", error)
        return data


class PermitInline(admin.TabularInline[Permit, Any]):
    model = Permit
    extra = 0
    fields = ["number", "authority", "issued_on", "expires_on", "status"]
    readonly_fields = ["number", "authority", "issued_on", "expires_on", "status"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    form = OrganisationAdminForm
    list_display = ["legal_name", "identification_number", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["legal_name", "identification_number"]
    inlines = [PermitInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The identity of an issuer never changes once registered.
        return ["identification_number", "kind"] if obj else []


@admin.register(Permit)
class PermitAdmin(AuditedAdmin):
    list_display = ["number", "organisation", "authority", "issued_on", "expires_on", "status"]
    list_filter = ["status", "authority"]
    search_fields = ["number", "organisation__legal_name", "organisation__identification_number"]
    autocomplete_fields = ["organisation"]
    # Status changes need a reason and a document: compliance makes them on its dashboard.
    readonly_fields = [
        "status",
        "status_reason",
        "status_document_ref",
        "status_changed_at",
        "status_changed_by",
    ]


@admin.register(HolderProfile)
class HolderProfileAdmin(AuditedAdmin):
    list_display = ["full_name", "identification_number", "kind", "verification_status"]
    list_filter = ["verification_status", "kind"]
    search_fields = ["full_name", "identification_number", "user__username"]
    readonly_fields = [
        "user",
        "identification_number",
        "verification_status",
        "status_reason",
        "verified_by",
        "verified_at",
        "status_changed_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


def _role_label(group: Group) -> str:
    # A role's group is named by the role's code; people read its label.
    return str(Role(group.name).label) if group.name in Role.values else group.name


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(role.value), str(role.label)) for role in Role]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin[User]):
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Qoima"), {"fields": ("organisation", "preferred_language")}),
    )
    list_display = ["username", "email", "organisation", "is_active", "last_login"]
    list_filter = [RoleFilter, "is_active"]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label_from_instance = _role_label  # type: ignore[method-assign,assignment]
        return field
