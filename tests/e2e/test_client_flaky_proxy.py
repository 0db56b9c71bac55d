"""Both client flavours through a flaky proxy that drops calls, loses answers and stalls:
idempotent retries with one requestId, deadlines and the authorization header.

Every test runs twice: with CouponClient, and with SyncCouponClient called from a worker
thread (the server runs on the test's event loop)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import pytest
from coupon_client import (
    DEFAULT_TIMEOUT,
    NO_RETRY,
    CouponClient,
    PoolExhausted,
    SyncCouponClient,
    Unavailable,
)

from coupon.v1 import coupon_service_pb2
from coupon_service.app import RunningService
from tests.e2e.helpers.clients import DEMO, FAST_RETRY, FLAVOURS, Threaded, list_coupons
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION

# gRPC sends deadlines rounded up to a coarse unit; the server may see a little more time.
SLACK = 0.05


@pytest.fixture
def open_client(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Opens a client of this test's flavour: `async with open_client(target, ...) as client`."""
    flavour = getattr(request, "param", "async")

    @dataclasses.dataclass
    class Opened:
        target: str
        kwargs: dict[str, Any]

        async def __aenter__(self) -> Any:
            if flavour == "async":
                self.client: Any = CouponClient(self.target, **self.kwargs)
                return self.client
            self.client = Threaded(SyncCouponClient(self.target, **self.kwargs))
            return self.client

        async def __aexit__(self, *exc_info: object) -> None:
            await self.client.close()

    return lambda target, **kwargs: Opened(target, kwargs)


def both_flavours(test: Callable[..., Any]) -> Callable[..., Any]:
    return pytest.mark.parametrize("open_client", FLAVOURS, indirect=True)(test)


# --- a flaky hop between client and server ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Seen:
    """One call the proxy received."""

    method: str
    authorization: str | None
    time_remaining: float | None
    request: bytes

    @property
    def request_id(self) -> str:
        if self.method.endswith("/BulkIssue"):
            return coupon_service_pb2.BulkIssueRequest.FromString(self.request).requestId
        return coupon_service_pb2.IssueMultipleRequest.FromString(self.request).requestId


class FlakyProxy(grpc.GenericRpcHandler):
    """Forwards every call to the real server, except that it follows `plan` first: "drop"
    fails a call with UNAVAILABLE before the server sees it, "lose" lets the server answer and
    then fails with UNAVAILABLE, "stall" waits until the caller's deadline passes. A call that
    carries no authorization is forwarded with `fallback_authorization`, when set, like a
    gateway that holds the credentials."""

    def __init__(self, upstream: grpc.aio.Channel) -> None:
        self.upstream = upstream
        self.plan: list[str] = []
        self.seen: list[Seen] = []
        self.fallback_authorization: str | None = None

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method = handler_call_details.method

        async def forward(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            metadata = dict(context.invocation_metadata() or ())
            authorization = metadata.get("authorization")
            self.seen.append(Seen(method, authorization, context.time_remaining(), request))
            step = self.plan.pop(0) if self.plan else "forward"
            if step == "drop":
                await context.abort(grpc.StatusCode.UNAVAILABLE, "proxy dropped the call")
            if step == "stall":
                await asyncio.sleep(60)  # Cancelled when the caller's deadline passes.
            upstream = self.upstream.unary_unary(method)
            forwarded = authorization or self.fallback_authorization
            try:
                response = await upstream(
                    request,
                    timeout=context.time_remaining(),
                    metadata=(("authorization", forwarded),) if forwarded else None,
                )
            except grpc.aio.AioRpcError as error:
                trailers = tuple(error.trailing_metadata() or ())
                await context.abort(error.code(), error.details(), trailers)
            if step == "lose":
                await context.abort(grpc.StatusCode.UNAVAILABLE, "proxy lost the answer")
            return response

        return grpc.unary_unary_rpc_method_handler(forward)  # type: ignore[arg-type]


@pytest.fixture
async def proxy(service: RunningService) -> AsyncIterator[tuple[FlakyProxy, str]]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as upstream:
        handler = FlakyProxy(upstream)
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            yield handler, f"127.0.0.1:{port}"
        finally:
            await server.stop(0)


def issued_calls(handler: FlakyProxy) -> list[Seen]:
    return [seen for seen in handler.seen if seen.method.endswith(("/IssueMultiple", "/BulkIssue"))]


# --- retries with one request_id, through the proxy ---------------------------------------------


@both_flavours
async def test_a_dropped_call_and_a_lost_answer_never_issue_twice(proxy, open_client):
    handler, target = proxy
    handler.plan = ["drop", "lose"]
    async with open_client(target, authorization=DEMO_AUTHORIZATION, retry=FAST_RETRY) as client:
        result = await client.issue_multiple(415446, DEMO, count=2)
        stored = await list_coupons(client)

    issued = issued_calls(handler)
    assert len(issued) == 3
    assert {seen.request_id for seen in issued} == {result.request_id}
    # The lost answer's coupons are the ones the retry returned, and the only ones issued.
    assert [c.id for c in stored] == [c.couponId for c in result.coupons]
    assert len(stored) == 2


@both_flavours
async def test_bulk_issue_retries_with_the_same_request_id(proxy, open_client):
    handler, target = proxy
    handler.plan = ["lose"]
    async with open_client(target, authorization=DEMO_AUTHORIZATION, retry=FAST_RETRY) as client:
        result = await client.bulk_issue([415446, 535521], DEMO, request_id="bulk-7")
        stored = await list_coupons(client)

    assert [seen.request_id for seen in issued_calls(handler)] == ["bulk-7", "bulk-7"]
    assert sorted(c.id for c in stored) == sorted(c.id for c in result.coupons)


@both_flavours
async def test_reads_are_retried_too(proxy, open_client):
    handler, target = proxy
    handler.plan = ["drop", "drop"]
    async with open_client(target, authorization=DEMO_AUTHORIZATION, retry=FAST_RETRY) as client:
        found = await client.get_series(18426)

    assert found.generic_code == "DECATH10"
    assert [seen.method.rsplit("/", 1)[1] for seen in handler.seen] == ["GetSeries"] * 3


@both_flavours
async def test_a_create_is_never_resent(proxy, open_client):
    handler, target = proxy
    handler.plan = ["lose"]
    async with open_client(target, authorization=DEMO_AUTHORIZATION, retry=FAST_RETRY) as client:
        with pytest.raises(Unavailable) as caught:
            await client.create_series(description="sent once")
        listed = await client.list_series(page_size=100)

    assert caught.value.message == "proxy lost the answer"
    assert [s.description for s in listed.series].count("sent once") == 1
    assert len([seen for seen in handler.seen if seen.method.endswith("/CreateSeries")]) == 1


@both_flavours
async def test_resource_exhausted_is_not_retried(proxy, open_client):
    handler, target = proxy
    async with open_client(target, authorization=DEMO_AUTHORIZATION, retry=FAST_RETRY) as client:
        await client.issue_multiple(700001, DEMO, count=100)
        with pytest.raises(PoolExhausted) as caught:
            await client.issue_multiple(700001, DEMO, count=1)

    assert (caught.value.status_code, caught.value.code) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        702,
    )
    assert len(handler.seen) == 2


