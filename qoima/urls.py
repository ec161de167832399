from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from qoima.participants.urls import api_urlpatterns

from .views import healthz

urlpatterns = [
    path("", include("qoima.participants.urls")),
    path("operations/", include("qoima.chain.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
