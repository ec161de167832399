"""The Django admin: it edits descriptive data only, and every change lands in the audit log.

Who may do what is not an admin matter: roles (groups), permissions, the staff and superuser
flags and passwords cannot be set here, whoever is logged in (a superuser too). Staff accounts
are created and their passwords set by the audited ``createstaff`` and ``setpassword``
commands; participants register themselves; permits are verified by compliance on its
dashboard.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from qoima.audit.actions import admin_action
from qoima.audit.admin import ReadOnlyAdmin
from qoima.audit.services import audit_record

from .identifiers import validate_issuer_identification
from .models import HolderProfile, Organisation, Permit, Role, User
from .selectors import user_role


class AuditedAdmin(admin.ModelAdmin[Any]):
    """Every change made through the admin lands in the audit log in the same transaction."""

    def save_model(
        self, request: HttpRequest, obj: Model, form: ModelForm[Any], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        changed = sorted(form.changed_data)
        audit_record(
            actor=request.user,
            action=admin_action(type(obj), change=change),
            obj=obj,
            details={
                "fields": changed,
                "values": {name: str(form.cleaned_data.get(name, "")) for name in changed},
            },
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
class PermitAdmin(ReadOnlyAdmin):
    """Permits are recorded by issuers, verified by compliance and changed on the authority's
    decision, each through its audited service: here they are only looked at."""

    list_display = ["number", "organisation", "authority", "issued_on", "expires_on", "status"]
    list_filter = ["status", "authority"]
    search_fields = ["number", "organisation__legal_name", "organisation__identification_number"]


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


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(role.value), str(role.label)) for role in Role]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin[User]):
    """Names, e-mail, language and whether the account may log in; nothing that grants access."""

    fieldsets = (
        (None, {"fields": ("username", "role")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Qoima"), {"fields": ("organisation", "preferred_language")}),
        (
            _("Account"),
            {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")},
        ),
    )
    readonly_fields = [
        "username",
        "role",
        "organisation",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    ]
    list_display = ["username", "email", "organisation", "is_active", "last_login"]
    # Named: the admin's own guess follows only required relations, and staff have none.
    list_select_related = ["organisation"]
    list_filter = [RoleFilter, "is_active"]

    @admin.display(description=_("Role"))
    def role(self, obj: User) -> str:
        role = user_role(obj)
        return str(role.label) if role else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A staff account is created by the audited createstaff command; participants register.
        return False

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Passwords are set by their owners or the audited setpassword command.
        raise PermissionDenied


# The platform's name on every admin page, in the reader's language; the way back is the
# dashboard link in admin/base_site.html, so Django's "View site" link is not shown.
admin.site.site_header = format_lazy("{} · {}", _("Qoima"), _("Administration"))
admin.site.site_title = admin.site.site_header
admin.site.index_title = _("Platform administration")
admin.site.site_url = None

# Roles are groups with fixed permissions (roles_sync): not edited through the admin. API
# tokens are their owners' own (qoima/accounts/admin.py shows them, read-only).
admin.site.unregister(Group)
