"""The reporter's page, at / (and /status/, the same page opened on "I have a secret").

Everything a reporter types stays in the page: the script (web/src/page.js, built into
backend/static/sanad/web/) encrypts it on the phone and speaks wire format v1 to the API, so this
view only renders the form in the reader's language. It sets no cookie and asks the browser to keep
nothing; its Content-Security-Policy allows no inline script, no third-party request and no form
submission (the script sends, with fetch, to this origin only).

The language is the link's (?lang=ar|ckb|en: the switcher's links carry nothing else), else Arabic,
whatever the browser says: a phone set to English in Baghdad is common, and a reporter who reads
English is one tap away from it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils import translation
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_safe

from accounts.language import supported
from backend.places import COUNTRIES, IRAQ_SUBDIVISIONS, place_groups
from reports.vocabulary import Category

DEFAULT_LANGUAGE = "ar"
MONTHS_OFFERED = 36
# Each CLDR plural category (what Intl.PluralRules names in the browser) and a number that falls in it,
# for English, Arabic and Sorani alike: Django's plural formulas give these numbers the same forms.
PLURAL_SAMPLES = {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 11, "other": 100}

CSP = "; ".join(
    [
        "default-src 'none'",
        # hash-wasm's SHA-256 and Argon2id are WebAssembly; 'wasm-unsafe-eval' allows compiling it and no eval.
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self'",
        "connect-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


def page_strings() -> dict:
    """What the script says, in the reader's language: the page's own words are in the template."""
    return {
        "status": {
            "received": _("Received. It is waiting to be read by a caseworker."),
            "in_review": _("A caseworker is working on your report."),
            "closed": _("Your case is closed."),
        },
        "phase": {
            "photo": _("Removing the hidden details from your photos…"),
            "key": _("Preparing your secret…"),
            # Translators: the phone does some work to show it is not a machine sending floods of reports.
            "pow": _("Your phone is doing a check that protects Sanad from floods of fake reports…"),
            "send": _("Sending, encrypted…"),
            "open": _("Opening your report…"),
        },
        # Each plural form, by CLDR category, with "%(n)s" left for the page to fill.
        "seconds_left": {
            # Translators: n is a number of seconds, the time the check is expected to take at the speed measured
            # so far; it changes as it goes, and does not count down.
            category: ngettext(
                "On this phone this takes about %(n)s second.", "On this phone this takes about %(n)s seconds.", number
            )
            for category, number in PLURAL_SAMPLES.items()
        },
        "evidence_sending": _("Sending %(name)s…"),
        "evidence_sent": _("%(name)s sent."),
        "evidence_failed": _("%(name)s was not sent: %(reason)s You can add it later with your secret."),
        "followup_sent": _("Sent. Your caseworker will see what you added."),
        "withdrawn": _("Your report is withdrawn: its content is deleted, and your secret no longer works."),
        "no_replies": _("No reply yet."),
        "reply_unreadable": _(
            "There is a reply you cannot read. Replies open only with the whole secret, all 40 digits, and "
            "the last 20 digits of what you typed do not open it: check them."
        ),
        # Translators: updated is a date, as 2026-11-21.
        "updated": _("Last change: %(updated)s"),
        "photo_kept": _("Photo: the hidden details (place, time, phone) will be removed before it is sent."),
        "file_as_is": _("Not a photo: it will be sent as it is, with whatever it says about you."),
        "too_big": _("%(name)s is too big: at most %(size)s MB."),
        "not_an_image": _("%(name)s could not be read as a photo."),
        "required": _("Please fill this in."),
        "choose": _("Please choose one."),
        "as_is_needed": _("Tick the box to send files that are not photos as they are, or remove them."),
        "too_many_files": _("Too many files at once: send some now and the rest later with your secret."),
        "indicator": _("%(value)s: %(reason)s"),
        "errors": {
            "network": _("Sanad could not be reached. Check your connection and try again."),
            "server": _("Sanad could not accept this right now. Please try again in a few minutes."),
            "malformed_secret": _("That is not a secret from Sanad. A secret has 40 digits: check what you typed."),
            "bad_address": _(
                "This copy of the page has a wrong address for Sanad. Get a new copy from someone you trust."
            ),
            "no_supported_key": _("Sanad cannot take reports right now. Please try again later."),
            "stale_file": _(
                "This copy of the page is out of date: Sanad's keys have changed since it was made. "
                "Get a new copy from someone you trust."
            ),
            "unreadable_answer": _(
                "Sanad's answer could not be read, so your report may or may not have arrived, and no secret "
                "can be shown for it. Check your connection and send it again: at worst Sanad receives it twice."
            ),
            "unreadable_followup": _(
                "Sanad's answer could not be read, so what you added may or may not have arrived. "
                "Check your connection and send it again: at worst Sanad receives it twice."
            ),
            "too_long": _("This is too long to send: please shorten it."),
            "pow_expired": _("The check took too long on this phone. Please try again."),
            "pow_too_hard": _("Sanad is under heavy load right now. Please try again in a few minutes."),
            "pow_cancelled": _("Stopped. Nothing was sent."),
            "pow_no_worker": _("This browser cannot do the check Sanad needs. Please try another browser."),
            "unexpected": _("Something went wrong in this page. Please try again."),
        },
    }


def reporter_context(
    language: str, *, start: str = "start", api: str = "", workers: dict | None = None, pinned_keys=None
) -> dict:
    """What reporter.html needs, in `language` (call it with that language active).

    api: the reporter API's origin, "" for the page's own. workers: {"powWorker", "keyWorker"} as URLs,
    or (the self-contained file) as "#id" of an element holding the worker's source. pinned_keys: the
    intake keys (as GET /api/v1/intake-keys/ gives them) the self-contained file will only encrypt to.
    """
    return {
        "start": start,
        "categories": Category.choices,
        "places": place_groups(IRAQ_SUBDIVISIONS | COUNTRIES, language, with_code=False),
        "quick_exit": settings.SANAD_QUICK_EXIT_URL,
        # Translators: the button that leaves the page at once for an ordinary website.
        "exit_label": pgettext("quick exit", "Exit"),
        "config": {
            "language": language,
            "api": api,
            **(
                workers
                or {"powWorker": static("sanad/web/pow-worker.js"), "keyWorker": static("sanad/web/key-worker.js")}
            ),
            "pinnedKeys": pinned_keys,
            "maxEvidenceBytes": settings.SANAD_MAX_EVIDENCE_BYTES,
            "maxFiles": settings.SANAD_MAX_EVIDENCE_PER_REPORT,
            # The month menu is built on the phone, from its own date (the self-contained file may be
            # opened long after it was built), with these names: this month and the MONTHS_OFFERED - 1 before.
            "monthNames": [str(MONTHS[number]) for number in range(1, 13)],
            "monthsOffered": MONTHS_OFFERED,
            "strings": page_strings(),
        },
    }


@require_safe
def home(request: HttpRequest, start: str = "start") -> TemplateResponse:
    language = supported(request.GET.get("lang")) or DEFAULT_LANGUAGE
    with translation.override(language):
        request.LANGUAGE_CODE = language
        response = TemplateResponse(request, "reports/reporter.html", reporter_context(language, start=start))
        response.render()  # in the reader's language, while it is active
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = CSP
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    return response
