"""The audit chain in the admin: auditors read it, nobody can add, change or delete through it.

Viewing needs the `audit.view_auditentry` permission (given to the auditor
role by migration 0002). There are no actions, so the site-wide
"delete selected" never appears.
"""

from django.contrib import admin

from audit.models import AuditEntry
from backend.admin_base import ReadOnlyModelAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("seq", "at", "actor_name", "action", "object_type", "object_id")
    list_filter = ("action",)
    # Exact matches only: served by indexes, and nobody browses by substring.
    search_fields = ("=object_id", "=actor_name")
    ordering = ("-seq",)
    actions = None
    show_full_result_count = False  # no COUNT(*) over the whole chain on every search
    fields = readonly_fields = (
        "seq",
        "at",
        "actor_id",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "details",
        "prev_hash",
        "entry_hash",
    )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("audit.view_auditentry")
