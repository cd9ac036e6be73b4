"""Fixtures these tests share with others: a production environment, reporters' envelopes, coordinators and houses."""

from tests.config.test_settings import prod_env  # noqa: F401
from tests.relocation.conftest import coordinators, house  # noqa: F401
from tests.reports.conftest import envelope, submit  # noqa: F401
