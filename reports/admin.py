"""The caseworker's workspace in the admin: the queue, a report's page, and its actions.

Every view starts from reports.workspace.reports_visible_to(user): a report
outside it answers 404 (its existence is not confirmed), in the list, the
search, the change page and every action URL alike. Content is decrypted
only on the change page, for someone who may read it and holds a grant, and
each decryption is on the audit chain. Nothing here is editable as a form:
changes are the actions, each a service in reports.workspace.
"""

from __future__ import annotations

import re
import uuid

from django.contrib import admin, messages
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts import session_keys
from accounts.models import StaffUser
from backend.admin_base import ReadOnlyModelAdmin
from reports import workspace
from reports.models import CandidateLink, Evidence, Report, ReportState, Severity
from reports.tasks import send_notifications
from reports.vocabulary import Outcome

SEVERITY_RANK = Case(
    When(severity=Severity.CRITICAL, then=Value(0)),
    When(severity=Severity.HIGH, then=Value(1)),
    When(severity=Severity.MEDIUM, then=Value(2)),
    When(severity=Severity.LOW, then=Value(3)),
    default=Value(4),
    output_field=IntegerField(),
)
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


class AssigneeFilter(admin.SimpleListFilter):
    """Assignees among the reports one can see (not a list of every member of staff)."""

    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        visible = workspace.reports_visible_to(request.user)
        users = StaffUser.objects.filter(pk__in=visible.exclude(assigned_to=None).values("assigned_to")).order_by(
            "username"
        )
        return [("me", "Me"), ("none", "Unassigned"), *[(str(u.pk), u.username) for u in users]]

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
    title = "governorate"
    parameter_name = "governorate"

    def lookups(self, request, model_admin):
        codes = (
            workspace.reports_visible_to(request.user)
            .values_list("governorate", flat=True)
            .distinct()
            .order_by("governorate")
        )
        return [(code, code) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(governorate=self.value()) if self.value() else queryset


@admin.register(Report)
class ReportAdmin(ReadOnlyModelAdmin):
    list_display = (
        "reference_link",
        "severity",
        "state",
        "sla_due_at",
        "category",
        "governorate",
        "assigned_to",
        "links",
        "created_at",
    )
    list_display_links = None
    list_filter = ("state", "severity", GovernorateFilter, "category", AssigneeFilter)
    search_fields = ("^id",)
    search_help_text = "Search by reference (the first characters of the report id)."
    list_per_page = 50
    show_facets = admin.ShowFacets.NEVER
    actions = None
    change_form_template = "reports/admin/report_change.html"

    # --- Scope -------------------------------------------------------------------------

    def get_queryset(self, request):
        visible = workspace.reports_visible_to(request.user)
        return visible.select_related("assigned_to", "intake_key").annotate(
            severity_rank=SEVERITY_RANK,
            # Only links to reports this user may see: a count would tell of the others.
            candidate_links=Count(
                "links", filter=Q(links__status=CandidateLink.Status.CANDIDATE, links__other__in=visible.values("pk"))
            ),
        )

    def get_ordering(self, request):
        # Most urgent first: severity, then the acknowledgement deadline.
        return ("severity_rank", "sla_due_at", "created_at")

    def has_view_permission(self, request, obj=None):
        if not (workspace.is_lead(request.user) or workspace.is_caseworker(request.user)):
            return False
        return super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    # --- List --------------------------------------------------------------------------

    @admin.display(description="reference", ordering="id")
    def reference_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:reports_report_change", args=[obj.pk]), obj.reference)

    @admin.display(description="candidate links", ordering="candidate_links")
    def links(self, obj):
        return obj.candidate_links or ""

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
        opened, decrypt_error = None, None
        if workspace.may_read(user, report):
            try:
                opened = workspace.report_open(user=user, report=report, personal_key=session_keys.unlock(request))
            except workspace.CannotDecrypt as exc:
                decrypt_error = str(exc)
        else:
            decrypt_error = (
                "You may read a report once it is assigned to you."
                if report.state != ReportState.WITHDRAWN
                else "The reporter withdrew this report: its content is deleted."
            )
        links = (
            report.links.filter(other__in=workspace.reports_visible_to(user))
            .select_related("other")
            .order_by("status", "-created_at")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Report {report.reference}",
            "report": report,
            "opened": opened,
            "decrypt_error": decrypt_error,
            "links": links,
            "may_work": workspace.may_work(user, report),
            "is_lead": workspace.is_lead(user),
            "can_claim": report.state == ReportState.TRIAGED and report.assigned_to_id is None,
            "assignees": workspace.eligible_assignees(report) if workspace.is_lead(user) else [],
            "outcomes": Outcome.choices,
            "reply_max": workspace.MAX_REPLY_CHARS,
            "replies": report.replies.select_related("author").order_by("created_at"),
            "transitions": report.transitions.select_related("actor"),
            "S": ReportState,
        }
        response = TemplateResponse(request, self.change_form_template, context)
        response["Cache-Control"] = "no-store"
        return response

    def act_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.get_in_scope_or_404(request, object_id)
        user = request.user
        try:
            if action == "claim":
                workspace.report_claim(user=user, report=report)
                messages.success(request, "The report is yours now.")
            elif action == "acknowledge":
                workspace.report_acknowledge(user=user, report=report)
                messages.success(request, "Acknowledged: the SLA clock has stopped.")
            elif action == "start":
                workspace.report_start(user=user, report=report)
            elif action == "close":
                workspace.report_close(user=user, report=report, outcome=request.POST.get("outcome", ""))
                messages.success(request, "Closed.")
            elif action == "reassign":
                assignee = StaffUser.objects.filter(pk=_uuid_or_none(request.POST.get("assignee"))).first()
                if assignee is None:
                    raise workspace.WorkspaceError("Choose a caseworker.")
                send_notifications(workspace.report_reassign(user=user, report=report, assignee=assignee))
                messages.success(request, f"Reassigned to {assignee.username}.")
            elif action == "unpark":
                workspace.report_unpark(user=user, report=report)
                messages.success(request, "Sent back to triage.")
            elif action in ("confirm_link", "reject_link"):
                link = (
                    report.links.filter(
                        pk=_int_or_none(request.POST.get("link")),
                        other__in=workspace.reports_visible_to(user).values("pk"),
                    )
                    .select_related("report")
                    .first()
                )
                if link is None:
                    raise Http404("Not found.")
                workspace.link_mark(user=user, link=link, confirmed=action == "confirm_link")
            elif action == "reply":
                workspace.reply_send(user=user, report=report, body=request.POST.get("body", ""))
                messages.success(
                    request, "Reply encrypted to the reporter's key. They see it when they check their status."
                )
            else:
                raise Http404("Not found.")
        except workspace.WorkspaceError as exc:
            messages.error(request, str(exc))
        if not workspace.reports_visible_to(user).filter(pk=report.pk).exists():
            return redirect("admin:reports_report_changelist")
        return redirect("admin:reports_report_change", report.pk)

    def evidence_view(self, request, object_id, evidence_id):
        report = self.get_in_scope_or_404(request, object_id)
        evidence = Evidence.objects.filter(pk=evidence_id, report=report).select_related("report", "intake_key").first()
        if evidence is None:
            raise Http404("Not found.")
        try:
            meta, body = workspace.evidence_open(
                user=request.user, evidence=evidence, personal_key=session_keys.unlock(request)
            )
        except workspace.CannotDecrypt as exc:
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
