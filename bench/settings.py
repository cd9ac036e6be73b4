"""Settings for benchmarks: the app's own, plus a URLconf with a trivial endpoint to compare against."""

from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
