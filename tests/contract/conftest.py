"""The OpenAPI document as clients get it, and the reports' fixtures (a valid envelope, a receipt call)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.reports.conftest import envelope, receipt_call, submit  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def openapi(django_db_setup, django_db_blocker, tmp_path_factory) -> dict:
    """/api/schema/ as JSON, generated once (drf-spectacular's command; validated by test_schema)."""
    import json

    path = tmp_path_factory.mktemp("schema") / "openapi.json"
    with django_db_blocker.unblock():
        call_command("spectacular", "--format", "openapi-json", "--file", str(path))
    return json.loads(path.read_text(encoding="utf-8"))
