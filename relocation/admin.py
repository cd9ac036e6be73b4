"""Relocation in the admin: the coordinators' waitlist, houses and placements, and the referral on a report's page.

Coordinators see every house, referral and placement here, and nobody else does: each page and action
URL answers 404 (a list, 403) to anyone else, as reports' pages do outside their scope. A referral's
page shows the report's coarse facts (reference, category, place, severity, status, caseworker), never
its content. Addresses and needs are decrypted with the relocation key opened by the personal key the
coordinator's password unlocked at login, and each decryption is on the audit chain.

The page offers exactly the actions relocation.access.actions_for gives, and each action URL calls one
service, which asks the same registry again on the locked rows.

On a report's page (reports.admin.REPORT_SECTIONS), the report's caseworker or a lead sees the status
of its referrals, and, while they may refer it, the form and the free beds per region as bands.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from accounts import session_keys
from backend.admin_base import ReadOnlyModelAdmin
from backend.places import place_name
from backend.templatetags.sanad import when, when_text
from relocation import access, selectors, services
from relocation.access import PlacementAction, RelocationError
from relocation.models import OccupancyDay, Placement, Referral, SafeHouse
from relocation.vocabulary import (
    CancelReason,
    HouseholdType,
    HouseStatus,
    PlacementState,
    ReferralState,
    Region,
    UrgencyReason,
    regions_ruled_out,
)
from reports import admin as reports_admin
from reports.access import CaseAction, CaseworkError

HISTORY_DAYS = 90  # days of occupancy a house's page shows
_column = reports_admin._column


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _number(value):
    """A form's whole number (in any script's digits: a phone keyboard may type ٣) as an int; anything
    else as it came, for the service to refuse by name."""
    text = str(value).strip()
    return int(text) if text.isdecimal() and len(text) <= 4 else value


def _labels(choices, values) -> list[str]:
    names = dict(choices)
    return [str(names.get(value, value)) for value in values]


def _listed(labels) -> str:
    # Translators: what separates the items of a list, as in "Erbil, Duhok" (Arabic script: "، ").
    return pgettext("list separator", ", ").join(labels)


def coordinator(request) -> bool:
    """access.is_coordinator(request.user), asked once a request: a page asks it for every row and button."""
    if not hasattr(request, "_sanad_coordinator"):
        request._sanad_coordinator = access.is_coordinator(request.user)
    return request._sanad_coordinator


class CoordinatorAdmin(ReadOnlyModelAdmin):
    """Pages for relocation coordinators only; for anyone else a list is a 403 and an object a 404."""

    list_display_links = None  # each list links its rows itself
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def has_view_permission(self, request, obj=None):
        return coordinator(request) and super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def _page(self, request, template: str, context: dict) -> TemplateResponse:
        response = TemplateResponse(
            request, template, {**self.admin_site.each_context(request), "opts": self.opts, **context}
        )
        response["Cache-Control"] = "no-store"
        return response


# --- The waitlist ----------------------------------------------------------------------------------


class ReferralStateFilter(admin.SimpleListFilter):
    """The waitlist shows referrals waiting for a bed unless another status is chosen."""

    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*ReferralState.choices, ("all", _("All"))]

    def choices(self, changelist):
        current = self.value() or ReferralState.WAITING
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or ReferralState.WAITING
        if value == "all":
            return queryset
        return queryset.filter(state=value) if value in ReferralState.values else queryset.none()


@admin.register(Referral)
class ReferralAdmin(CoordinatorAdmin):
    list_display = ("urgency_cell", "waiting", "people", "household", "threat_place", "state_cell", "referral_link")
    list_filter = (ReferralStateFilter, "urgency")
    list_per_page = 50
    ordering = ("urgency", "created_at")  # the waitlist's order: the index referral_waitlist serves it
    change_form_template = "relocation/admin/referral_change.html"

    def get_queryset(self, request):
        # The needs' ciphertext (up to a few KB a row) is read only where it is opened.
        return Referral.objects.select_related("report", "referred_by").defer("needs_ciphertext")

    @staticmethod
    def _details(obj: Referral) -> dict:
        if not hasattr(obj, "_details"):
            obj._details = services.referral_details(obj)
        return obj._details

    @_column(gettext_lazy("urgency"), ordering="urgency")
    def urgency_cell(self, obj):
        return obj.get_urgency_display()

    @_column(gettext_lazy("waiting"), ordering="created_at")
    def waiting(self, obj):
        return timesince(obj.created_at)

    @_column(gettext_lazy("people"))
    def people(self, obj):
        details = self._details(obj)
        if not details:
            return ""
        return _("adults: %(adults)d, children: %(children)d") % {
            "adults": details["adults"],
            "children": details["children"],
        }

    @_column(gettext_lazy("household type"))
    def household(self, obj):
        value = self._details(obj).get("household_type")
        return _labels(HouseholdType.choices, [value])[0] if value else ""

    @_column(gettext_lazy("place of the threat"))
    def threat_place(self, obj):
        return place_name(obj.report.governorate)

    @_column(gettext_lazy("status"), ordering="state")
    def state_cell(self, obj):
        return obj.get_state_display()

    @_column(gettext_lazy("referral"))
    def referral_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:relocation_referral_change", args=[obj.pk]), _("Open"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/hold/", wrap(self.hold_view), name="relocation_referral_hold"),
            path("<uuid:object_id>/needs/", wrap(self.needs_view), name="relocation_referral_needs"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._referral_page(request, self.get_in_scope_or_404(request, object_id))

    def needs_view(self, request, object_id):
        """The referral's page with its needs decrypted: only when asked (a POST), so that reading them
        is a choice on the audit chain and not a side effect of every visit or action."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return self._referral_page(request, self.get_in_scope_or_404(request, object_id), reveal=True)

    def _referral_page(self, request, referral, *, reveal: bool = False):
        user, report = request.user, referral.report
        details = services.referral_details(referral)
        needs, needs_error = "", None
        if reveal and referral.needs_ciphertext is not None:
            try:
                needs = services.referral_needs_open(
                    user=user, referral=referral, personal_key=session_keys.unlock(request)
                )
            except RelocationError as exc:
                needs_error = str(exc)
        actions = access.actions_for(user, referral, coordinator=coordinator(request))
        placements = [
            (placement, access.actions_for(user, placement, coordinator=coordinator(request)))
            for placement in referral.placements.select_related("house").order_by("-created_at")
        ]
        context = {
            "title": _("Referral for report %(reference)s") % {"reference": report.reference},
            "referral": referral,
            "report": report,
            "place": place_name(report.governorate),
            "details": details,
            "household": _labels(HouseholdType.choices, [details.get("household_type", "")])[0] if details else "",
            "urgency_reason": _labels(UrgencyReason.choices, [details["urgency_reason"]])[0]
            if details.get("urgency_reason")
            else "",
            "preferred": _listed(_labels(Region.choices, details.get("preferred_regions", []))),
            "avoid": _listed(_labels(Region.choices, details.get("avoid_regions", []))),
            "needs": needs,
            "needs_error": needs_error,
            "has_needs": referral.needs_ciphertext is not None,
            "waited": timesince(referral.created_at),
            "placements": placements,
            "options": selectors.houses_for(referral, details) if PlacementAction.HOLD in actions else [],
            "hold_refusal": access.refusal(user, referral, PlacementAction.HOLD, coordinator=coordinator(request)),
            "hold_hours": settings.SANAD_RELOCATION_HOLD_HOURS,
            "cancel_reasons": CancelReason.choices,
        }
        return self._page(request, self.change_form_template, context)

    def hold_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        referral = self.get_in_scope_or_404(request, object_id)
        house = SafeHouse.objects.filter(pk=_uuid(request.POST.get("house"))).first()
        try:
            if house is None:
                raise RelocationError(_("Choose a house."))
            placement = services.placement_hold(user=request.user, referral=referral, house=house)
        except RelocationError as exc:
            messages.error(request, str(exc))
        else:
            said = ngettext(
                "%(count)d bed held until %(until)s. Record the arrival when the person is there.",
                "%(count)d beds held until %(until)s. Record the arrival when the people are there.",
                placement.beds,
            )
            # No house's name in a message: messages travel in a cookie.
            messages.success(request, said % {"count": placement.beds, "until": when_text(placement.held_until)})
        return redirect("admin:relocation_referral_change", referral.pk)


