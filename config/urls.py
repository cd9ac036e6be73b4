from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from reports.api import IntakeKeysView

urlpatterns = [
    # /healthz and /readyz are answered by backend.middleware.HealthProbeMiddleware.
    path("api/v1/intake-keys/", IntakeKeysView.as_view(), name="intake-keys"),
    path("api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path("admin/", admin.site.urls),
]

handler400 = "backend.errors.bad_request"
handler403 = "backend.errors.permission_denied"
handler404 = "backend.errors.not_found"
handler500 = "backend.errors.server_error"
