from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelocationConfig(AppConfig):
    name = "relocation"
    verbose_name = _("Relocation")

    def ready(self) -> None:
        from backend.sealed_fields import register_sealed_field

        register_sealed_field("relocation.SafeHouseSecret", "attestation_sealed")
        register_sealed_field("relocation.Referral", "details_sealed")

        from reports.signals import report_withdrawn

        report_withdrawn.connect(_withdrawn, dispatch_uid="relocation.report_withdrawn")


def _withdrawn(sender, *, report, **kwargs) -> None:
    from relocation.services import report_withdrawn

    report_withdrawn(report)
