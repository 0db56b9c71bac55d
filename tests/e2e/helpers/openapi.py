"""The checked-in /openapi.json and validators for the schemas inside it, $refs resolved."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, cast

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_BASE = "urn:coupon-service:openapi"


def _document() -> dict[str, Any]:
    text = resources.files("coupon_service.entrypoints.rest").joinpath("openapi.json").read_text()
    return cast(dict[str, Any], json.loads(text))


DOCUMENT = _document()
_REGISTRY: Registry[Any] = Registry().with_resource(
    _BASE, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
)


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _validator(*parts: str) -> Draft202012Validator:
    """A validator for the schema at `parts` inside the document, with its $refs resolved."""
    return Draft202012Validator(
        {"$ref": f"{_BASE}#{_pointer(*parts)}"},
        registry=_REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def request_schema(path: str) -> Draft202012Validator:
    return _validator("paths", path, "post", "requestBody", "content", "application/json", "schema")


def response_schema(path: str, status: int, method: str = "post") -> Draft202012Validator:
    responses = DOCUMENT["paths"][path][method]["responses"]
    assert str(status) in responses, f"{path} does not document status {status}"
    return _validator(
        "paths", path, method, "responses", str(status), "content", "application/json", "schema"
    )


def assert_valid(validator: Draft202012Validator, instance: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
    assert not errors, errors