# --- Placements -------------------------------------------------------------------------------------


def _cancel(request, placement) -> None:
    services.placement_cancel(user=request.user, placement=placement, reason=request.POST.get("reason", ""))


# What each placement action URL does, and what to say when it is done. Who may, and when, is
# relocation.access.PLACEMENT_ACTIONS, asked by the page that shows the button and by the service.
ACT = {
    PlacementAction.PLACE: (
        lambda request, placement: services.placement_place(user=request.user, placement=placement),
        gettext_lazy("Arrival recorded: the beds are occupied."),
    ),
    PlacementAction.DEPART: (
        lambda request, placement: services.placement_depart(user=request.user, placement=placement),
        gettext_lazy("Departure recorded: the beds are free again."),
    ),
    PlacementAction.CANCEL: (_cancel, gettext_lazy("Hold cancelled: the beds are free again.")),
}


@admin.register(Placement)
class PlacementAdmin(CoordinatorAdmin):
    list_display = ("state_cell", "house_cell", "beds_cell", "held_until_cell", "updated", "referral_link")
    list_filter = ("state", "house")
    list_per_page = 50
    ordering = ("-updated_at",)

    def get_queryset(self, request):
        return Placement.objects.select_related("house", "referral")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        placement = self.get_in_scope_or_404(request, object_id)
        return redirect("admin:relocation_referral_change", placement.referral_id)

    @_column(gettext_lazy("status"), ordering="state")
    def state_cell(self, obj):
        return obj.get_state_display()

    @_column(gettext_lazy("safe house"), ordering="house__code_name")
    def house_cell(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:relocation_safehouse_change", args=[obj.house_id]), obj.house
        )

    @_column(gettext_lazy("beds"))
    def beds_cell(self, obj):
        return obj.beds

    @_column(gettext_lazy("held until"), ordering="held_until")
    def held_until_cell(self, obj):
        return when(obj.held_until) if obj.state == PlacementState.HELD else ""

    @_column(gettext_lazy("updated"), ordering="updated_at")
    def updated(self, obj):
        return when(obj.updated_at)

    @_column(gettext_lazy("referral"))
    def referral_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:relocation_referral_change", args=[obj.referral_id]), _("Open")
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/act/<str:action>/", wrap(self.act_view), name="relocation_placement_act"),
            *super().get_urls(),
        ]

    def act_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        placement = self.get_in_scope_or_404(request, object_id)
        if action not in ACT:
            raise Http404(_("Not found."))
        handler, done = ACT[action]
        try:
            handler(request, placement)
        except RelocationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done)
        if request.POST.get("back") == "house":
            return redirect("admin:relocation_safehouse_change", placement.house_id)
        return redirect("admin:relocation_referral_change", placement.referral_id)


