"""The caseworker's workspace in the admin: the queue, a report's page, and its actions.

Every view starts from reports.access.reports_visible_to(user): a report
outside it answers 404 (its existence is not confirmed), in the list, the
search, the change page and every action URL alike. The page offers exactly
the actions reports.access.actions_for gives, and each action URL calls one
service of reports.casework, which asks the same registry again on the
locked row. Content is decrypted only on the change page, for someone who
may read it and holds a grant, and each decryption is on the audit chain.

The queue is built to stay fast with a million reports: rows are read in the
order of an index on (queue rank, deadline, time, id), without the ciphertexts;
candidate links are counted for the rows of the page only; filter choices
come from staff and vocabulary rows, not from the reports table; a search by
reference is a range on the primary key; and the count stops at
BoundedPaginator.LIMIT.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import InvalidPage, Paginator
from django.db import connections
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import session_keys
from accounts.models import Coverage, StaffUser
from backend.admin_base import ReadOnlyModelAdmin
from backend.places import IRAQ_SUBDIVISIONS, place_choices, place_name
from backend.templatetags.sanad import when
from reports import access, casework
from reports.access import CaseAction, CaseworkError
from reports.models import QUEUE_ORDER, QUEUE_RANK, CandidateLink, Evidence, Report, ReportState
from reports.vocabulary import Outcome, reason_sentence

_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_REFERENCE = re.compile(r"\A[0-9a-fA-F-]{1,36}\Z")
# Columns the list shows; the ciphertexts and sealed details stay on disk.
LIST_COLUMNS = (
    "id",
    "state",
    "severity",
    "sla_due_at",
    "category",
    "governorate",
    "assigned_to",
    "created_at",
    "intake_key_id",
)


def _count_at_most(queryset, limit: int) -> int:
    return queryset.order_by().values("pk")[:limit].count()


class MergedQueue:
    """A caseworker's queue read as the database reads it best: each part of their scope (their own
    reports; the unassigned queue of their places) in queue order from its own index, then merged.

    One query with `A OR B` can use neither index for the order (and the planner misjudges how many
    rows it matches), so a deep page walked a lead-sized index and threw most of it away. The parts
    share no report, so the first `stop` rows of the whole are among the first `stop` of each part:
    one statement takes those from each part, each by its own index, and orders their union (at most
    parts x stop short rows); only the page's ids leave the database, and its rows are then read by
    primary key from the scoped queryset.

    `filtered` holds the page's filters and search but not the scope: each part brings its own.
    """

    def __init__(self, *, filtered, scoped, parts: list[Q]) -> None:
        self.parts = [filtered.filter(part) for part in parts]
        self.scoped = scoped

    def count_at_most(self, limit: int) -> int:
        return min(limit, sum(_count_at_most(part, limit) for part in self.parts))

    def __getitem__(self, page: slice) -> list:
        branches, params = [], []
        for n, part in enumerate(self.parts):
            firsts = (
                part.annotate(rank=QUEUE_RANK)
                .order_by(*QUEUE_ORDER)
                .values_list("rank", "sla_due_at", "created_at", "id")[: page.stop]
            )
            try:
                sql, part_params = firsts.query.get_compiler(using=self.scoped.db).as_sql()
            except EmptyResultSet:  # e.g. the queue of a caseworker who covers no place yet
                continue
            # Only the ORM's own SQL is put together here; every value is a parameter.
            branches.append(f"SELECT * FROM ({sql}) AS part{n}")  # nosec B608
            params += part_params
        if not branches:
            return []
        # The order of QUEUE_ORDER, on the union's columns (rank, deadline, time, id).
        merged = (
            f"SELECT merged.id FROM ({' UNION ALL '.join(branches)}) AS merged "  # nosec B608
            "ORDER BY merged.rank, merged.sla_due_at ASC NULLS LAST, merged.created_at, merged.id "
            "LIMIT %s OFFSET %s"
        )
        with connections[self.scoped.db].cursor() as cursor:
            cursor.execute(merged, [*params, page.stop - page.start, page.start])
            ids = [uuid.UUID(str(pk)) for (pk,) in cursor.fetchall()]
        rows = {row.pk: row for row in self.scoped.filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]


class BoundedPaginator(Paginator):
    """Counts at most LIMIT + 1 rows: a queue of a million reports is never counted to the end."""

    LIMIT = 10_000

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, MergedQueue):
            return self.object_list.count_at_most(self.LIMIT + 1)
        return _count_at_most(self.object_list, self.LIMIT + 1)


class ReportChangeList(ChangeList):
    def get_results(self, request):
        """As Django's, but a caseworker's queue in its own order is read part by part (MergedQueue)."""
        parts = access.visible_parts(request.user)
        if len(parts) < 2 or ORDER_VAR in self.params:  # a lead's scope is one part; a chosen order is asked as is
            return super().get_results(request)
        scoped_root = self.root_queryset
        self.root_queryset = Report.objects.all()  # the same filters and search, without the scope's OR
        try:
            filtered = self.get_queryset(request)
        finally:
            self.root_queryset = scoped_root
        queue = MergedQueue(filtered=filtered, scoped=self.queryset, parts=parts)
        paginator = self.model_admin.get_paginator(request, queue, self.list_per_page)
        self.result_count = paginator.count
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.can_show_all = self.result_count <= self.list_max_show_all
        self.multi_page = self.result_count > self.list_per_page
        if (self.show_all and self.can_show_all) or not self.multi_page:
            self.result_list = queue[0 : self.result_count]
        else:
            try:
                self.result_list = paginator.page(self.page_num).object_list
            except InvalidPage:
                raise IncorrectLookupParameters from None
        self.paginator = paginator

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        user = request.user
        # Only links to reports this user may see: a count would tell of the others. A subquery is
        # evaluated for the rows of the page only, after the index has cut them.
        links = (
            CandidateLink.objects.filter(
                access.visible_q(user, prefix="other__"),
                report=OuterRef("pk"),
                status=CandidateLink.Status.CANDIDATE,
            )
            .order_by()
            .values("report")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return queryset.only(*LIST_COLUMNS, "assigned_to__username").annotate(
            candidate_links=Coalesce(Subquery(links, output_field=IntegerField()), 0)
        )


class AssigneeFilter(admin.SimpleListFilter):
    """Who a report is with: a lead chooses among caseworkers; a caseworker sees their own and the queue."""

    title = gettext_lazy("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        choices = [("me", _("Me")), ("none", _("Unassigned"))]
        if access.is_lead(request.user):
            choices += [(str(pk), name) for pk, name in StaffUser.objects.caseworkers().values_list("pk", "username")]
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_to=request.user)
        if value == "none":
            return queryset.filter(assigned_to=None)
        if value:
            user_id = _uuid_or_none(value)
            return queryset.filter(assigned_to_id=user_id) if user_id else queryset.none()
        return queryset


class GovernorateFilter(admin.SimpleListFilter):
    """Places by name: a caseworker's own coverage; for a lead, Iraq's places and every place any caseworker covers."""

    title = gettext_lazy("place")
    parameter_name = "governorate"

    def lookups(self, request, model_admin):
        if access.is_lead(request.user):
            covered = {code for codes in Coverage.objects.values_list("governorates", flat=True) for code in codes}
            codes = IRAQ_SUBDIVISIONS | covered
        else:
            codes = set(access.covered_places(request.user))
        return place_choices(codes, with_code=False)  # a phone's narrow filter: names only

    def queryset(self, request, queryset):
        return queryset.filter(governorate=self.value()) if self.value() else queryset


# What each action URL does: the service it calls, and what to say when it is done (a handler may say more).
# Who may, and when, is reports.access.CASE_ACTIONS, asked by the page that shows the button and by the service.
def _reassign(request, report) -> str:
    assignee = StaffUser.objects.filter(pk=_uuid_or_none(request.POST.get("assignee"))).first()
    if assignee is None:
        raise CaseworkError(_("Choose a caseworker."))
    casework.report_reassign(user=request.user, report=report, assignee=assignee)
    return _("Assigned to %(name)s.") % {"name": assignee.username}


def _mark_link(confirmed: bool) -> Callable:
    def mark(request, report) -> None:
        link_id = _int_or_none(request.POST.get("link"))
        if casework.link_mark(user=request.user, report=report, link_id=link_id, confirmed=confirmed) is None:
            raise Http404(_("Not found."))

    return mark


ACT: dict[str, tuple[Callable, str]] = {
    "claim": (lambda r, rep: casework.report_claim(user=r.user, report=rep), gettext_lazy("The report is yours now.")),
    "acknowledge": (
        lambda r, rep: casework.report_acknowledge(user=r.user, report=rep),
        gettext_lazy("Acknowledged: the deadline clock has stopped."),
    ),
    "start": (lambda r, rep: casework.report_start(user=r.user, report=rep), gettext_lazy("Work started.")),
    "close": (
        lambda r, rep: casework.report_close(user=r.user, report=rep, outcome=r.POST.get("outcome", "")),
        gettext_lazy("Closed."),
    ),
    "reassign": (_reassign, gettext_lazy("Assigned.")),
    "unpark": (lambda r, rep: casework.report_unpark(user=r.user, report=rep), gettext_lazy("Sent back to triage.")),
    "confirm_link": (_mark_link(True), gettext_lazy("Link confirmed.")),
    "reject_link": (_mark_link(False), gettext_lazy("Link rejected.")),
    "reply": (
        lambda r, rep: casework.reply_send(user=r.user, report=rep, body=r.POST.get("body", "")),
        gettext_lazy("Reply encrypted to the reporter's key. They see it when they check their status."),
    ),
}


# What other apps add to a report's page, so that reports imports none of them (relocation adds its
# referral): functions (request, report, actions) -> HTML ("" for nothing), shown after the actions.
# An app that adds a form adds its action URL to ACT, and its action to reports.access.CASE_ACTIONS.
REPORT_SECTIONS: list[Callable] = []


def _column(description, *, ordering=None) -> Callable:
    """A queue column: its value (a dash if empty) after the column's name, which only the phone's card
    layout shows (backend/static/sanad/admin.css), since a table of nine columns cannot fit 390 px."""

    def column(value_of):
        @admin.display(description=description, ordering=ordering)
        @functools.wraps(value_of)
        def cell(self, obj):
            value = value_of(self, obj)
            return format_html(
                '<span class="sanad-label">{}: </span>{}',
                capfirst(description),
                value if value not in (None, "") else "–",
            )

        return cell

    return column


@admin.register(Report)
class ReportAdmin(ReadOnlyModelAdmin):
    # Each cell carries its column's name, shown only where a phone shows the rows as cards
    # (backend/static/sanad/admin.css): a table of nine columns cannot fit 390 px.
    list_display = (
        "reference_link",
        "severity_cell",
        "state_cell",
        "deadline",
        "category_cell",
        "place",
        "assignee",
        "links",
        "received",
    )
    list_display_links = None
    list_filter = ("state", "severity", GovernorateFilter, "category", AssigneeFilter)
    search_fields = ("id",)  # by reference: see get_search_results
    search_help_text = gettext_lazy("Search by reference (the first characters of the report id).")
    list_per_page = 50
    paginator = BoundedPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = None
    change_form_template = "reports/admin/report_change.html"

    # --- Scope -------------------------------------------------------------------------

    def get_queryset(self, request):
        return access.reports_visible_to(request.user).select_related("assigned_to", "intake_key")

    def get_changelist(self, request, **kwargs):
        return ReportChangeList

    def get_ordering(self, request):
        # Open work first, most urgent first (reports.models.QUEUE_ORDER, which an index serves).
        return QUEUE_ORDER

    def get_search_results(self, request, queryset, search_term):
        """A reference is the start of the report id: a range on the primary key, never a scan."""
        term = search_term.strip().replace("-", "").lower()
        if not term:
            return queryset, False
        if not _REFERENCE.match(search_term.strip()) or len(term) > 32:
            return queryset.none(), False
        low, high = term.ljust(32, "0"), term.ljust(32, "f")
        return queryset.filter(pk__gte=uuid.UUID(low), pk__lte=uuid.UUID(high)), False

    def has_view_permission(self, request, obj=None):
        if not (access.is_lead(request.user) or access.is_caseworker(request.user)):
            return False
        return super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    # --- List --------------------------------------------------------------------------

    @_column(gettext_lazy("reference"), ordering="id")
    def reference_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:reports_report_change", args=[obj.pk]), obj.reference)

    @_column(gettext_lazy("severity"), ordering="severity")
    def severity_cell(self, obj):
        return obj.get_severity_display()

    @_column(gettext_lazy("status"), ordering="state")
    def state_cell(self, obj):
        return obj.get_state_display()

    @_column(gettext_lazy("acknowledge by"), ordering="sla_due_at")
    def deadline(self, obj):
        return when(obj.sla_due_at)

    @_column(gettext_lazy("category"), ordering="category")
    def category_cell(self, obj):
        return obj.get_category_display()

    @_column(gettext_lazy("place"), ordering="governorate")
    def place(self, obj):
        return place_name(obj.governorate)

    @_column(gettext_lazy("assigned to"), ordering="assigned_to__username")
    def assignee(self, obj):
        return obj.assigned_to.username if obj.assigned_to_id else ""

    @_column(gettext_lazy("candidate links"))
    def links(self, obj):
        return obj.candidate_links or ""

    @_column(gettext_lazy("received"), ordering="created_at")
    def received(self, obj):
        return when(obj.created_at)

    # --- Change page: read and act -----------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/act/<str:action>/", wrap(self.act_view), name="reports_report_act"),
            path(
                "<uuid:object_id>/evidence/<uuid:evidence_id>/",
                wrap(self.evidence_view),
                name="reports_report_evidence",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_in_scope_or_404(request, object_id)
        user = request.user
        actions = access.actions_for(user, report)
        opened, decrypt_error = None, access.refusal(user, report, CaseAction.READ)
        if CaseAction.READ in actions:
            try:
                opened = access.report_open(user=user, report=report, personal_key=session_keys.unlock(request))
            except access.CannotDecrypt as exc:
                decrypt_error = str(exc)
        links = (
            report.links.filter(access.visible_q(user, prefix="other__"))
            .select_related("other")
            .order_by("status", "-created_at")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Report %(reference)s") % {"reference": report.reference},
            "report": report,
            "place": place_name(report.governorate),
            "severity_reasons": [reason_sentence(code) for code in access.severity_reasons_for(user, report)],
            "opened": opened,
            "decrypt_error": decrypt_error,
            "links": links,
            "actions": {str(action) for action in actions},
            "withdrawn": report.state == ReportState.WITHDRAWN,
            "is_lead": access.is_lead(user),
            "assignees": access.eligible_assignees(report).exclude(pk=report.assigned_to_id)
            if CaseAction.REASSIGN in actions
            else [],
            "outcomes": Outcome.choices,
            "reply_max": casework.MAX_REPLY_CHARS,
            "replies": report.replies.select_related("author").order_by("created_at"),
            "transitions": report.transitions.select_related("actor"),
            "sections": [section(request, report, actions) for section in REPORT_SECTIONS],
        }
        response = TemplateResponse(request, self.change_form_template, context)
        response["Cache-Control"] = "no-store"
        return response

    def act_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.get_in_scope_or_404(request, object_id)
        if action not in ACT:
            raise Http404(_("Not found."))
        handler, done = ACT[action]
        try:
            said = handler(request, report)
        except CaseworkError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, said if isinstance(said, str) else done)
        if not access.reports_visible_to(request.user).filter(pk=report.pk).exists():
            return redirect("admin:reports_report_changelist")
        return redirect("admin:reports_report_change", report.pk)

    def evidence_view(self, request, object_id, evidence_id):
        report = self.get_in_scope_or_404(request, object_id)
        evidence = Evidence.objects.filter(pk=evidence_id, report=report).select_related("report", "intake_key").first()
        if evidence is None:
            raise Http404(_("Not found."))
        try:
            meta, body = access.evidence_open(
                user=request.user, evidence=evidence, personal_key=session_keys.unlock(request)
            )
        except access.CannotDecrypt as exc:
            messages.error(request, str(exc))
            return redirect("admin:reports_report_change", report.pk)
        name = _SAFE_FILENAME.sub("_", str(meta.get("filename") or "evidence"))[:100].strip("._") or "evidence"
        # Never rendered by the browser: an attachment of an opaque type, no sniffing, never cached.
        response = HttpResponse(body, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
