"""Issuance in the admin, to be looked at only: applications move through the issuer's and the
officers' workflow, documents are hashed and anchored on-chain, distributions and redemptions
are carried by chain operations. A change here would bypass all of that."""

from django.contrib import admin

from qoima.audit.admin import ReadOnlyAdmin

from .models import (
    Application,
    Distribution,
    DistributionLine,
    Document,
    DocumentCheck,
    Redemption,
    Review,
)


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["name", "symbol", "organisation", "asset_class", "status", "updated_at"]
    list_filter = ["status", "asset_class"]
    list_select_related = ["organisation"]
    search_fields = ["name", "symbol", "organisation__legal_name", "token_address"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "kind", "application", "sha256", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["original_name", "title", "number", "sha256"]
    # Files are read through the issuance pages, which check who may see them.
    exclude = ["file"]


@admin.register(DocumentCheck)
class DocumentCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "document", "ok", "problem"]
    list_filter = ["ok"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "application", "action", "actor", "revision"]
    list_filter = ["action"]


@admin.register(Distribution)
class DistributionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "application", "file_name", "status", "row_count"]
    list_filter = ["status"]
    exclude = ["content"]


@admin.register(DistributionLine)
class DistributionLineAdmin(ReadOnlyAdmin):
    list_display = ["distribution", "line", "holder", "amount"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "application", "holder", "amount", "status"]
    list_filter = ["status"]
