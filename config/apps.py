from django.contrib.admin.apps import AdminConfig


class SanadAdminConfig(AdminConfig):
    """The Django admin, served by Sanad's site (two-factor login, session key checks)."""

    default_site = "accounts.admin_site.SanadAdminSite"
