"""Fixtures these tests share with others: a production environment, and reporters' envelopes."""

from tests.config.test_settings import prod_env  # noqa: F401
from tests.reports.conftest import envelope, submit  # noqa: F401
