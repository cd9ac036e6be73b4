"""Admin base classes: 404 outside one's scope, and pages that only show."""

from django.contrib import admin
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import Http404
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext as _


class ScopedAdminMixin:
    """What Django's admin allows beyond the declared pages, closed.

    - The history and delete pages answer an object outside the queryset with
      a redirect and one inside it without permission with 403, so their
      answers tell which ids exist. Here both are a 404, like every other page.
    - A changelist accepts a filter on any of the model's own fields in the
      query string (`?password__startswith=...` on staff, `?links__isnull=...`
      on reports), which turns the list into an oracle for hidden columns.
      Here only the filters the page declares in `list_filter` are accepted;
      anything else is a 400.
    """

    def lookup_allowed(self, lookup, value, request=None):
        fields = {name for name in self.list_filter if isinstance(name, str)}
        own_filters = {
            f.parameter_name for f in self.list_filter if isinstance(f, type) and issubclass(f, admin.SimpleListFilter)
        }
        if lookup in own_filters:  # a SimpleListFilter reads its own parameter
            return True
        field, _, rest = lookup.partition("__")
        return field in fields and rest in ("", "exact", "id__exact", "isnull")

    def changelist_view(self, request, extra_context=None):
        # A NUL byte in a filter or search value would reach PostgreSQL, which refuses it (a 500):
        # no value a page offers holds one, so the request is malformed.
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            raise SuspiciousOperation("A NUL byte in the query string.")
        return super().changelist_view(request, extra_context)

    def get_in_scope_or_404(self, request, object_id):
        """The object with this id among those `request.user` may see; 404 otherwise
        (also without the view permission, or for an id of the wrong form)."""
        if not self.has_view_permission(request):
            raise Http404("Not found.")
        try:
            obj = self.get_queryset(request).filter(pk=object_id).first()
        except (ValidationError, ValueError):
            obj = None
        if obj is None:
            raise Http404("Not found.")
        return obj

    def history_view(self, request, object_id, extra_context=None):
        self.get_in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self.get_in_scope_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)


class ReadOnlyModelAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """No add, change or delete through Django's forms (and so no bulk delete action)."""

    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def boolean_icon(value):
    """Django's yes/no/unknown icon (admin_list._boolean_icon) with its alt text in the reader's language."""
    name, label = {True: ("yes", _("Yes")), False: ("no", _("No")), None: ("unknown", _("Unknown"))}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), label)


def code_display(value) -> str:
    """Stored codes, ids and hashes: shown as they are, left to right, not for translation."""
    return format_html('<code dir="ltr" translate="no">{}</code>', value)
