from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from backend.sealed_fields import register_sealed_field

        register_sealed_field("reports.Report", "triage_sealed")
        register_sealed_field("reports.Report", "severity_reasons_sealed")
