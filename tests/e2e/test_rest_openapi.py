"""/openapi.json is a valid OpenAPI 3.1 document that says what the shim really accepts and
returns: the documents' examples, its own examples and live answers all validate against it."""

from __future__ import annotations

import json
from typing import Any, cast

import httpx
import pytest
from openapi_spec_validator import validate as validate_openapi
from starlette.routing import Route

from coupon_service.domain.model import ISSUANCE_FIELDS
from coupon_service.entrypoints.rest import create_app
from coupon_service.service.unit_of_work import UnitOfWork
from tests.e2e.helpers import bulk_document as bulk_examples
from tests.e2e.helpers import issue_document as issue_examples
from tests.e2e.helpers.openapi import DOCUMENT, assert_valid, request_schema, response_schema

ISSUE = "/v2/coupon/issue/multiple"
BULK = "/v2/coupon/bulk/issue"
MOBILE = {"mobile": "11223569865"}


async def test_served_document_is_the_checked_in_valid_openapi_3_1(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == DOCUMENT
    assert DOCUMENT["openapi"].startswith("3.1")
    validate_openapi(response.json())


def test_the_document_describes_exactly_the_routes_the_shim_serves() -> None:
    async def no_org(_request: object) -> int:
        raise AssertionError("not called")

    app = create_app(cast(UnitOfWork, object()), no_org)
    served = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}
    assert served == documented


def test_the_documented_metadata_fields_and_lengths_are_the_domains() -> None:
    properties = DOCUMENT["components"]["schemas"]["IssuanceMetadata"]["properties"]
    documented = {name: schema["maxLength"] for name, schema in properties.items()}
    assert documented == {field.wire: field.max_length for field in ISSUANCE_FIELDS}


def test_the_documents_own_examples_validate() -> None:
    checked = 0
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for example in (body or {}).get("examples", {}).values():
                assert_valid(request_schema(path), example["value"])
                checked += 1
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json", {})
                for example in content.get("examples", {}).values():
                    assert_valid(response_schema(path, int(status), method), example["value"])
                    checked += 1
    assert checked >= 30


def test_the_coupon_documents_bodies_and_responses_validate() -> None:
    for body in issue_examples.DOCUMENTED_REQUESTS:
        assert_valid(request_schema(ISSUE), json.loads(body))
    assert_valid(response_schema(ISSUE, 200), json.loads(issue_examples.DOCUMENTED_RESPONSE))
    statuses = {707: 404, 677: 400, 701: 404, 713: 400, 709: 409}
    for code, envelope in issue_examples.DOCUMENTED_ERRORS.items():
        assert_valid(response_schema(ISSUE, statuses[code]), envelope)
    assert_valid(request_schema(BULK), json.loads(bulk_examples.DOCUMENTED_REQUEST))
    assert_valid(response_schema(BULK, 200), json.loads(bulk_examples.DOCUMENTED_RESPONSE))


async def test_live_answers_validate_against_the_document(http: httpx.AsyncClient) -> None:
    json_type = {"Content-Type": "application/json"}
    calls: list[tuple[str, Any]] = [
        (ISSUE, {"seriesId": 415446, "count": 2, "customer": MOBILE}),
        (ISSUE, {"seriesId": [415446, 535521], "count": 2, "customer": MOBILE}),
        (ISSUE, {"seriesIds": [415446, 18426], "count": 2, "customer": MOBILE}),
        (ISSUE, {"seriesId": 415446, "seriesIds": [535521], "customer": MOBILE}),  # 629
        (ISSUE, {"seriesId": 18426, "count": 2, "customer": {"externalId": "3873472"}}),
        (ISSUE, {"seriesId": 96004, "count": 2, "customer": MOBILE}),
        (ISSUE, {"seriesId": 96004, "customer": MOBILE}),  # 709
        (ISSUE, {"seriesId": 123, "customer": MOBILE}),  # 707
        (ISSUE, {"seriesId": 415446, "count": 501, "customer": MOBILE}),  # 677
        (ISSUE, {"seriesId": 415446, "customer": {"mobile": "1"}}),  # 701
        (ISSUE, {"seriesId": 700003, "customer": MOBILE}),  # 713
        (ISSUE, {"customer": MOBILE}),  # 756
        (ISSUE, b"{not json"),
        (ISSUE, b"x" * (65 * 1024)),  # 413
        (BULK, {"seriesIds": [544770, 553379], "customer": MOBILE}),
        (BULK, {"seriesIds": [553379, 700003, 999999, 415446, 96004], "customer": MOBILE}),
        (BULK, {"seriesIds": [553379], "customer": {"email": "nobody@example.com"}}),  # 701
        (BULK, {"seriesIds": "all", "customer": MOBILE}),
    ]
    seen: set[tuple[str, int]] = set()
    for path, body in calls:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = await http.post(path, content=content, headers=json_type)
        assert response.status_code < 500
        assert_valid(response_schema(path, response.status_code), response.json())
        seen.add((path, response.status_code))
    for path in (ISSUE, BULK):
        for response in (
            await http.get(path),
            await http.post(path, content=b"{}", headers={"Content-Type": "text/plain"}),
        ):
            assert_valid(response_schema(path, response.status_code), response.json())
            seen.add((path, response.status_code))
    assert {status for _, status in seen} == {200, 400, 404, 405, 409, 413, 415}


