"""Sessions in the admin, to be looked at only: their owners end them on their own page, and
a password reset ends them all."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from qoima.audit.admin import ReadOnlyAdmin

from .models import AccountSession, ApiToken


@admin.register(AccountSession)
class AccountSessionAdmin(ReadOnlyAdmin):
    list_display = ["user", "address", "started_at", "last_seen_at", "expire_date"]
    # The session's data (its owner's credentials hash among it) is never shown.
    exclude = ["session_data"]
    search_fields = ["user__username"]
    list_select_related = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["token_key", "name", "scope", "user", "created", "expiry", "last_used_at"]
    list_filter = ["scope"]
    search_fields = ["user__username", "name", "token_key"]
    list_select_related = ["user"]
    exclude = ["digest"]


# django-otp's own screens show an authenticator app's key and let the admin make devices for
# anyone: a way around the second factor. Its devices are shown here, read-only, keyless.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(TOTPDevice)
class AuthenticatorAppAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_select_related = ["user"]


@admin.register(StaticDevice)
class RecoveryCodesAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_select_related = ["user"]
