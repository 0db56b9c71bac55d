"""Bad input of any shape gets the documented envelope with a fitting status: never a 5xx,
a stack trace or a hang."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from coupon_service.app import RunningService
from coupon_service.entrypoints.rest import bodies
from coupon_service.service import issuing
from tests.e2e.conftest import DEMO_AUTHORIZATION
from tests.e2e.helpers.rest import assert_envelope

ISSUE = "/v2/coupon/issue/multiple"
BULK = "/v2/coupon/bulk/issue"
JSON = {"Content-Type": "application/json"}
GOOD = b'{"seriesId": 415446, "customer": {"mobile": "11223569865"}}'


MALFORMED_BODIES = [
    b"{",
    b'{"seriesId": 415446,}',
    b"{'seriesId': 415446}",
    b"",
    b"   \n",
    b"null",
    b"[]",
    b"[415446]",
    b'"seriesId"',
    b"415446",
    b"true",
    b"\xff\xfe\x00{",
    b'{"seriesId": 415446, "count": NaN, "customer": {"mobile": "11223569865"}}',
    b'{"seriesId": Infinity, "customer": {"mobile": "11223569865"}}',
    b'{"seriesId": 1' + b"0" * 5000 + b', "customer": {"mobile": "11223569865"}}',
    b"[" * 20000 + b"]" * 20000,
    b'{"seriesId": 415446, "customer": {"mobile": "11223569865"}} trailing',
]


@pytest.mark.parametrize("path", [ISSUE, BULK])
async def test_malformed_json_is_629(http: httpx.AsyncClient, path: str) -> None:
    for content in MALFORMED_BODIES:
        response = await http.post(path, content=content, headers=JSON)
        assert_envelope(response, 400, 629)


WRONG_TYPES: list[tuple[dict[str, Any], str]] = [
    ({"count": "abc"}, "count"),
    ({"count": "2"}, "count"),
    ({"count": True}, "count"),
    ({"count": 2.5}, "count"),
    ({"count": []}, "count"),
    ({"count": {}}, "count"),
    ({"count": 10**12}, "count"),
    ({"seriesId": {}}, "seriesId"),
    ({"seriesId": "415446"}, "seriesId"),
    ({"seriesId": True}, "seriesId"),
    ({"seriesId": 1e30}, "seriesId"),
    ({"seriesId": [415446, "x"]}, "seriesId"),
    ({"seriesId": [[415446]]}, "seriesId"),
    ({"seriesId": [None]}, "seriesId"),
    ({"customer": "11223569865"}, "customer"),
    ({"customer": []}, "customer"),
    ({"customer": {"mobile": 11223569865}}, "customer.mobile"),
    ({"customer": {"mobile": None}}, "customer.mobile"),
    ({"customer": {"id": "555567088"}}, "customer.id"),
    ({"customer": {"mobile": "11223569865", "email": "a@example.com"}}, "exactly one"),
    ({"customer": {"id": 555567088, "externalId": "3873472"}}, "exactly one"),
    ({"metadata": "Journeys"}, "metadata"),
    ({"metadata": {"notes": 5}}, "metadata.notes"),
    ({"metadata": {"reason": ["x"]}}, "metadata.reason"),
]


async def test_wrong_types_are_629_naming_the_field(http: httpx.AsyncClient) -> None:
    for change, named in WRONG_TYPES:
        body = {"seriesId": 415446, "count": 1, "customer": {"mobile": "11223569865"}, **change}
        error = assert_envelope(await http.post(ISSUE, json=body), 400, 629)
        assert named in error["message"], (change, error)


async def test_missing_or_empty_customer_is_756(http: httpx.AsyncClient) -> None:
    for customer in ({}, None, {"mobile": ""}, {"mobile": "   "}, {"firstName": "Abijith"}):
        body: dict[str, Any] = {"seriesId": 415446}
        if customer is not None:
            body["customer"] = customer
        error = assert_envelope(await http.post(ISSUE, json=body), 400, 756)
        assert "customer" in error["message"]
        bulk = {"seriesIds": [415446], "customer": customer}
        assert_envelope(await http.post(BULK, json=bulk), 400, 756)


async def test_unknown_fields_and_nulls_for_optional_fields_are_ignored(
    http: httpx.AsyncClient,
) -> None:
    body = {
        "seriesId": 415446,
        "count": None,
        "customer": {"mobile": "11223569865", "firstName": "ignored", "extra": [1, {}]},
        "metadata": {"sourceType": None, "unknown": 1},
        "requestId": "the header names the key, not the body",
        "surprise": {"deeply": {"nested": [1, 2, 3]}},
    }
    response = await http.post(ISSUE, json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["totalCount"] == 1 and answer["couponConfig"]["id"] == 415446
    assert "couponConfigs" not in answer


async def test_a_wrong_content_type_is_415(http: httpx.AsyncClient) -> None:
    wrong = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x", "x"]
    for content_type in wrong:
        for path in (ISSUE, BULK):
            response = await http.post(path, content=GOOD, headers={"Content-Type": content_type})
            assert_envelope(response, 415, 629)


async def test_json_content_types_are_accepted(http: httpx.AsyncClient) -> None:
    for content_type in [
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/x+json",
    ]:
        response = await http.post(ISSUE, content=GOOD, headers={"Content-Type": content_type})
        assert response.status_code == 200, content_type


async def test_a_body_without_a_content_type_is_read_as_json(http: httpx.AsyncClient) -> None:
    request = http.build_request("POST", ISSUE, content=GOOD)
    assert "content-type" not in request.headers
    assert (await http.send(request)).status_code == 200


async def test_a_body_over_64_kib_is_413(http: httpx.AsyncClient) -> None:
    padding = "x" * (64 * 1024)
    big = b'{"seriesId": 415446, "customer": {"mobile": "11223569865"}, "pad": "%s"}' % (
        padding.encode()
    )
    for path in (ISSUE, BULK):
        declared = await http.post(path, content=big, headers=JSON)
        error = assert_envelope(declared, 413, 629)
        assert "65536" in error["message"]

    async def chunks() -> Any:  # No Content-Length: the limit holds while reading.
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    streamed = await http.post(ISSUE, content=chunks(), headers=JSON)
    assert_envelope(streamed, 413, 629)
    just_under = GOOD[:-1] + b', "pad": "' + b"x" * (64 * 1024 - len(GOOD) - 20) + b'"}'
    assert len(just_under) <= 64 * 1024
    assert (await http.post(ISSUE, content=just_under, headers=JSON)).status_code == 200


async def test_unknown_routes_are_404_and_wrong_methods_405(http: httpx.AsyncClient) -> None:
    for method, path in [
        ("POST", "/v2/coupon/issue"),
        ("GET", "/"),
        ("POST", "/v2/coupon/bulk/issue/extra"),
        ("GET", "/v1/coupon/issue/multiple"),
    ]:
        assert_envelope(await http.request(method, path, content=GOOD), 404, 629)
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        for path in (ISSUE, BULK):
            response = await http.request(method, path)
            assert_envelope(response, 405, 629)
            assert response.headers["allow"] == "POST"
    response = await http.post("/openapi.json", content=GOOD, headers=JSON)
    assert_envelope(response, 405, 629)


async def test_an_overlong_idempotency_key_is_629(http: httpx.AsyncClient) -> None:
    response = await http.post(ISSUE, content=GOOD, headers={**JSON, "Idempotency-Key": "k" * 129})
    error = assert_envelope(response, 400, 629)
    assert "requestId" in error["message"]


async def test_a_body_that_stops_arriving_is_408_not_a_hang(
    service: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "BODY_TIMEOUT_SECONDS", 0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", service.http_port)
    # Credentials are checked before the body is read: send good ones, so the body is awaited.
    authorization = f"Authorization: {DEMO_AUTHORIZATION}\r\n".encode()
    writer.write(
        b"POST /v2/coupon/issue/multiple HTTP/1.1\r\nHost: test\r\n"
        + authorization
        + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        + GOOD[:20]
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    body = await asyncio.wait_for(reader.readexactly(length), timeout=10)
    writer.close()
    await writer.wait_closed()
    assert head.startswith(b"HTTP/1.1 408 ")
    assert body.startswith(b'{"errors":[{"status":false,"code":629,')


async def test_an_unexpected_failure_is_a_500_envelope_that_tells_nothing(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        mobile = "".join(("1122", "3569865"))  # Made at run time, as a customer's data is.
        raise RuntimeError(f"internals: {mobile}")

    monkeypatch.setattr(issuing, "issue_multiple", broken)
    with caplog.at_level(logging.ERROR):
        response = await http.post(ISSUE, content=GOOD, headers=JSON)
        await asyncio.sleep(0.1)  # Anything uvicorn would log comes after the answer.
    error = assert_envelope(response, 500, 500)
    assert "internals" not in response.text and "RuntimeError" not in response.text
    assert "Internal error" in error["message"]
    logged = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(logged) == 1, "the failure is logged once"
    line = logged[0].getMessage()
    assert "RuntimeError" in line and "in broken" in line, "with its type and its stack"
    assert "11223569865" not in line, "but not its message"
    monkeypatch.undo()
    assert (await http.post(ISSUE, content=GOOD, headers=JSON)).status_code == 200


async def test_the_service_still_answers_after_the_battery(http: httpx.AsyncClient) -> None:
    for content in MALFORMED_BODIES:
        await http.post(ISSUE, content=content, headers=JSON)
    response = await http.post(ISSUE, content=GOOD, headers=JSON)
    assert response.status_code == 200 and response.json()["successCount"] == 1