# (body, whether the document's schema accepts it); an accepted body is issued, a refused one
# answered 400: the schema is neither stricter nor looser than the shim.
AGREEMENT: list[tuple[str, dict[str, Any], bool]] = [
    (ISSUE, {"seriesId": 415446, "customer": MOBILE}, True),
    (ISSUE, {"seriesId": 415446, "count": 3, "customer": MOBILE}, True),
    (ISSUE, {"seriesId": 415446, "count": None, "customer": MOBILE}, True),
    (ISSUE, {"seriesId": 415446, "count": 2.0, "customer": MOBILE}, True),
    (ISSUE, {"seriesId": [415446, 535521], "customer": MOBILE}, True),
    (ISSUE, {"seriesIds": [415446, 535521], "customer": MOBILE}, True),
    (ISSUE, {"seriesIds": 415446, "customer": MOBILE}, True),
    (ISSUE, {"seriesIds": [], "customer": MOBILE}, False),
    (ISSUE, {"seriesIds": ["415446"], "customer": MOBILE}, False),
    (ISSUE, {"seriesId": 415446, "seriesIds": [535521], "customer": MOBILE}, False),
    (ISSUE, {"seriesId": [415446], "seriesIds": [415446], "customer": MOBILE}, False),
    (ISSUE, {"seriesId": 415446, "customer": {"id": 555567088}}, True),
    (ISSUE, {"seriesId": 415446, "customer": {**MOBILE, "name": "x"}, "x": 1}, True),
    (ISSUE, {"seriesId": 415446, "customer": MOBILE, "metadata": None}, True),
    (ISSUE, {"seriesId": 415446, "customer": MOBILE, "metadata": {"notes": None}}, True),
    (ISSUE, {"seriesId": 415446, "customer": MOBILE, "metadata": {"notes": "n" * 250}}, True),
    (ISSUE, {"seriesId": 415446, "count": 0, "customer": MOBILE}, False),
    (ISSUE, {"seriesId": 415446, "count": 501, "customer": MOBILE}, False),
    (ISSUE, {"seriesId": 415446, "count": "2", "customer": MOBILE}, False),
    (ISSUE, {"seriesId": 0, "customer": MOBILE}, False),
    (ISSUE, {"seriesId": -415446, "customer": MOBILE}, False),
    (ISSUE, {"seriesId": [], "customer": MOBILE}, False),
    (ISSUE, {"seriesId": [415446] * 101, "customer": MOBILE}, False),
    (ISSUE, {"seriesId": None, "customer": MOBILE}, False),
    (ISSUE, {"seriesId": 415446}, False),
    (ISSUE, {"seriesId": 415446, "customer": {}}, False),
    (ISSUE, {"seriesId": 415446, "customer": {"mobile": ""}}, False),
    (ISSUE, {"seriesId": 415446, "customer": {**MOBILE, "email": "a@b.c"}}, False),
    (ISSUE, {"seriesId": 415446, "customer": MOBILE, "metadata": {"notes": "n" * 251}}, False),
    (ISSUE, {"seriesId": 415446, "customer": MOBILE, "metadata": {"sourceId": "s" * 51}}, False),
    (ISSUE, {"seriesId": 415446, "customer": MOBILE, "metadata": []}, False),
    (BULK, {"seriesIds": [415446], "customer": MOBILE}, True),
    (BULK, {"seriesIds": [415446] * 100, "customer": MOBILE}, True),
    (BULK, {"seriesIds": [415446] * 101, "customer": MOBILE}, False),
    (BULK, {"seriesIds": [], "customer": MOBILE}, False),
    (BULK, {"seriesIds": 415446, "customer": MOBILE}, False),
    (BULK, {"seriesIds": [0], "customer": MOBILE}, False),
    (BULK, {"customer": MOBILE}, False),
]


@pytest.mark.parametrize("path", [ISSUE, BULK])
async def test_the_schema_and_the_shim_agree_on_what_is_acceptable(
    http: httpx.AsyncClient, path: str
) -> None:
    for route, body, accepted in AGREEMENT:
        if route != path:
            continue
        assert request_schema(path).is_valid(body) is accepted, body
        response = await http.post(path, json=body)
        assert response.status_code == (200 if accepted else 400), (body, response.text)
