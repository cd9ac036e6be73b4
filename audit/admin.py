"""The audit chain in the admin: auditors read it, nobody can add, change or delete through it.

Viewing needs the `audit.view_auditentry` permission (given to the auditor
role by migration 0002). There are no actions, so the site-wide
"delete selected" never appears.
"""

import json

from django.apps import apps
from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEntry
from backend.admin_base import ReadOnlyModelAdmin, code_display

# The kinds of object an entry names, as the models that hold them are called in the reader's language.
OBJECT_MODELS = {
    "report": "reports.Report",
    "evidence": "reports.Evidence",
    "candidate_link": "reports.CandidateLink",
    "shared_key": "accounts.SharedKey",
    "staff": "accounts.StaffUser",
    "audit_chain": "audit.AuditEntry",
    "release": "partners.Release",
    "partner_token": "partners.PartnerToken",
}


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("seq", "at", "actor", "action", "object_kind", "object_code")
    list_filter = ("action",)
    # Exact matches only: served by indexes, and nobody browses by substring.
    search_fields = ("=object_id", "=actor_name")
    ordering = ("-seq",)
    actions = None
    show_full_result_count = False  # no COUNT(*) over the whole chain on every search
    fields = readonly_fields = (
        "seq",
        "at",
        "actor_code",
        "actor",
        "action",
        "object_kind",
        "object_code",
        "details_codes",
        "prev_hash_code",
        "entry_hash_code",
    )

    @admin.display(description=gettext_lazy("actor name"), ordering="actor_name")
    def actor(self, entry):
        return entry.actor_name if entry.actor_id else _("system")

    @admin.display(description=gettext_lazy("actor id"))
    def actor_code(self, entry):
        return code_display(entry.actor_id) if entry.actor_id else "–"

    @admin.display(description=gettext_lazy("object type"), ordering="object_type")
    def object_kind(self, entry):
        label = OBJECT_MODELS.get(entry.object_type)
        return capfirst(apps.get_model(label)._meta.verbose_name) if label else code_display(entry.object_type)

    @admin.display(description=gettext_lazy("object id"), ordering="object_id")
    def object_code(self, entry):
        return code_display(entry.object_id)

    @admin.display(description=gettext_lazy("details"))
    def details_codes(self, entry):
        return code_display(json.dumps(entry.details, ensure_ascii=False, sort_keys=True))

    @admin.display(description=gettext_lazy("prev hash"))
    def prev_hash_code(self, entry):
        return code_display(entry.prev_hash)

    @admin.display(description=gettext_lazy("entry hash"))
    def entry_hash_code(self, entry):
        return code_display(entry.entry_hash)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("audit.view_auditentry")
