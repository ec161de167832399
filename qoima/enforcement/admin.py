"""Acts of enforcement in the admin, to be looked at only: compliance decides them on its own
pages, on a legal basis, with four eyes where they need them; the admin never bypasses that."""

from django.contrib import admin

from qoima.audit.admin import ReadOnlyAdmin

from .models import EnforcementAct, LegalBasis


@admin.register(LegalBasis)
class LegalBasisAdmin(ReadOnlyAdmin):
    list_display = ["kind", "number", "issued_on", "authority", "document_sha256", "created_at"]
    list_filter = ["kind"]
    search_fields = ["number", "authority", "document_sha256"]


@admin.register(EnforcementAct)
class EnforcementActAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "state", "token_address", "amount", "created_at"]
    list_filter = ["kind", "state"]
    search_fields = ["token_address", "wallet__address", "legal_basis__number"]
