"""The client's retries against a tiny CouponService that fails the first attempts on purpose:
gRPC's own retry policy resends UNAVAILABLE and ABORTED with the same requestId, the client's
loop resends an attempt that ran out of its deadline, and both stop at max_attempts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import grpc
import pytest
from coupon_client import (
    NO_RETRY,
    CouponClient,
    DeadlineExceeded,
    IssueFailed,
    RetryPolicy,
    SyncCouponClient,
    Unavailable,
    call_with_retry,
    call_with_retry_sync,
    customer_ref,
)
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc, errors_pb2

CUSTOMER = customer_ref(mobile="11223569865")
FAST = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.02)


def database_unavailable() -> grpc.Status:
    """The status the coupon service sends when its database could not do the call."""
    delay = duration_pb2.Duration()
    delay.FromMilliseconds(1500)
    details = []
    for message in (
        error_details_pb2.ErrorInfo(
            reason="DATABASE_UNAVAILABLE", domain="coupon.v1", metadata={"code": "678"}
        ),
        errors_pb2.CouponErrorDetail(code=678, message="the database could not do it"),
        error_details_pb2.RetryInfo(retry_delay=delay),
    ):
        packed = any_pb2.Any()
        packed.Pack(message)
        details.append(packed)
    return rpc_status.to_status(
        status_pb2.Status(
            code=code_pb2.UNAVAILABLE, message="the database could not do it", details=details
        )
    )


class FlakyCoupons(coupon_service_pb2_grpc.CouponServiceServicer):
    """Answers each call with the next step of `plan` ("unavailable", "aborted", "stall"), then
    OK; records every attempt's requestId and gRPC's count of earlier attempts."""

    def __init__(self) -> None:
        self.plan: list[str] = []
        self.request_ids: list[str] = []
        self.previous_attempts: list[str | None] = []

    async def _step(self, request_id: str, context: grpc.aio.ServicerContext) -> None:
        self.request_ids.append(request_id)
        metadata = dict(context.invocation_metadata() or ())
        self.previous_attempts.append(metadata.get("grpc-previous-rpc-attempts"))
        step = self.plan.pop(0) if self.plan else "ok"
        if step == "unavailable":
            await context.abort_with_status(database_unavailable())
        if step == "aborted":
            await context.abort(grpc.StatusCode.ABORTED, "not this time")
        if step == "stall":
            await asyncio.sleep(60)  # Cancelled when the caller's deadline passes.

    async def IssueMultiple(self, request, context):
        await self._step(request.requestId, context)
        return coupon_service_pb2.IssueMultipleResponse(successCount=1, totalCount=1)

    async def BulkIssue(self, request, context):
        await self._step(request.requestId, context)
        return coupon_service_pb2.BulkIssueResponse(totalCount=len(request.seriesIds))


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[FlakyCoupons, str]]:
    servicer = FlakyCoupons()
    server = grpc.aio.server()
    coupon_service_pb2_grpc.add_CouponServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def issue(flavour: str, target: str, **kwargs: object) -> object:
    """One IssueMultiple from a client of `flavour`; the sync one runs in a worker thread."""
    call = {"series_id": 415446, "customer": CUSTOMER}
    options = {k: kwargs.pop(k) for k in ("retry", "timeout") if k in kwargs}
    if flavour == "async":
        async with CouponClient(target, **options) as client:
            return await client.issue_multiple(**call, **kwargs)

    def blocking() -> object:
        with SyncCouponClient(target, **options) as client:
            return client.issue_multiple(**call, **kwargs)

    return await asyncio.to_thread(blocking)


@pytest.mark.parametrize("flavour", ["async", "sync"])
@pytest.mark.parametrize("failure", ["unavailable", "aborted"])
async def test_grpc_resends_a_failed_first_attempt_with_the_same_request_id(
    flaky, flavour, failure
):
    servicer, target = flaky
    servicer.plan = [failure]

    result = await issue(flavour, target, retry=FAST)

    assert result.response.successCount == 1
    assert servicer.request_ids == [result.request_id] * 2
    # gRPC's own retry policy resent it, within one call: it counts the earlier attempt.
    assert servicer.previous_attempts == [None, "1"]


@pytest.mark.parametrize("flavour", ["async", "sync"])
async def test_bulk_issue_is_resent_with_the_callers_request_id(flaky, flavour):
    servicer, target = flaky
    servicer.plan = ["unavailable", "unavailable"]

    if flavour == "async":
        async with CouponClient(target, retry=FAST) as client:
            await client.bulk_issue([1, 2], CUSTOMER, request_id="bulk-1")
    else:
        with SyncCouponClient(target, retry=FAST) as client:
            await asyncio.to_thread(client.bulk_issue, [1, 2], CUSTOMER, request_id="bulk-1")

    assert servicer.request_ids == ["bulk-1"] * 3


@pytest.mark.parametrize("flavour", ["async", "sync"])
async def test_retries_stop_at_max_attempts_with_the_typed_error(flaky, flavour):
    servicer, target = flaky
    servicer.plan = ["unavailable"] * 10
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)

    with pytest.raises(Unavailable) as caught:
        await issue(flavour, target, retry=policy)

    assert len(servicer.request_ids) == 3 and len(set(servicer.request_ids)) == 1
    error = caught.value
    assert (error.code, error.reason, error.retry_after) == (678, "DATABASE_UNAVAILABLE", 1.5)
    assert error.status_code is grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize("flavour", ["async", "sync"])
async def test_no_retry_sends_once(flaky, flavour):
    servicer, target = flaky
    servicer.plan = ["aborted"]

    with pytest.raises(IssueFailed) as caught:
        await issue(flavour, target, retry=NO_RETRY)

    assert (caught.value.message, len(servicer.request_ids)) == ("not this time", 1)


@pytest.mark.parametrize("flavour", ["async", "sync"])
async def test_a_stalled_attempt_is_resent_with_a_deadline_of_its_own(flaky, flavour):
    servicer, target = flaky
    servicer.plan = ["stall"]

    result = await issue(flavour, target, retry=FAST, timeout=0.3)

    assert servicer.request_ids == [result.request_id] * 2
    # The client's loop resent it as a new call: gRPC counts no earlier attempt.
    assert servicer.previous_attempts == [None, None]


@pytest.mark.parametrize("flavour", ["async", "sync"])
async def test_without_retries_a_stalled_call_raises_deadline_exceeded(flaky, flavour):
    servicer, target = flaky
    servicer.plan = ["stall"]

    with pytest.raises(DeadlineExceeded) as caught:
        await issue(flavour, target, retry=NO_RETRY, timeout=0.2)

    assert caught.value.status_code is grpc.StatusCode.DEADLINE_EXCEEDED
    assert len(servicer.request_ids) == 1


# --- the policy and the loop on their own -------------------------------------------------------


def test_the_service_config_retries_only_what_is_safe_to_resend():
    with SyncCouponClient("127.0.0.1:1") as client:
        options = dict(client._connection.channel_options())
    config = json.loads(options["grpc.service_config"])

    (method_config,) = config["methodConfig"]
    methods = {
        (name["service"].rsplit(".", 1)[1], name["method"]) for name in method_config["name"]
    }
    assert ("SeriesService", "CreateSeries") not in methods
    assert ("CustomerService", "CreateCustomer") not in methods
    assert len(methods) == 14 and ("CouponService", "IssueMultiple") in methods
    assert ("CouponService", "RedeemCoupon") in methods  # Always with a requestId.
    assert method_config["retryPolicy"] == {
        "maxAttempts": 4,
        "initialBackoff": "0.100s",
        "maxBackoff": "2.000s",
        "backoffMultiplier": 2.0,
        "retryableStatusCodes": ["UNAVAILABLE", "ABORTED"],
    }


def test_grpc_is_asked_for_no_more_than_five_attempts_and_no_retry_for_none():
    many = json.loads(RetryPolicy(max_attempts=9).service_config([("s", "m")]))

    assert many["methodConfig"][0]["retryPolicy"]["maxAttempts"] == 5
    assert json.loads(NO_RETRY.service_config([("s", "m")])) == {"methodConfig": []}


def test_retry_policy_refuses_nonsense():
    for wrong in ({"max_attempts": 0}, {"initial_backoff": 0}, {"multiplier": 0.5}):
        with pytest.raises(ValueError):
            RetryPolicy(**wrong)


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap():
    policy = RetryPolicy(initial_backoff=0.1, max_backoff=0.3, multiplier=2.0)

    for _ in range(50):
        assert 0.05 <= policy.backoff(1) <= 0.1
        assert 0.1 <= policy.backoff(2) <= 0.2
        assert 0.15 <= policy.backoff(5) <= 0.3


def failing(*codes: grpc.StatusCode):
    """A stub method failing with `codes`, then answering; it records every attempt."""
    remaining, attempts = list(codes), []

    def attempt(request, *, timeout):
        attempts.append((request, timeout))
        if remaining:
            code = remaining.pop(0)
            raise grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), code.name)
        return "answer"

    return attempt, attempts


async def test_the_async_loop_resends_only_deadline_exceeded():
    method, attempts = failing(grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE)
    sleeps: list[float] = []

    async def answer_later(request, *, timeout):  # noqa: ASYNC109  (a stub method's deadline)
        return method(request, timeout=timeout)

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    with pytest.raises(Unavailable):
        await call_with_retry(answer_later, "req", timeout=3.0, policy=FAST, sleep=sleep)

    assert attempts == [("req", 3.0), ("req", 3.0)] and len(sleeps) == 1


def test_the_sync_loop_gives_up_after_max_attempts():
    method, attempts = failing(*[grpc.StatusCode.DEADLINE_EXCEEDED] * 5)
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.01)

    with pytest.raises(DeadlineExceeded):
        call_with_retry_sync(method, "req", timeout=1.0, policy=policy, sleep=sleeps.append)

    assert len(attempts) == 3 and len(sleeps) == 2
