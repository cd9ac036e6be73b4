from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff and keys"

    def ready(self) -> None:
        from backend.sealed_fields import register_sealed_field

        register_sealed_field("accounts.StaffUser", "contact_sealed")
        register_sealed_field("accounts.SharedKey", "attestation_sealed")
