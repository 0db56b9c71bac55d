"""The typed client against the real server: typed calls, CouponError, idempotent retries through
a flaky proxy that drops calls and loses answers, deadlines and the authorization header."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable

import grpc
import pytest
from coupon_client import (
    DEFAULT_TIMEOUT,
    NO_RETRY,
    CouponClient,
    CouponError,
    FieldViolation,
    IssuanceMetadata,
    RetryPolicy,
    call_with_retry,
    customer_ref,
)

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    customer_service_pb2,
    series_service_pb2,
)
from coupon_service.app import RunningService
from tests.e2e.conftest import DEMO_AUTHORIZATION

DEMO = customer_ref(mobile="11223569865")
DEMO_CUSTOMER_ID = 555567088
FAST_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05)
AUTHORIZATION = DEMO_AUTHORIZATION
# gRPC sends deadlines rounded up to a coarse unit; the server may see a little more time.
SLACK = 0.05


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
async def proxy(service: RunningService) -> AsyncIterator[tuple[FlakyProxy, int]]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as upstream:
        handler = FlakyProxy(upstream)
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            yield handler, port
        finally:
            await server.stop(0)


@pytest.fixture
async def client(service: RunningService) -> AsyncIterator[CouponClient]:
    async with CouponClient(
        f"127.0.0.1:{service.grpc_port}", authorization=DEMO_AUTHORIZATION, retry=FAST_RETRY
    ) as opened:
        yield opened


async def list_coupons(client: CouponClient) -> list[customer_service_pb2.Coupon]:
    listed = await client.customers.ListCustomerCoupons(
        customer_service_pb2.ListCustomerCouponsRequest(customer=DEMO)
    )
    return list(listed.coupons)


# --- typed calls --------------------------------------------------------------------------------


async def test_issue_multiple_returns_the_typed_response(client):
    metadata = IssuanceMetadata(sourceType="POS", reason="welcome")

    response = await client.issue_multiple(415446, DEMO, count=2, metadata=metadata)

    assert isinstance(response, coupon_service_pb2.IssueMultipleResponse)
    assert (response.totalCount, response.successCount, response.failureCount) == (2, 2, 0)
    assert all(len(c.code) == 10 and c.code.isdigit() for c in response.coupons)
    assert response.couponConfig.description == "IKEA - 500KW Voucher "
    assert response.customer.id == DEMO_CUSTOMER_ID
    stored = await list_coupons(client)
    assert [c.id for c in stored] == [c.couponId for c in response.coupons]
    assert {(c.metadata.sourceType, c.metadata.reason) for c in stored} == {("POS", "welcome")}
    # The client gave the call an idempotency key of its own.
    assert len({c.request_id for c in stored}) == 1
    assert uuid.UUID(stored[0].request_id).version == 4


async def test_issue_multiple_from_several_series(client):
    response = await client.issue_multiple([415446, 535521], DEMO, count=1)

    assert [c.seriesId for c in response.coupons] == [415446, 535521]
    assert [config.id for config in response.couponConfigs] == [415446, 535521]


async def test_count_omitted_issues_one(client):
    response = await client.issue_multiple(535521, customer_ref(external_id="3873472"))

    assert (response.totalCount, len(response.coupons)) == (1, 1)


async def test_bulk_issue_answers_per_series(client):
    response = await client.bulk_issue([415446, 18426, 999999], DEMO)

    assert [entry.entityId for entry in response.response] == [415446, 18426, 999999]
    first, generic, unknown = response.response
    assert len(first.result.code) == 10 and first.result.seriesId == 415446
    assert generic.result.code == "DECATH10"
    assert not unknown.HasField("result")
    assert [(e.code, e.message) for e in unknown.errors] == [(707, "Coupon Series ID is invalid")]
    assert (response.totalCount, response.failureCount) == (3, 1)


async def test_management_stubs_are_at_hand(client):
    found = await client.series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=18426))
    customer = await client.customers.GetCustomer(
        customer_service_pb2.GetCustomerRequest(customer=customer_ref(id=DEMO_CUSTOMER_ID))
    )

    assert found.generic_code == "DECATH10"
    assert customer.mobile == "11223569865"


def test_customer_ref_names_exactly_one_identifier():
    assert customer_ref(email="a@example.com") == common_pb2.CustomerRef(email="a@example.com")
    assert customer_ref(external_id="x").WhichOneof("identifier") == "externalId"
    assert customer_ref(id=0).WhichOneof("identifier") == "id"
    with pytest.raises(ValueError, match="exactly one"):
        customer_ref()
    with pytest.raises(ValueError, match="exactly one"):
        customer_ref(mobile="1", email="a@example.com")


# --- CouponError ------------------------------------------------------------------------------


async def test_unknown_series_raises_coupon_error_707(client):
    with pytest.raises(CouponError) as caught:
        await client.issue_multiple(999999, DEMO, count=2)

    error = caught.value
    assert error.status_code is grpc.StatusCode.NOT_FOUND
    assert error.code == 707
    assert error.message == "Coupon Series ID is invalid"
    assert error.reason == "SERIES_INVALID"
    assert error.domain == "coupon.v1"
    assert error.metadata == {"code": "707", "seriesId": "999999"}
    assert error.field_violations == ()
    assert "707" in str(error) and "Coupon Series ID is invalid" in str(error)


@pytest.mark.parametrize(
    ("series_id", "count", "field", "message"),
    [
        ([], 2, "seriesId", "seriesId is mandatory to set"),
        (415446, 0, "count", "count should be greater than 0"),
    ],
)
async def test_mandatory_field_raises_coupon_error_756(client, series_id, count, field, message):
    with pytest.raises(CouponError) as caught:
        await client.issue_multiple(series_id, DEMO, count=count)

    error = caught.value
    assert error.status_code is grpc.StatusCode.INVALID_ARGUMENT
    assert (error.code, error.message, error.reason) == (756, message, "MANDATORY_FIELD")
    assert error.field_violations == (FieldViolation(field, message),)
    assert error.fields == [field]
    assert error.metadata == {"code": "756"}


async def test_resource_exhausted_is_not_retried(proxy):
    handler, port = proxy
    async with CouponClient(
        f"127.0.0.1:{port}", authorization=DEMO_AUTHORIZATION, retry=FAST_RETRY
    ) as client:
        await client.issue_multiple(700001, DEMO, count=100)

        with pytest.raises(CouponError) as caught:
            await client.issue_multiple(700001, DEMO, count=1)

    assert (caught.value.status_code, caught.value.code) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        702,
    )
    assert len(handler.seen) == 2


async def test_plain_status_gives_a_coupon_error_without_a_code():
    error = CouponError.from_rpc_error(
        grpc.aio.AioRpcError(
            grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "gone"
        )
    )

    assert (error.status_code, error.code, error.message, error.reason) == (
        grpc.StatusCode.UNAVAILABLE,
        0,
        "gone",
        "",
    )
    assert (error.metadata, error.field_violations) == ({}, ())


# --- retries with one request_id --------------------------------------------------------------


class FakeIssueMultiple:
    """A stub method that fails with the given codes, then answers."""

    def __init__(self, *failures: grpc.StatusCode) -> None:
        self.failures = list(failures)
        self.requests: list[coupon_service_pb2.IssueMultipleRequest] = []
        self.timeouts: list[float | None] = []

    def __call__(
        self, request: coupon_service_pb2.IssueMultipleRequest, *, timeout: float | None = None
    ) -> Awaitable[coupon_service_pb2.IssueMultipleResponse]:
        # Like a stub method: records the call at once, and the answer is awaited.
        self.requests.append(
            coupon_service_pb2.IssueMultipleRequest.FromString(request.SerializeToString())
        )
        self.timeouts.append(timeout)
        return self._answer(request)

    async def _answer(
        self, request: coupon_service_pb2.IssueMultipleRequest
    ) -> coupon_service_pb2.IssueMultipleResponse:
        if self.failures:
            code = self.failures.pop(0)
            raise grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), code.name)
        return coupon_service_pb2.IssueMultipleResponse(successCount=request.count)


class RecordedSleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


async def test_retry_helper_resends_the_same_request_id():
    method = FakeIssueMultiple(grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE)
    sleeps = RecordedSleeps()
    request = coupon_service_pb2.IssueMultipleRequest(seriesId=1, count=2, requestId="key-1")
    policy = RetryPolicy(max_attempts=4, initial_backoff=0.1, max_backoff=1.0, multiplier=2.0)

    response = await call_with_retry(method, request, timeout=3.0, policy=policy, sleep=sleeps)

    assert response.successCount == 2
    assert [r.requestId for r in method.requests] == ["key-1"] * 3
    assert method.requests == [request] * 3
    assert method.timeouts == [3.0] * 3
    assert len(sleeps) == 2
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2


async def test_retry_helper_retries_deadline_exceeded_too():
    method = FakeIssueMultiple(grpc.StatusCode.DEADLINE_EXCEEDED)
    sleeps = RecordedSleeps()

    await call_with_retry(
        method,
        coupon_service_pb2.IssueMultipleRequest(),
        timeout=1.0,
        policy=FAST_RETRY,
        sleep=sleeps,
    )

    assert len(method.requests) == 2 and len(sleeps) == 1


async def test_retry_helper_gives_up_after_max_attempts():
    method = FakeIssueMultiple(*[grpc.StatusCode.UNAVAILABLE] * 10)
    sleeps = RecordedSleeps()
    policy = RetryPolicy(max_attempts=3, initial_backoff=1.0, max_backoff=1.5)

    with pytest.raises(CouponError) as caught:
        await call_with_retry(
            method,
            coupon_service_pb2.IssueMultipleRequest(),
            timeout=1.0,
            policy=policy,
            sleep=sleeps,
        )

    assert caught.value.status_code is grpc.StatusCode.UNAVAILABLE
    assert len(method.requests) == 3
    assert len(sleeps) == 2 and all(s <= 1.5 for s in sleeps)


@pytest.mark.parametrize(
    "code",
    [grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ABORTED],
)
async def test_retry_helper_does_not_retry_other_failures(code):
    method = FakeIssueMultiple(code)
    sleeps = RecordedSleeps()

    with pytest.raises(CouponError) as caught:
        await call_with_retry(
            method,
            coupon_service_pb2.IssueMultipleRequest(),
            timeout=1.0,
            policy=FAST_RETRY,
            sleep=sleeps,
        )

    assert caught.value.status_code is code
    assert (len(method.requests), sleeps) == (1, [])


def test_retry_policy_refuses_nonsense():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(initial_backoff=-1)


async def test_a_dropped_call_and_a_lost_answer_never_issue_twice(proxy):
    handler, port = proxy
    handler.plan = ["drop", "lose"]
    async with CouponClient(
        f"127.0.0.1:{port}", authorization=DEMO_AUTHORIZATION, retry=FAST_RETRY
    ) as client:
        response = await client.issue_multiple(415446, DEMO, count=2)
        stored = await list_coupons(client)

    issued = [seen for seen in handler.seen if seen.method.endswith("/IssueMultiple")]
    assert len(issued) == 3
    request_ids = {seen.request_id for seen in issued}
    assert len(request_ids) == 1 and uuid.UUID(request_ids.pop()).version == 4
    # The lost answer's coupons are the ones the retry returned, and the only ones issued.
    assert [c.id for c in stored] == [c.couponId for c in response.coupons]
    assert len(stored) == 2


async def test_bulk_issue_retries_with_the_same_request_id(proxy):
    handler, port = proxy
    handler.plan = ["lose"]
    async with CouponClient(
        f"127.0.0.1:{port}", authorization=DEMO_AUTHORIZATION, retry=FAST_RETRY
    ) as client:
        response = await client.bulk_issue([415446, 535521], DEMO, request_id="bulk-7")
        stored = await list_coupons(client)

    assert [seen.request_id for seen in handler.seen[:2]] == ["bulk-7", "bulk-7"]
    assert sorted(c.id for c in stored) == sorted(e.result.id for e in response.response)


async def test_a_request_id_the_caller_gives_is_kept_across_calls(client):
    first = await client.issue_multiple(415446, DEMO, count=2, request_id="order-1")
    again = await client.issue_multiple(415446, DEMO, count=2, request_id="order-1")

    assert [c.couponId for c in again.coupons] == [c.couponId for c in first.coupons]
    assert {c.request_id for c in await list_coupons(client)} == {"order-1"}

    with pytest.raises(CouponError) as caught:
        await client.issue_multiple(415446, DEMO, count=3, request_id="order-1")
    assert (caught.value.status_code, caught.value.code) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        629,
    )


async def test_without_retries_an_unavailable_call_fails_at_once(proxy):
    handler, port = proxy
    handler.plan = ["drop"]
    async with CouponClient(
        f"127.0.0.1:{port}", authorization=DEMO_AUTHORIZATION, retry=NO_RETRY
    ) as client:
        with pytest.raises(CouponError) as caught:
            await client.issue_multiple(415446, DEMO)

    assert caught.value.status_code is grpc.StatusCode.UNAVAILABLE
    assert caught.value.message == "proxy dropped the call"
    assert len(handler.seen) == 1


# --- deadlines and authorization --------------------------------------------------------------


async def test_every_call_carries_the_default_deadline_and_the_authorization(proxy):
    handler, port = proxy
    async with CouponClient(
        f"127.0.0.1:{port}", authorization=AUTHORIZATION, timeout=2.0
    ) as client:
        await client.issue_multiple(415446, DEMO)
        await client.bulk_issue([535521], DEMO)
        await client.series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=415446))
        await client.customers.GetCustomer(customer_service_pb2.GetCustomerRequest(customer=DEMO))

    assert [seen.method.rsplit("/", 1)[1] for seen in handler.seen] == [
        "IssueMultiple",
        "BulkIssue",
        "GetSeries",
        "GetCustomer",
    ]
    assert {seen.authorization for seen in handler.seen} == {AUTHORIZATION}
    for seen in handler.seen:
        assert seen.time_remaining is not None and 0 < seen.time_remaining <= 2.0 + SLACK


async def test_a_deadline_given_per_call_wins(proxy):
    handler, port = proxy
    # This client sends no authorization (asserted below): the proxy supplies the demo key.
    handler.fallback_authorization = DEMO_AUTHORIZATION
    async with CouponClient(f"127.0.0.1:{port}") as client:
        await client.issue_multiple(415446, DEMO, timeout=0.5)
        await client.series.GetSeries(
            series_service_pb2.GetSeriesRequest(series_id=415446), timeout=0.7
        )
        await client.bulk_issue([535521], DEMO)

    remaining = [seen.time_remaining for seen in handler.seen]
    assert all(value is not None for value in remaining)
    assert 0 < remaining[0] <= 0.5 + SLACK
    assert 0.5 + SLACK < remaining[1] <= 0.7 + SLACK
    assert 0.7 + SLACK < remaining[2] <= DEFAULT_TIMEOUT + SLACK
    assert {seen.authorization for seen in handler.seen} == {None}


async def test_a_stalled_call_fails_with_deadline_exceeded(proxy):
    handler, port = proxy
    handler.plan = ["stall"]
    async with CouponClient(
        f"127.0.0.1:{port}", authorization=DEMO_AUTHORIZATION, timeout=0.2, retry=NO_RETRY
    ) as client:
        with pytest.raises(CouponError) as caught:
            await client.issue_multiple(415446, DEMO)

    assert caught.value.status_code is grpc.StatusCode.DEADLINE_EXCEEDED


async def test_a_stalled_attempt_is_retried_with_the_same_request_id(proxy):
    handler, port = proxy
    handler.plan = ["stall"]
    async with CouponClient(
        f"127.0.0.1:{port}", authorization=DEMO_AUTHORIZATION, timeout=0.3, retry=FAST_RETRY
    ) as client:
        response = await client.issue_multiple(415446, DEMO, count=2)
        stored = await list_coupons(client)

    issued = [seen for seen in handler.seen if seen.method.endswith("/IssueMultiple")]
    assert len(issued) == 2 and issued[0].request_id == issued[1].request_id
    assert [c.id for c in stored] == [c.couponId for c in response.coupons]
