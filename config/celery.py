"""The Celery app. Settings come from Django settings (CELERY_*); messages carry ids only."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("sanad")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_unsafe_start(**kwargs) -> None:
    from config.startup import refuse_unsafe_start

    refuse_unsafe_start()
