"""The Celery app. Settings come from Django settings (CELERY_*); messages carry ids only."""

import os
import sys

from celery import Celery
from celery.signals import beat_init, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("sanad")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@worker_process_init.connect
def worker_database_limits(**kwargs) -> None:
    """A worker's sessions get the workers' statement_timeout (its tasks' hard limit), not a command's."""
    from backend.db_limits import process_role

    process_role("worker")


@worker_init.connect
@beat_init.connect
def _refuse_unsafe_start(**kwargs) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.startup import refuse_unsafe_start

    try:
        refuse_unsafe_start()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows Exceptions raised by signal handlers; SystemExit is
        # a BaseException, so it really stops the worker or beat.
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
