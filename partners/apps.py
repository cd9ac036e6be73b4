from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Statistics for partners")

    def ready(self) -> None:
        from backend.sealed_fields import register_sealed_field

        register_sealed_field("partners.Partner", "contact_sealed")

        from partners import receivers

        receivers.connect()
