from django.contrib import admin

from qoima.audit.admin import ReadOnlyAdmin

from .models import NodeHealth


@admin.register(NodeHealth)
class NodeHealthAdmin(ReadOnlyAdmin):
    list_display = ["chain_id", "block_number", "block_hash", "observed_at"]
