"""A statistics release, as built and served, is what the schema says, in JSON; its listing too."""

from __future__ import annotations

import pytest

from tests.contract.schema_tools import response_schema, validator
from tests.partners.conftest import many_reports, report_at  # noqa: F401 (fixtures)
from tests.partners.test_api import get, released, tokens  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_a_built_release_and_the_list_fit_the_schema(openapi, released, tokens):  # noqa: F811
    response = get("/api/v1/stats/releases/2026-09/", tokens["un"][1])
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = response.json()
    assert {table["name"] for table in document["tables"]} == {
        "reports_by_category",
        "reports_by_governorate",
        "placements_by_region",
    }
    schema = response_schema(openapi, "/api/v1/stats/releases/{month}/", "get", 200)
    assert [error.message for error in validator(openapi, schema).iter_errors(document)] == []
    listing = get("/api/v1/stats/releases/", tokens["un"][1]).json()
    schema = response_schema(openapi, "/api/v1/stats/releases/", "get", 200)
    assert listing and [error.message for error in validator(openapi, schema).iter_errors(listing)] == []
