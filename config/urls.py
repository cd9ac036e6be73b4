from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.language import set_language
from partners.api import ReleasesView, ReleaseView
from reports.api import EvidenceView, FollowUpsView, IntakeKeysView, PowView, ReportStatusView, ReportsView
from reports.pages import home

urlpatterns = [
    # /healthz and /readyz are answered by backend.middleware.HealthProbeMiddleware.
    path("", home, name="home"),
    path("status/", home, {"start": "check"}, name="reporter-status"),
    path("api/v1/intake-keys/", IntakeKeysView.as_view(), name="intake-keys"),
    path("api/v1/pow/", PowView.as_view(), name="pow"),
    path("api/v1/reports/", ReportsView.as_view(), name="reports"),
    path("api/v1/reports/status/", ReportStatusView.as_view(), name="report-status"),
    path("api/v1/reports/followups/", FollowUpsView.as_view(), name="report-followups"),
    path("api/v1/reports/evidence/", EvidenceView.as_view(), name="report-evidence"),
    path("api/v1/stats/releases/", ReleasesView.as_view(), name="stats-releases"),
    path("api/v1/stats/releases/<str:month>/", ReleaseView.as_view(), name="stats-release"),
    path("api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", authentication_classes=[], permission_classes=[]),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    # The language switcher of the staff pages (POST, CSRF-checked; saves a logged-in user's choice).
    path("language/", set_language, name="set-language"),
]

handler400 = "backend.errors.bad_request"
handler403 = "backend.errors.permission_denied"
handler404 = "backend.errors.not_found"
handler500 = "backend.errors.server_error"