# --- Houses -----------------------------------------------------------------------------------------


class WholeNumberField(forms.IntegerField):
    """Digits only (of any script: a phone keyboard may type ٣), never Python's other spellings ("1_0")."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not value.strip().isdecimal():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class HouseForm(forms.Form):
    code_name = forms.CharField(
        label=gettext_lazy("Code name"),
        max_length=40,
        help_text=gettext_lazy("A name for the house that tells nothing of where it is."),
    )
    region = forms.ChoiceField(label=gettext_lazy("Region"), choices=Region.choices)
    household_types = forms.MultipleChoiceField(
        label=gettext_lazy("Household types it takes"),
        choices=HouseholdType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    beds_funded = WholeNumberField(label=gettext_lazy("Beds funded"), min_value=0, max_value=services.MAX_BEDS)
    beds_in_service = WholeNumberField(label=gettext_lazy("Beds in service"), min_value=0, max_value=services.MAX_BEDS)
    address = forms.CharField(
        label=gettext_lazy("Address"),
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto", "autocomplete": "off"}),
        help_text=gettext_lazy("Encrypted to the relocation key: only coordinators holding it can read it."),
    )
    contact = forms.CharField(
        label=gettext_lazy("Contact"),
        max_length=services.MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto", "autocomplete": "off"}),
    )
    access_notes = forms.CharField(
        label=gettext_lazy("Access notes"),
        max_length=services.MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto", "autocomplete": "off"}),
    )


class CapacityForm(forms.Form):
    beds_funded = WholeNumberField(label=gettext_lazy("Beds funded"), min_value=0, max_value=services.MAX_BEDS)
    beds_in_service = WholeNumberField(label=gettext_lazy("Beds in service"), min_value=0, max_value=services.MAX_BEDS)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=HouseStatus.choices)


def _capacity(house) -> dict:
    return {"beds_funded": house.beds_funded, "beds_in_service": house.beds_in_service, "status": house.status}


@admin.register(SafeHouse)
class SafeHouseAdmin(CoordinatorAdmin):
    list_display = ("name", "region_cell", "status_cell", "in_service", "held", "occupied", "free", "funded")
    list_filter = ("region", "status")
    list_per_page = 100
    ordering = ("code_name",)
    change_form_template = "relocation/admin/house_change.html"

    def has_add_permission(self, request):
        return self.has_view_permission(request)

    @_column(gettext_lazy("code name"), ordering="code_name")
    def name(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:relocation_safehouse_change", args=[obj.pk]), obj.code_name
        )

    @_column(gettext_lazy("region"), ordering="region")
    def region_cell(self, obj):
        return obj.get_region_display()

    @_column(gettext_lazy("status"), ordering="status")
    def status_cell(self, obj):
        return obj.get_status_display()

    @_column(gettext_lazy("beds in service"), ordering="beds_in_service")
    def in_service(self, obj):
        return obj.beds_in_service

    @_column(gettext_lazy("beds held"), ordering="beds_held")
    def held(self, obj):
        return obj.beds_held

    @_column(gettext_lazy("beds occupied"), ordering="beds_occupied")
    def occupied(self, obj):
        return obj.beds_occupied

    @_column(gettext_lazy("beds free"))
    def free(self, obj):
        return obj.beds_free

    @_column(gettext_lazy("beds funded"), ordering="beds_funded")
    def funded(self, obj):
        return obj.beds_funded

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise Http404(_("Not found."))
        form = HouseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                house = services.house_create(user=request.user, **form.cleaned_data)
            except RelocationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("House added."))  # no name: messages travel in a cookie
                return redirect("admin:relocation_safehouse_change", house.pk)
        return self._page(request, "relocation/admin/house_add.html", {"title": _("Add a safe house"), "form": form})

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/address/", wrap(self.address_view), name="relocation_safehouse_address"),
            *super().get_urls(),
        ]

    def address_view(self, request, object_id):
        """The house's page with its address decrypted: only when asked (a POST), so that reading it is a
        choice on the audit chain and not a side effect of every visit or action."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        house = self.get_in_scope_or_404(request, object_id)
        return self._house_page(request, house, CapacityForm(initial=_capacity(house)), reveal=True)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        house = self.get_in_scope_or_404(request, object_id)
        user = request.user
        form = CapacityForm(request.POST or None, initial=_capacity(house))
        if request.method == "POST":
            if form.is_valid():
                try:
                    services.house_change(user=user, house=house, **form.cleaned_data)
                except RelocationError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, _("Saved."))
                    return redirect("admin:relocation_safehouse_change", house.pk)
        return self._house_page(request, house, form)

    def _house_page(self, request, house, form, *, reveal: bool = False):
        address, address_error = None, None
        if reveal:
            try:
                address = services.house_address_open(
                    user=request.user, house=house, personal_key=session_keys.unlock(request)
                )
            except RelocationError as exc:
                address_error = str(exc)
        since = timezone.localdate() - timedelta(days=HISTORY_DAYS)
        live = house.placements.filter(state__in=[PlacementState.HELD, PlacementState.PLACED]).order_by("created_at")
        context = {
            "title": _("Safe house %(name)s") % {"name": house.code_name},
            "house": house,
            "household_types": _listed(_labels(HouseholdType.choices, house.household_types)),
            "address": address,
            "address_error": address_error,
            "form": form,
            "placements": [
                (placement, access.actions_for(request.user, placement, coordinator=coordinator(request)))
                for placement in live
            ],
            "cancel_reasons": CancelReason.choices,
            "history": OccupancyDay.objects.filter(house=house, day__gte=since).order_by("-day"),
            "history_days": HISTORY_DAYS,
        }
        return self._page(request, self.change_form_template, context)


