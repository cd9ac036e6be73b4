from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff and keys")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts.roles import role_permissions_sync

        # Sent once per migrated app: the last run, after every app's permissions
        # exist, leaves each group with exactly its permissions.
        post_migrate.connect(role_permissions_sync, dispatch_uid="sanad.role_permissions_sync")
        from backend.sealed_fields import register_sealed_field

        register_sealed_field("accounts.StaffUser", "contact_sealed")
        register_sealed_field("accounts.SharedKey", "attestation_sealed")
        register_sealed_field("accounts.TOTPDevice", "key_sealed")