@both_flavours
async def test_without_retries_an_unavailable_call_fails_at_once(proxy, open_client):
    handler, target = proxy
    handler.plan = ["drop"]
    async with open_client(target, authorization=DEMO_AUTHORIZATION, retry=NO_RETRY) as client:
        with pytest.raises(Unavailable) as caught:
            await client.issue_multiple(415446, DEMO)

    assert (caught.value.message, caught.value.code) == ("proxy dropped the call", 0)
    assert len(handler.seen) == 1


# --- deadlines and authorization ----------------------------------------------------------------


@both_flavours
async def test_every_call_carries_the_default_deadline_and_the_authorization(proxy, open_client):
    handler, target = proxy
    async with open_client(target, authorization=DEMO_AUTHORIZATION, timeout=2.0) as client:
        await client.issue_multiple(415446, DEMO)
        await client.bulk_issue([535521], DEMO)
        await client.get_series(415446)
        await client.get_customer(DEMO)

    assert [seen.method.rsplit("/", 1)[1] for seen in handler.seen] == [
        "IssueMultiple",
        "BulkIssue",
        "GetSeries",
        "GetCustomer",
    ]
    assert {seen.authorization for seen in handler.seen} == {DEMO_AUTHORIZATION}
    for seen in handler.seen:
        assert seen.time_remaining is not None and 0 < seen.time_remaining <= 2.0 + SLACK


@both_flavours
async def test_a_deadline_given_per_call_wins(proxy, open_client):
    handler, target = proxy
    # This client sends no authorization (asserted below): the proxy supplies the demo key.
    handler.fallback_authorization = DEMO_AUTHORIZATION
    async with open_client(target) as client:
        await client.issue_multiple(415446, DEMO, timeout=0.5)
        await client.get_series(415446, timeout=0.7)
        await client.bulk_issue([535521], DEMO)

    remaining = [seen.time_remaining for seen in handler.seen]
    assert all(value is not None for value in remaining)
    assert 0 < remaining[0] <= 0.5 + SLACK
    assert 0.5 + SLACK < remaining[1] <= 0.7 + SLACK
    assert 0.7 + SLACK < remaining[2] <= DEFAULT_TIMEOUT + SLACK
    assert {seen.authorization for seen in handler.seen} == {None}


@both_flavours
async def test_a_stalled_attempt_is_retried_with_the_same_request_id(proxy, open_client):
    handler, target = proxy
    handler.plan = ["stall"]
    async with open_client(
        target, authorization=DEMO_AUTHORIZATION, timeout=0.3, retry=FAST_RETRY
    ) as client:
        result = await client.issue_multiple(415446, DEMO, count=2)
        stored = await list_coupons(client)

    issued = issued_calls(handler)
    assert [seen.request_id for seen in issued] == [result.request_id] * 2
    assert [c.id for c in stored] == [c.couponId for c in result.coupons]