# --- On a report's page -----------------------------------------------------------------------------


def referral_section(request, report, actions) -> str:
    """The report's referrals (their status only) and, while one may be made, the form: for the report's
    caseworker or a lead, who are the only ones shown its page with a referral action."""
    referrals = list(report.referrals.order_by("-created_at"))
    may_refer = CaseAction.REFER in actions
    if not referrals and not may_refer:
        return ""
    ruled_out = regions_ruled_out(report.governorate)
    return render_to_string(
        "relocation/admin/report_section.html",
        {
            "report": report,
            "referrals": referrals,
            "may_refer": may_refer,
            "bands": selectors.free_bed_bands(),
            "household_types": HouseholdType.choices,
            "urgency_reasons": UrgencyReason.choices,
            "regions": [(value, label) for value, label in Region.choices if value not in ruled_out],
            "ruled_out": _listed(_labels(Region.choices, sorted(ruled_out))),
            "max_people": services.MAX_PEOPLE,
            "max_text": services.MAX_TEXT,
        },
        request=request,
    )


def _refer(request, report) -> str:
    post = request.POST
    try:
        referral = services.referral_create(
            user=request.user,
            report=report,
            adults=_number(post.get("adults")),
            children=_number(post.get("children") or 0),
            household_type=post.get("household_type", ""),
            urgency_reason=post.get("urgency_reason", ""),
            preferred_regions=post.getlist("preferred_regions"),
            avoid_regions=post.getlist("avoid_regions"),
            needs=post.get("needs", ""),
        )
    except RelocationError as exc:
        raise CaseworkError(str(exc)) from None
    return _("Referred for relocation, urgency “%(urgency)s”. A coordinator will offer a bed.") % {
        "urgency": referral.get_urgency_display()
    }


reports_admin.REPORT_SECTIONS.append(referral_section)
reports_admin.ACT["refer"] = (_refer, gettext_lazy("Referred for relocation."))
