from django.contrib import admin

from qoima.audit.admin import ReadOnlyAdmin

from .models import NodeHealth, PlatformDeployment


@admin.register(NodeHealth)
class NodeHealthAdmin(ReadOnlyAdmin):
    list_display = ["chain_id", "block_number", "block_hash", "observed_at"]


@admin.register(PlatformDeployment)
class PlatformDeploymentAdmin(ReadOnlyAdmin):
    list_display = ["chain_id", "registry_address", "block_number", "deployed_at"]
