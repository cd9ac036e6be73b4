"""The partners' pages: sysadmins add partners and issue or revoke their tokens; auditors (and sysadmins)
read every release and every spend in the privacy ledger. Nothing here changes a release: they are
built by the beat task or `manage.py build_release`, and never edited."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, has_role
from backend.admin_base import ReadOnlyModelAdmin, ScopedAdminMixin, code_display
from backend.sealed_fields import seal_value
from partners.models import LedgerEntry, Partner, PartnerToken, Release
from partners.tokens import token_issue, token_revoke


class PartnerForm(forms.ModelForm):
    contact = forms.CharField(
        label=gettext_lazy("How to reach them"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Sealed before it is stored; shown to no one on these pages."),
    )

    class Meta:
        model = Partner
        fields = ["name"]


@admin.register(Partner)
class PartnerAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = PartnerForm
    list_display = ("name", "live_tokens", "created_at")
    actions = None

    def _sysadmin(self, request) -> bool:
        return has_role(request.user, Role.SYSADMIN)

    def has_view_permission(self, request, obj=None):
        return self._sysadmin(request)

    def has_add_permission(self, request):
        return self._sysadmin(request)

    def has_change_permission(self, request, obj=None):
        return self._sysadmin(request) and obj is None  # a partner's name is kept; tokens change

    def has_delete_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return self._sysadmin(request) or has_role(request.user, Role.AUDITOR)

    @admin.display(description=gettext_lazy("live tokens"))
    def live_tokens(self, partner):
        return partner.tokens.filter(revoked_at=None, expires_at__gt=timezone.now()).count()

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            contact = form.cleaned_data.get("contact")
            if contact:
                sealed = seal_value(obj, "contact_sealed", contact.encode("utf-8"))
                Partner.objects.filter(pk=obj.pk).update(contact_sealed=sealed)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/token/", wrap(self.token_view), name="partners_partner_token"),
            path("<uuid:object_id>/revoke/<uuid:token_id>/", wrap(self.revoke_view), name="partners_partner_revoke"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        partner = self.get_in_scope_or_404(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "partner": partner,
            "tokens": partner.tokens.all(),
            "title": partner.name,
        }
        return TemplateResponse(request, "partners/admin/partner_change.html", context)

    def token_view(self, request, object_id):
        """Issue a token and show it on this one answer, never stored anywhere readable (not in a message,
        which would sit in the session) and not kept by the browser."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        partner = self.get_in_scope_or_404(request, object_id)
        row, token = token_issue(partner=partner, actor=request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "partner": partner,
            "row": row,
            "token": token,
            "title": _("A new token for %(partner)s") % {"partner": partner.name},
        }
        response = TemplateResponse(request, "partners/admin/token_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def revoke_view(self, request, object_id, token_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        partner = self.get_in_scope_or_404(request, object_id)
        token = get_object_or_404(PartnerToken, pk=token_id, partner=partner)
        if token_revoke(token=token, actor=request.user):
            messages.success(request, _("Token revoked: it no longer opens anything."))
        return HttpResponseRedirect(reverse("admin:partners_partner_change", args=[partner.pk]))


class AuditorOrSysadmin:
    def has_view_permission(self, request, obj=None):
        return has_role(request.user, Role.AUDITOR, Role.SYSADMIN)

    def has_module_permission(self, request):
        return self.has_view_permission(request)


@admin.register(Release)
class ReleaseAdmin(AuditorOrSysadmin, ReadOnlyModelAdmin):
    list_display = ("month_code", "built_at", "rho_code", "epsilon", "sha256_code")
    ordering = ("-month",)
    fields = readonly_fields = ("month_code", "built_at", "rho_code", "epsilon", "delta", "sha256_code", "body")

    @admin.display(description=gettext_lazy("month"), ordering="month")
    def month_code(self, release):
        return code_display(f"{release.month:%Y-%m}")

    @admin.display(description=gettext_lazy("rho (zCDP)"), ordering="rho")
    def rho_code(self, release):
        return code_display(release.rho.normalize())

    @admin.display(description=gettext_lazy("SHA-256 of the JSON"))
    def sha256_code(self, release):
        return code_display(release.sha256)

    @admin.display(description=gettext_lazy("as published"))
    def body(self, release):
        text = json.dumps(json.loads(bytes(release.body_json)), ensure_ascii=False, indent=2, sort_keys=True)
        return format_html('<pre dir="ltr" translate="no">{}</pre>', text)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AuditorOrSysadmin, ReadOnlyModelAdmin):
    list_display = ("created_at", "year", "release", "rho_code", "spent_before_code", "cap_code")
    list_filter = ("year",)
    ordering = ("-created_at",)
    fields = readonly_fields = ("created_at", "year", "release", "rho_code", "spent_before_code", "cap_code")

    @admin.display(description=gettext_lazy("rho (zCDP)"), ordering="rho")
    def rho_code(self, entry):
        return code_display(entry.rho.normalize())

    @admin.display(description=gettext_lazy("spent before this"))
    def spent_before_code(self, entry):
        return code_display(entry.spent_before.normalize())

    @admin.display(description=gettext_lazy("yearly cap"))
    def cap_code(self, entry):
        return code_display(entry.cap.normalize())
