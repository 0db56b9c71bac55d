"""POST /v2/coupon/bulk/issue over real HTTP: the documented example, and a mix of good,
expired, exhausted, limited and unknown series answered entry by entry, as gRPC answers it."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import grpc
import httpx
from google.protobuf import json_format

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc
from tests.e2e.helpers.bulk_document import DOCUMENTED_REQUEST, DOCUMENTED_RESPONSE
from tests.e2e.helpers.rest import assert_same_shape

PATH = "/v2/coupon/bulk/issue"
MOBILE = "11223569865"

# The demo's series run to 2029; the document's 544770 ran to 2026.
FILLED_IN = {"code", "id", "validTill"}


async def post(http: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    return await http.post(PATH, json=body, headers=headers)


def codes(entry: dict[str, Any]) -> list[int]:
    return [error["code"] for error in entry["errors"]]


async def test_documented_example_answers_as_documented(http: httpx.AsyncClient) -> None:
    response = await http.post(
        PATH, content=DOCUMENTED_REQUEST.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    body = response.json()
    documented = json.loads(DOCUMENTED_RESPONSE)
    assert list(body) == list(documented)
    assert_same_shape(body, documented)
    assert (body["totalCount"], body["failureCount"]) == (2, 0)
    for entry, expected in zip(body["response"], documented["response"], strict=True):
        assert list(entry) == ["entityId", "result", "errors", "warnings"]
        assert entry["entityId"] == expected["entityId"]
        assert list(entry["result"]) == list(expected["result"])
        for key in expected["result"].keys() - FILLED_IN:
            assert entry["result"][key] == expected["result"][key], key
        assert re.fullmatch(r"[A-Z0-9]{10}", entry["result"]["code"])
        assert entry["result"]["validTill"] == "2029-05-09T00:00:00Z"
        assert isinstance(entry["result"]["id"], int) and entry["result"]["id"] > 0
        assert entry["errors"] == [] and entry["warnings"] == []


async def _exhaust_pool_and_limits(http: httpx.AsyncClient) -> None:
    """Empties the uploaded pool (700001) and the demo customer's share of 700002."""
    pool = await http.post(
        "/v2/coupon/issue/multiple",
        json={"seriesId": 700001, "count": 500, "customer": {"mobile": MOBILE}},
    )
    body = pool.json()
    assert (body["successCount"], body["failureCount"]) == (100, 400)
    assert [error["code"] for error in body["errors"]] == [5005]
    limited = await http.post(
        "/v2/coupon/issue/multiple",
        json={"seriesId": 700002, "count": 5, "customer": {"mobile": MOBILE}},
    )
    assert limited.json()["successCount"] == 5


async def test_a_mix_of_good_expired_exhausted_limited_and_unknown_series(
    http: httpx.AsyncClient,
) -> None:
    await _exhaust_pool_and_limits(http)
    held = await http.post(
        "/v2/coupon/issue/multiple", json={"seriesId": 96004, "customer": {"mobile": MOBILE}}
    )
    assert held.status_code == 200
    series = [553379, 700003, 700001, 700002, 999999, 96004, 415446, 415446]
    response = await post(http, {"seriesIds": series, "customer": {"mobile": MOBILE}})
    assert response.status_code == 200
    body = response.json()
    entries = body["response"]
    assert [entry["entityId"] for entry in entries] == series
    assert [codes(entry) for entry in entries] == [[], [713], [702], [621], [707], [709], [], []]
    assert [entry["result"] is None for entry in entries] == [
        False, True, True, True, True, True, False, False,
    ]  # fmt: skip
    assert (body["totalCount"], body["failureCount"]) == (8, 5)
    # A repeated id is answered on its own: two different coupons.
    assert entries[6]["result"]["id"] != entries[7]["result"]["id"]
    assert entries[6]["result"]["validTill"] is None  # 415446 never expires.
    for entry in entries:
        assert_same_shape(entry["errors"], [{"status": False, "code": 1, "message": ""}], "errors")
    # The series that failed undid nothing: the good ones' coupons are the customer's now.
    again = await post(http, {"seriesIds": [553379], "customer": {"mobile": MOBILE}})
    assert again.json()["response"][0]["result"]["id"] == entries[0]["result"]["id"]


