"""The staff admin site: only verified (password + TOTP) sessions of active staff get in."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _


class SanadAdminSite(admin.AdminSite):
    # The product name, as the authenticator apps show it too: not translated.
    # Translators: the product's name, as a page heading: written سند in Arabic, سەنەد in Sorani.
    site_header = _("Sanad")
    # Translators: the product's name, at the end of the browser tab's title.
    site_title = _("Sanad")
    index_title = _("Casework")
    enable_nav_sidebar = False
    site_url = None  # there is no public site: the API is for clients, not browsers

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and not user.is_superuser
            and not user.must_change_password
            and getattr(user, "is_verified", lambda: False)()
        )

    def login(self, request, extra_context=None):
        from accounts.views import staff_login

        return staff_login(request)

    def logout(self, request, extra_context=None):
        from accounts.views import staff_logout

        return staff_logout(request)

    def password_change(self, request, extra_context=None):
        from accounts.views import staff_password_change

        # Not behind admin_view: a user who must choose their own password has no
        # other page; the view checks the (password + TOTP) login itself.
        return staff_password_change(request)

    def get_urls(self):
        from accounts.views import staff_enrol

        return [
            path("enrol/", staff_enrol, name="staff-enrol"),
            # Ahead of Django's own (which sits behind admin_view): see password_change above.
            path("password_change/", self.password_change, name="password_change"),
            *super().get_urls(),
        ]
