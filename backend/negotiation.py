"""DRF's content negotiation, strict about `?format=`.

Its own module, apart from backend.api: DRF reads DEFAULT_CONTENT_NEGOTIATION_CLASS while rest_framework.views
is first imported, and backend.api imports that module, so a class kept there could not be imported by
whatever imports backend.api first (the fuzz targets do).
"""

from __future__ import annotations

from django.http import Http404
from rest_framework.negotiation import DefaultContentNegotiation


class StrictContentNegotiation(DefaultContentNegotiation):
    """`?format=` names a format the view renders, or is left out. DRF takes an empty one as left out; here it
    is a 404, as any other format the view does not have is (the schema lists the formats)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if format_suffix is None and request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) == "":
            raise Http404
        return super().select_renderer(request, renderers, format_suffix)
