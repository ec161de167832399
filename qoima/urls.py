from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from issuance.urls import api_urlpatterns as issuance_api
from qoima.exchange.urls import api_urlpatterns as exchange_api
from qoima.exchange.urls import wallet_urlpatterns
from qoima.participants.urls import api_urlpatterns
from registry.urls import api_urlpatterns as registry_api

from .ui.views import ApiDocsView
from .views import health, healthz

# Under /api/ every error answers JSON, pages keep Django's own (qoima/http.py).
handler400 = "qoima.http.bad_request"
handler403 = "qoima.http.permission_denied"
handler404 = "qoima.http.page_not_found"
handler500 = "qoima.http.server_error"

urlpatterns = [
    path("", include("qoima.participants.urls")),
    path("", include("qoima.accounts.urls")),
    path("", include("qoima.enforcement.urls")),
    path("operations/", include("qoima.chain.urls")),
    path("wallet/", include(wallet_urlpatterns)),
    path("exchange/", include("qoima.exchange.urls")),
    path("issuance/", include("issuance.urls")),
    path("registry/", include("registry.urls")),
    path("help/", include("qoima.ui.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_urlpatterns)),
    path("api/v1/", include(exchange_api)),
    path("api/v1/", include(issuance_api)),
    path("api/v1/registry/", include(registry_api)),
    path("api/docs/", ApiDocsView.as_view(), name="api-docs"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The demo's mailbox (qoima/participants/mailbox.py), staff-only like the rest of admin/.
    path("admin/mail/", include("qoima.participants.mailbox")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (a PDF, a raw export).
    path("favicon.ico", RedirectView.as_view(url=static("ui/favicon.svg"), permanent=True)),
    path("health/", health, name="health"),
]
