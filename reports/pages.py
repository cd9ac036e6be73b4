"""The page at /: until the reporter's web page exists, what Sanad is and where staff log in,
in the reader's language.

Like the API, it sets no cookie and asks the browser to keep nothing: a phone
that may be searched at a checkpoint should not show a visit.
"""

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import translation
from django.views.decorators.http import require_safe

from accounts.language import supported


@require_safe
def home(request: HttpRequest) -> TemplateResponse:
    # The page's language: ?lang= (its own links: no cookie is set), else the browser's.
    language = supported(request.GET.get("lang"))
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language
    response = TemplateResponse(request, "reports/home.html", {"server": request.build_absolute_uri("/").rstrip("/")})
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return response
