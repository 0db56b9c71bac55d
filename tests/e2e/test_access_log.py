"""One access line per call on both doors: exactly the documented fields, no personal data."""

from __future__ import annotations

import asyncio
import logging

import grpc
import httpx
import pytest

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc
from coupon_service.demo import DEMO_CUSTOMER

ACCESS = "coupon_service.access"
FIELDS = {"org", "outcome", "code", "duration_ms", "batch_size", "request_id"}
ISSUE_METHOD = "/coupon.v1.CouponService/IssueMultiple"
ISSUE_ROUTE = "POST /v2/coupon/issue/multiple"
UNKNOWN_MOBILE = "919812345678"
UNKNOWN_EMAIL = "nobody.here@example.org"
PERSONAL = [DEMO_CUSTOMER.mobile, DEMO_CUSTOMER.email, UNKNOWN_MOBILE, UNKNOWN_EMAIL]
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@pytest.fixture(autouse=True)
def _capture_access_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)


def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """Each access line's extras, checked to be exactly the documented ones, and clean."""
    found = []
    for record in caplog.records:
        if record.name != ACCESS:
            continue
        extras = {key: value for key, value in vars(record).items() if key not in _STANDARD}
        assert set(extras) in ({"method", *FIELDS}, {"route", *FIELDS}), extras
        text = record.getMessage() + repr(extras)
        for personal in PERSONAL:
            assert personal not in text
        assert isinstance(extras["duration_ms"], float)
        assert extras["duration_ms"] == round(extras["duration_ms"], 1)
        assert isinstance(extras["code"], int) and isinstance(extras["batch_size"], int)
        found.append(extras)
    return found


def without_timing(line: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in line.items() if key != "duration_ms"}


async def test_grpc_calls_write_one_line_each(
    caplog: pytest.LogCaptureFixture,
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
    channel: grpc.aio.Channel,
) -> None:
    ok = coupon_service_pb2.IssueMultipleRequest(
        seriesId=415446, count=2, customer={"mobile": DEMO_CUSTOMER.mobile}, requestId="log-1"
    )
    await coupons.IssueMultiple(ok, timeout=10)
    unknown = coupon_service_pb2.IssueMultipleRequest(
        seriesId=415446, count=1, customer={"email": UNKNOWN_EMAIL}, requestId="log-2"
    )
    with pytest.raises(grpc.aio.AioRpcError):
        await coupons.IssueMultiple(unknown, timeout=10)
    nobody = coupon_service_pb2.BulkIssueRequest(
        seriesIds=[700003], customer={"mobile": UNKNOWN_MOBILE}
    )
    with pytest.raises(grpc.aio.AioRpcError):
        await coupons.BulkIssue(nobody, timeout=10)
    with pytest.raises(grpc.aio.AioRpcError):
        await coupons.IssueMultiple(ok, metadata=[("authorization", "Basic bm8=")], timeout=10)
    raw: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(ISSUE_METHOD)
    with pytest.raises(grpc.aio.AioRpcError):
        await raw(b"\xff\xff\xff", timeout=10)

    written = lines(caplog)
    assert [without_timing(line) for line in written] == [
        {
            "method": ISSUE_METHOD,
            "org": "demo",
            "outcome": "OK",
            "code": 0,
            "batch_size": 1,
            "request_id": "log-1",
        },
        {
            "method": ISSUE_METHOD,
            "org": "demo",
            "outcome": "NOT_FOUND",
            "code": 701,
            "batch_size": 1,
            "request_id": "log-2",
        },
        {
            "method": "/coupon.v1.CouponService/BulkIssue",
            "org": "demo",
            "outcome": "NOT_FOUND",
            "code": 701,
            "batch_size": 1,
            "request_id": "",
        },
        {  # Refused before the credentials named an organisation, and before any batch.
            "method": ISSUE_METHOD,
            "org": "",
            "outcome": "UNAUTHENTICATED",
            "code": 0,
            "batch_size": 0,
            "request_id": "",
        },
        {  # Refused before its credentials were read.
            "method": ISSUE_METHOD,
            "org": "",
            "outcome": "INVALID_ARGUMENT",
            "code": 629,
            "batch_size": 0,
            "request_id": "",
        },
    ]
    assert all(isinstance(line["duration_ms"], float) for line in written)


async def test_rest_requests_write_one_line_each(
    caplog: pytest.LogCaptureFixture, http: httpx.AsyncClient
) -> None:
    body = {"seriesId": 415446, "count": 1, "customer": {"mobile": DEMO_CUSTOMER.mobile}}
    key = {"Idempotency-Key": "rest-log-1"}
    assert (await http.post("/v2/coupon/issue/multiple", json=body, headers=key)).status_code == 200
    missing = {"seriesId": 415446, "count": 1, "customer": {"mobile": UNKNOWN_MOBILE}}
    assert (await http.post("/v2/coupon/issue/multiple", json=missing)).status_code == 404
    bulk = {"seriesIds": [415446], "customer": {"email": DEMO_CUSTOMER.email}}
    assert (await http.post("/v2/coupon/bulk/issue", json=bulk)).status_code == 200
    anonymous = {"Authorization": ""}
    assert (
        await http.post("/v2/coupon/issue/multiple", json=body, headers=anonymous)
    ).status_code == 401
    assert (await http.post("/v2/coupon/issue/multiple", content=b"[")).status_code == 400
    assert (await http.get(f"/customers/{UNKNOWN_MOBILE}")).status_code == 404

    assert [without_timing(line) for line in lines(caplog)] == [
        {
            "route": ISSUE_ROUTE,
            "org": "demo",
            "outcome": 200,
            "code": 0,
            "batch_size": 1,
            "request_id": "rest-log-1",
        },
        {
            "route": ISSUE_ROUTE,
            "org": "demo",
            "outcome": 404,
            "code": 701,
            "batch_size": 1,
            "request_id": "",
        },
        {
            "route": "POST /v2/coupon/bulk/issue",
            "org": "demo",
            "outcome": 200,
            "code": 0,
            "batch_size": 1,
            "request_id": "",
        },
        {
            "route": ISSUE_ROUTE,
            "org": "",
            "outcome": 401,
            "code": 0,
            "batch_size": 0,
            "request_id": "",
        },
        {
            "route": ISSUE_ROUTE,
            "org": "demo",
            "outcome": 400,
            "code": 629,
            "batch_size": 0,
            "request_id": "",
        },
        {
            "route": "GET unmatched",
            "org": "",
            "outcome": 404,
            "code": 629,
            "batch_size": 0,
            "request_id": "",
        },
    ]


async def test_concurrent_issuing_calls_name_the_batch_they_ran_in(
    caplog: pytest.LogCaptureFixture,
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
) -> None:
    requests = [
        coupon_service_pb2.IssueMultipleRequest(
            seriesId=415446, count=1, customer={"mobile": DEMO_CUSTOMER.mobile}, requestId=f"c-{n}"
        )
        for n in range(12)
    ]
    await asyncio.gather(*(coupons.IssueMultiple(r, timeout=10) for r in requests))
    written = lines(caplog)
    assert sorted(str(line["request_id"]) for line in written) == sorted(
        f"c-{n}" for n in range(12)
    )
    sizes = [int(str(line["batch_size"])) for line in written]
    assert all(1 <= size <= 12 for size in sizes)
    # A batch of n calls is named by each of its n calls.
    for size in set(sizes):
        assert sizes.count(size) % size == 0, sizes
