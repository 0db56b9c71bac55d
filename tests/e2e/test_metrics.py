"""/metrics, scraped over real HTTP after real gRPC and REST calls, counts exactly what was done."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import Mapping

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.demo import DEMO_CUSTOMER, DEMO_POOL_CODES

POOL = 700001  # The demo's UPLOADED series.
GENERATED = 415446
EXPIRED = 700003
COUPON_SERVICE = "coupon.v1.CouponService"
SERIES_SERVICE = "coupon.v1.SeriesService"
MOBILE = {"mobile": DEMO_CUSTOMER.mobile}
NOBODY = {"mobile": "919876500000"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(service: RunningService) -> Samples:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{service.metrics_port}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample with exactly these labels; 0 when it was never counted."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def labelled(samples: Samples, name: str) -> list[Mapping[str, str]]:
    return [dict(labels) for sample_name, labels in samples if sample_name == name]


def handled(samples: Samples, service: str, method: str, code: str) -> float:
    return value(
        samples,
        "grpc_server_handled_total",
        grpc_type="unary",
        grpc_service=service,
        grpc_method=method,
        grpc_code=code,
    )


def issued(samples: Samples, series: int, source: str) -> float:
    return value(samples, "coupon_issued_total", org="demo", series=str(series), source=source)


def failures(samples: Samples, series: str, code: int) -> float:
    return value(samples, "coupon_issue_failures_total", org="demo", series=series, code=str(code))


def pool_left(samples: Samples) -> float:
    return value(samples, "coupon_pool_remaining", org="demo", series=str(POOL))


def issue(
    series_id: int, count: int, customer: Mapping[str, str], request_id: str = ""
) -> coupon_service_pb2.IssueMultipleRequest:
    return coupon_service_pb2.IssueMultipleRequest(
        seriesId=series_id, count=count, customer=customer, requestId=request_id
    )


async def test_grpc_calls_are_counted_by_method_and_code(
    service: RunningService,
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
    series: series_service_pb2_grpc.SeriesServiceStub,
    channel: grpc.aio.Channel,
) -> None:
    for _ in range(3):
        await coupons.IssueMultiple(issue(GENERATED, 2, MOBILE), timeout=10)
    not_found = [issue(GENERATED, 1, NOBODY), issue(999_999, 1, MOBILE)]
    for request in not_found:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await coupons.IssueMultiple(request, timeout=10)
        assert refused.value.code() is grpc.StatusCode.NOT_FOUND
    await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=POOL), timeout=10)
    # Refused by the interceptors behind the observing one: counted all the same.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await coupons.IssueMultiple(
            issue(GENERATED, 1, MOBILE), metadata=[("authorization", "Basic bm8=")], timeout=10
        )
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    raw: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
        f"/{COUPON_SERVICE}/IssueMultiple"
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await raw(b"\xff\xff\xff", timeout=10)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT

    samples = await scrape(service)
    assert handled(samples, COUPON_SERVICE, "IssueMultiple", "OK") == 3
    assert handled(samples, COUPON_SERVICE, "IssueMultiple", "NOT_FOUND") == 2
    assert handled(samples, COUPON_SERVICE, "IssueMultiple", "UNAUTHENTICATED") == 1
    assert handled(samples, COUPON_SERVICE, "IssueMultiple", "INVALID_ARGUMENT") == 1
    assert handled(samples, SERIES_SERVICE, "GetSeries", "OK") == 1
    method = {"grpc_type": "unary", "grpc_service": COUPON_SERVICE, "grpc_method": "IssueMultiple"}
    assert value(samples, "grpc_server_started_total", **method) == 7
    assert value(samples, "grpc_server_handling_seconds_count", **method) == 7
    assert value(samples, "grpc_server_handling_seconds_bucket", **method, le="+Inf") == 7
    assert value(samples, "grpc_server_handling_seconds_sum", **method) > 0

    assert issued(samples, GENERATED, "GENERATED") == 6
    # The customer was not found in a series that exists; the unknown series names none.
    assert failures(samples, str(GENERATED), 701) == 1
    assert failures(samples, "", 707) == 1
    assert {labels["org"] for labels in labelled(samples, "coupon_issue_failures_total")} == {
        "demo"
    }
    # Three calls reached a batch before the failures did: every call of a batch is in it.
    assert value(samples, "coupon_issue_batch_size_sum") == 5
    assert value(samples, "coupon_issue_batch_wait_seconds_count") == 5
    assert 1 <= value(samples, "coupon_issue_batch_size_count") <= 5
    assert ("coupon_db_pool_connections_in_use", frozenset()) in samples


async def test_the_pool_remaining_is_right_after_every_batch_and_upload(
    service: RunningService,
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
    series: series_service_pb2_grpc.SeriesServiceStub,
) -> None:
    # Known from the start, before any call issued from it.
    assert pool_left(await scrape(service)) == len(DEMO_POOL_CODES) == 100
    await asyncio.gather(
        *(coupons.IssueMultiple(issue(POOL, 15, MOBILE), timeout=10) for _ in range(4))
    )
    assert pool_left(await scrape(service)) == 40

    partial = await coupons.IssueMultiple(issue(POOL, 50, MOBILE), timeout=10)
    assert (partial.successCount, [e.code for e in partial.errors]) == (40, [5005])
    with pytest.raises(grpc.aio.AioRpcError) as exhausted:
        await coupons.IssueMultiple(issue(POOL, 1, MOBILE), timeout=10)
    assert exhausted.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    samples = await scrape(service)
    assert pool_left(samples) == 0
    assert issued(samples, POOL, "UPLOADED") == 100
    assert failures(samples, str(POOL), 5005) == 1
    assert failures(samples, str(POOL), 702) == 1

    codes = [f"METRICS{number:03d}" for number in range(10)]
    uploaded = await series.UploadCodes(
        series_service_pb2.UploadCodesRequest(series_id=POOL, codes=[*codes, DEMO_POOL_CODES[0]]),
        timeout=10,
    )
    assert uploaded.uploaded_count == 10
    assert pool_left(await scrape(service)) == 10
    await coupons.IssueMultiple(issue(POOL, 3, MOBILE), timeout=10)
    assert pool_left(await scrape(service)) == 7


async def test_a_replayed_request_id_counts_its_coupons_once(
    service: RunningService, coupons: coupon_service_pb2_grpc.CouponServiceStub
) -> None:
    request = issue(GENERATED, 3, MOBILE, request_id="metrics-replay-1")
    first = await coupons.IssueMultiple(request, timeout=10)
    again = await coupons.IssueMultiple(request, timeout=10)
    assert [c.code for c in again.coupons] == [c.code for c in first.coupons]
    bulk = coupon_service_pb2.BulkIssueRequest(
        seriesIds=[GENERATED, EXPIRED], customer=MOBILE, requestId="metrics-replay-2"
    )
    for _ in range(2):
        await coupons.BulkIssue(bulk, timeout=10)
    samples = await scrape(service)
    assert issued(samples, GENERATED, "GENERATED") == 4
    assert failures(samples, str(EXPIRED), 713) == 1  # A bulk entry's failure, not replayed.
    assert handled(samples, COUPON_SERVICE, "IssueMultiple", "OK") == 2
    assert handled(samples, COUPON_SERVICE, "BulkIssue", "OK") == 2


async def test_rest_requests_are_counted_by_route_template_and_status(
    service: RunningService, http: httpx.AsyncClient
) -> None:
    body = {"seriesId": GENERATED, "count": 1, "customer": MOBILE}
    for _ in range(2):
        assert (await http.post("/v2/coupon/issue/multiple", json=body)).status_code == 200
    unknown = {"seriesId": GENERATED, "count": 1, "customer": NOBODY}
    assert (await http.post("/v2/coupon/issue/multiple", json=unknown)).status_code == 404
    anonymous = await http.post(
        "/v2/coupon/issue/multiple", json=body, headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401
    assert (await http.post("/v2/coupon/issue/multiple", content=b"{")).status_code == 400
    assert (await http.get("/v2/coupon/issue/multiple")).status_code == 405
    assert (await http.get("/customers/919876500000")).status_code == 404

    samples = await scrape(service)
    route = "/v2/coupon/issue/multiple"
    requests = "http_server_requests_total"
    assert value(samples, requests, route=route, status="200") == 2
    assert value(samples, requests, route=route, status="404") == 1
    assert value(samples, requests, route=route, status="401") == 1
    assert value(samples, requests, route=route, status="400") == 1
    assert value(samples, requests, route=route, status="405") == 1
    assert value(samples, requests, route="unmatched", status="404") == 1
    assert {labels["route"] for labels in labelled(samples, requests)} == {route, "unmatched"}
    assert value(samples, "http_server_request_duration_seconds_count", route=route) == 6
    assert issued(samples, GENERATED, "GENERATED") == 2
    assert failures(samples, str(GENERATED), 701) == 1
    # A body that is not JSON never reached issuing: counted by the HTTP metrics alone.
    assert labelled(samples, "coupon_issue_failures_total") == [
        {"org": "demo", "series": str(GENERATED), "code": "701"}
    ]


async def test_only_metrics_path_is_served(service: RunningService) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.metrics_port}") as client:
        assert (await client.get("/")).status_code == 404
        text = (await client.get("/metrics")).text
    assert "# TYPE coupon_pool_remaining gauge" in text
    assert "grpc_server_handled_total" in text
    assert "_created" not in text


async def test_an_uploaded_series_created_while_serving_is_watched_from_its_creation(
    service: RunningService, series: series_service_pb2_grpc.SeriesServiceStub
) -> None:
    created = await series.CreateSeries(
        series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(
                description="watched", code_source=series_service_pb2.CODE_SOURCE_UPLOADED
            )
        ),
        timeout=10,
    )
    gauge = {"org": "demo", "series": str(created.id)}
    samples = await scrape(service)
    assert samples[("coupon_pool_remaining", frozenset(gauge.items()))] == 0  # There, and empty.
    await series.UploadCodes(
        series_service_pb2.UploadCodesRequest(series_id=created.id, codes=["W-1", "W-2"]),
        timeout=10,
    )
    assert value(await scrape(service), "coupon_pool_remaining", **gauge) == 2


async def test_a_busy_metrics_port_is_named(
    service: RunningService, tmp_path: pathlib.Path
) -> None:
    busy = service.metrics_port
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{tmp_path / 'second.db'}",
        grpc_port=0,
        http_port=0,
        metrics_port=busy,
    )
    with pytest.raises(OSError, match=f"^could not listen for metrics on 127.0.0.1:{busy}: "):
        await start(settings)
