"""WSGI entry point for gunicorn; refuses to serve an unsafe configuration."""

import os

from django.core.wsgi import get_wsgi_application

from backend.db_limits import process_role

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
process_role("web")  # the short statement_timeout: a hung query cannot hold a request thread

application = get_wsgi_application()

from config.startup import refuse_unsafe_start  # noqa: E402  (needs the app registry)

refuse_unsafe_start()
