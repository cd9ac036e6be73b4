"""Template helpers every staff page shares."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html

register = template.Library()
ISOLATES = "\u2066\u2069"  # config/formats: a date and time elsewhere is isolated in plain text


@register.filter
def when(value: datetime | None):
    """A time in the deployment's zone with the zone shown (2026-12-06 15:04 +03), kept left to right
    inside right-to-left text so the sign and the parts stay in order; empty for None."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    text = formats.date_format(local, "DATETIME_FORMAT").strip(ISOLATES)  # dir="ltr" isolates it here
    return format_html('<time datetime="{}" dir="ltr">{}</time>', local.isoformat(), text)


def when_text(value: datetime | None) -> str:
    """when() as plain text, for messages: the time isolated left to right by Unicode isolates."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(local, "DATETIME_FORMAT")
