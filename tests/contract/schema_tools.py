"""Reading the OpenAPI document: resolving references and validating values with jsonschema."""

from __future__ import annotations

import jsonschema


def resolve(document: dict, schema: dict) -> dict:
    """A schema with its reference followed (drf-spectacular puts enums in components, and writes a reference
    with a description of its own as allOf of that one reference)."""
    while "$ref" in schema or len(schema.get("allOf", ())) == 1:
        if "allOf" in schema:
            schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **schema["allOf"][0]}
            continue
        *_, kind, name = schema["$ref"].split("/")
        schema = document["components"][kind][name]
    return schema


def component(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def prop(document: dict, component_name: str, *path: str) -> dict:
    """The schema of a member (and of its members, down `path`) of a component, references resolved."""
    schema = component(document, component_name)
    for name in path:
        schema = resolve(document, resolve(document, schema)["properties"][name])
    return resolve(document, schema)


def _json_schema(schema):
    """OpenAPI 3.0's schema object as JSON Schema draft 4: the same but for `nullable`."""
    if isinstance(schema, list):
        return [_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _json_schema(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") and "type" in schema:
        out["type"] = [schema["type"], "null"]
    return out


def validator(document: dict, schema: dict) -> jsonschema.Draft4Validator:
    """A validator for `schema`, a part of `document`, whose references resolve in the document's components."""
    return jsonschema.Draft4Validator(
        _json_schema({**schema, "components": document["components"]}),
        format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER,
    )


def valid(document: dict, schema: dict, value) -> bool:
    return validator(document, schema).is_valid(value)


def operation(document: dict, path: str, method: str) -> dict:
    return document["paths"][path][method.lower()]


def response_schema(document: dict, path: str, method: str, status: int, media_type: str = "application/json"):
    return operation(document, path, method)["responses"][str(status)]["content"][media_type]["schema"]
