"""Settings for benchmarks: the app's own, plus a URLconf with reference endpoints to compare against.

The reference endpoints answer 201 without storing anything (bench/urls.py): never
serve them. These settings load only under bench/intake.py, which sets SANAD_BENCH=1,
and bench/ is left out of the Docker image.
"""

import os

from django.core.exceptions import ImproperlyConfigured

if os.environ.get("SANAD_BENCH") != "1":
    raise ImproperlyConfigured("bench.settings serves endpoints that store nothing; only bench/intake.py may use it.")

from config.settings import *  # noqa: E402,F401,F403

ROOT_URLCONF = "bench.urls"
