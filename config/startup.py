"""Start-up guard for the long-running processes (gunicorn, Celery worker and beat)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("sanad.startup")


def refuse_unsafe_start() -> None:
    """Raise ImproperlyConfigured if any system check reports an error.

    Management commands run the checks themselves; gunicorn and Celery do not,
    so without this a web process would serve with a missing or default
    secret. Dev mode is checked too (it must not answer on a public host), but
    without the deployment checks that it fails by design.
    """
    found = checks.run_checks(include_deployment_checks=not settings.SANAD_DEV)
    # Warnings do not stop a start, but are said at every one (sanad.W010: sealed values a key ring no longer
    # opens), not only by `manage.py check`. Messages name settings and key ids, never a secret.
    for message in found:
        if checks.WARNING <= message.level < checks.ERROR:
            logger.warning("%s: %s", message.id, message.msg)
    errors = [message for message in found if message.level >= checks.ERROR]
    if errors:
        lines = "\n".join(f"  {message.id}: {message.msg}" for message in errors)
        raise ImproperlyConfigured(f"Refusing to start:\n{lines}")
