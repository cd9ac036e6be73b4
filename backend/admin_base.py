"""Admin base classes: 404 outside one's scope, and pages that only show."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import Http404


class NotFoundOutsideScopeMixin:
    """Django's history and delete pages answer an object outside the queryset with a
    redirect and one inside it without permission with 403, so their answers tell
    which ids exist. Here both are a 404, like every other page."""

    def _require_in_scope(self, request, object_id) -> None:
        if not self.has_view_permission(request):
            raise Http404("Not found.")
        try:
            exists = self.get_queryset(request).filter(pk=object_id).exists()
        except (ValidationError, ValueError):
            exists = False
        if not exists:
            raise Http404("Not found.")

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)


class ReadOnlyModelAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """No add, change or delete through Django's forms (and so no bulk delete action)."""

    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