async def test_series_limit_reached_is_626(http: httpx.AsyncClient) -> None:
    for number in range(1, 11):  # Ten customers take five each: 700002's maxCreate is 50.
        customer = {"mobile": f"9199000{number:05d}"}
        response = await http.post(
            "/v2/coupon/issue/multiple",
            json={"seriesId": 700002, "count": 5, "customer": customer},
        )
        assert response.json()["successCount"] == 5
    response = await post(http, {"seriesIds": [700002], "customer": {"mobile": "919900000011"}})
    (entry,) = response.json()["response"]
    assert entry["result"] is None and codes(entry) == [626]


async def test_unknown_customer_fails_the_whole_call(http: httpx.AsyncClient) -> None:
    response = await post(http, {"seriesIds": [553379], "customer": {"externalId": "nobody"}})
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert (error["status"], error["code"]) == (False, 701)


async def test_invalid_series_lists_fail_the_whole_call(http: httpx.AsyncClient) -> None:
    customer = {"mobile": MOBILE}
    cases = [
        ({"customer": customer}, 756),
        ({"seriesIds": [], "customer": customer}, 756),
        ({"seriesIds": list(range(1, 102)), "customer": customer}, 629),
        ({"seriesIds": 553379, "customer": customer}, 629),
        ({"seriesIds": ["553379"], "customer": customer}, 629),
        ({"seriesIds": [553379]}, 756),
    ]
    for body, code in cases:
        response = await post(http, body)
        assert response.status_code == 400, body
        assert [error["code"] for error in response.json()["errors"]] == [code], body


async def test_grpc_answers_the_same_mix_the_same_way(
    http: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    await _exhaust_pool_and_limits(http)
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
    series = [553379, 700003, 700001, 700002, 999999]
    request = coupon_service_pb2.BulkIssueRequest(seriesIds=series, customer={"mobile": MOBILE})
    over_grpc = await stub.BulkIssue(request, timeout=10)
    assert [[e.code for e in entry.errors] for entry in over_grpc.response] == [
        [], [713], [702], [621], [707],
    ]  # fmt: skip
    assert over_grpc.failureCount == 4 and over_grpc.totalCount == 5
    # Over gRPC every error entry names its series; the documented REST entry has entityId.
    assert [[e.seriesId for e in entry.errors] for entry in over_grpc.response] == [
        [], [700003], [700001], [700002], [999999],
    ]  # fmt: skip

    over_rest = (await post(http, {"seriesIds": series, "customer": {"mobile": MOBILE}})).json()
    assert [codes(entry) for entry in over_rest["response"]] == [[], [713], [702], [621], [707]]
    assert all(
        list(error) == ["status", "code", "message"]
        for entry in over_rest["response"]
        for error in entry["errors"]
    )
    # 553379 allows one coupon per customer and resends it: the same coupon both ways.
    grpc_result = json_format.MessageToDict(over_grpc.response[0].result)
    rest_result = over_rest["response"][0]["result"]
    assert rest_result["code"] == grpc_result["code"]
    assert rest_result["id"] == int(grpc_result["id"])
    assert rest_result["validTill"] == grpc_result["validTill"]


async def test_idempotent_replay_over_grpc_returns_the_rest_answer(
    http: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    key = f"bulk-{uuid.uuid4().hex}"
    series = [544770, 700003, 415446]
    body = {"seriesIds": series, "customer": {"mobile": MOBILE}}
    rest = (await post(http, body, **{"Idempotency-Key": key})).json()
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
    request = coupon_service_pb2.BulkIssueRequest(
        seriesIds=series, customer={"mobile": MOBILE}, requestId=key
    )
    replayed = await stub.BulkIssue(request, timeout=10)
    assert [entry.result.id for entry in replayed.response] == [
        entry["result"]["id"] if entry["result"] else 0 for entry in rest["response"]
    ]
    assert [[e.code for e in entry.errors] for entry in replayed.response] == [
        codes(entry) for entry in rest["response"]
    ]
    assert [[e.seriesId for e in entry.errors] for entry in replayed.response] == [[], [700003], []]
    retried = (await post(http, body, **{"Idempotency-Key": key})).json()
    assert retried == rest
    changed = await post(http, {**body, "seriesIds": [544770]}, **{"Idempotency-Key": key})
    assert changed.status_code == 400
    assert changed.json()["errors"] == [
        {
            "status": False,
            "code": 629,
            "message": "Idempotency-Key was already used for a different request",
        }
    ]
