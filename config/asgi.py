"""ASGI entry point; refuses to serve an unsafe configuration."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()

from config.startup import refuse_unsafe_start  # noqa: E402  (needs the app registry)

refuse_unsafe_start()
