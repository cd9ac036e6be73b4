"""The staff member's language: chosen once, kept on their account, used on every page and in their e-mails.

Before login the switcher's choice is a cookie (Django's set_language); once logged in it is also
StaffUser.language, which follows them to every browser and overrides Accept-Language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts.models import StaffUser


def supported(language) -> str | None:
    """`language` if Sanad speaks it (settings.LANGUAGES), else None."""
    return language if language in dict(settings.LANGUAGES) else None


def chosen_language(user) -> str | None:
    """The user's own choice among settings.LANGUAGES, or None (follow the browser)."""
    return supported(getattr(user, "language", ""))


class StaffLanguageMiddleware:
    """After authentication: a logged-in staff member's chosen language wins over the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = chosen_language(user) if user is not None and user.is_authenticated else None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (checks the language and a safe `next`, sets the cookie), and the
    account's choice when someone is logged in, so the next browser they use speaks it too."""
    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    if user.is_authenticated and supported(language) and user.language != language:
        StaffUser.objects.filter(pk=user.pk).update(language=language)
    return response
