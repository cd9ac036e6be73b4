"""The OpenAPI document is valid, warns of nothing, and every example in it validates against its own schema."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.contract.schema_tools import validator

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_and_generates_without_a_warning(tmp_path):
    # --fail-on-warn: drf-spectacular's warnings (an unresolved serializer, a free-form guess, a name
    # collision) and errors make the command fail; --validate checks the result against the OpenAPI spec.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def _examples(openapi: dict):
    """(where, schema, example value) for every example: request bodies', responses' and parameters'."""
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(f"response {status}", response) for status, response in operation["responses"].items()]
            for kind, body in bodies:
                for media_type, content in body.get("content", {}).items():
                    for name, example in content.get("examples", {}).items():
                        yield f"{method.upper()} {path} {kind} {media_type} {name}", content["schema"], example["value"]
            for parameter in operation.get("parameters", []):
                for name, example in parameter.get("examples", {}).items():
                    yield f"{method.upper()} {path} {parameter['name']} {name}", parameter["schema"], example["value"]


def test_every_example_validates_against_its_schema(openapi):
    examples = list(_examples(openapi))
    # Each operation has at least its success example; errors have theirs.
    assert len(examples) >= 30
    failures = {}
    for where, schema, value in examples:
        errors = [error.message for error in validator(openapi, schema).iter_errors(value)]
        if errors:
            failures[where] = errors
    assert failures == {}


def test_an_example_that_does_not_fit_its_schema_is_caught(openapi):
    """The check above can fail: a wrong version or a bad receipt does not validate."""
    operation = openapi["paths"]["/api/v1/reports/"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    value = dict(body["examples"]["Envelope"]["value"], version=1.0)
    assert not validator(openapi, body["schema"]).is_valid(dict(value, version="1"))
    receipt = operation["responses"]["201"]["content"]["application/json"]
    assert not validator(openapi, receipt["schema"]).is_valid({"receipt": "1234", "status": "received"})


def test_every_operation_declares_its_error_answers(openapi):
    """The statuses each kind of operation can answer, each with the one error shape."""
    expected = {
        ("get", "/api/v1/intake-keys/"): {"200", "400", "404", "406"},
        ("get", "/api/v1/pow/"): {"200", "400", "404", "406"},
        ("post", "/api/v1/reports/"): {"201", "400", "404", "406", "409", "413", "415", "429"},
        ("delete", "/api/v1/reports/"): {"200", "400", "401", "404", "406", "429"},
        ("get", "/api/v1/reports/status/"): {"200", "400", "401", "404", "406", "429"},
        ("post", "/api/v1/reports/followups/"): {"201", "400", "401", "404", "406", "409", "413", "415", "429"},
        ("post", "/api/v1/reports/evidence/"): {"201", "400", "401", "404", "406", "409", "413", "415", "429"},
        ("get", "/api/v1/stats/releases/"): {"200", "400", "401", "404", "406"},
        ("get", "/api/v1/stats/releases/{month}/"): {"200", "400", "401", "404", "406"},
    }
    found = {
        (method, path): set(operation["responses"])
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
        if path.startswith("/api/v1/")
    }
    assert found == expected
    for (method, path), statuses in found.items():
        for status in statuses - {"200", "201"}:
            response = openapi["paths"][path][method]["responses"][status]
            assert set(response["content"]) == {"application/json"}, (method, path, status)
            schema = response["content"]["application/json"]["schema"]
            assert schema["required"] == ["error", "detail"] and schema["additionalProperties"] is False
        if "429" in statuses:
            assert openapi["paths"][path][method]["responses"]["429"]["headers"]["Retry-After"]["required"]


def test_no_request_body_is_free_form(openapi):
    """Every object in a request body or in a response of the API names its members, and takes no others
    (the free-form `triage` of issue 16)."""

    def objects(schema, seen=()):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name in seen:
                return
            seen = (*seen, name)
            schema = openapi["components"]["schemas"][name]
        if schema.get("type") == "object":
            yield schema
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from objects(schema[key], seen)
        for member in schema.get("properties", {}).values():
            yield from objects(member, seen)
        for option in schema.get("oneOf", []):
            yield from objects(option, seen)

    checked = 0
    for path, methods in openapi["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in methods.values():
            contents = list(operation.get("requestBody", {}).get("content", {}).values())
            contents += [
                content for response in operation["responses"].values() for content in response["content"].values()
            ]
            for content in contents:
                for schema in objects(content["schema"]):
                    checked += 1
                    if "properties" in schema:
                        assert schema["additionalProperties"] is False and schema["required"], schema
                    else:  # a map of field paths to sentences
                        assert schema["additionalProperties"] == {"type": "string"}, schema
    assert checked > 40
