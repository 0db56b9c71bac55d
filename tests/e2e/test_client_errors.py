"""The typed exception for every documented code: triggered for real against the demo data
where it can be, and from a constructed status where the service cannot be made to send it
(679 and 678/5006 follow limits the planner always leaves room under)."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from coupon_client import (
    AccessDenied,
    AlreadyExists,
    AlreadyHeld,
    CouponClient,
    CouponError,
    CouponExpired,
    CouponNoLongerValid,
    CouponNotFound,
    CouponRevoked,
    CouponUsedUp,
    CustomerLimitReached,
    CustomerNotFound,
    CustomerRedemptionLimitReached,
    DeadlineExceeded,
    EventCursorExpired,
    EventCursorInvalid,
    FieldViolation,
    InvalidRequest,
    IssueFailed,
    LimitReached,
    NotFound,
    NotYetRedeemable,
    OnlyOnePerCustomer,
    PermissionDenied,
    PoolExhausted,
    RedemptionNotFound,
    RequestIdReused,
    RetryPolicy,
    SeriesLimitReached,
    SeriesNotFound,
    SeriesRedemptionLimitReached,
    SyncCouponClient,
    Unauthenticated,
    Unavailable,
    WrongCustomer,
    basic,
    customer_ref,
    from_rpc_error,
)
from coupon_client._translate import error_class
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from coupon.v1 import common_pb2, errors_pb2
from coupon_service.app import RunningService
from coupon_service.domain.credentials import Scope
from coupon_service.service.auth import create_key
from tests.e2e.conftest import DEMO_AUTHORIZATION
from tests.e2e.helpers.clients import FLAVOURS, Threaded

DEMO = customer_ref(mobile="11223569865")
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
_S = grpc.StatusCode


def load_customer(number: int) -> common_pb2.CustomerRef:
    """One of the demo's hundred load-test customers."""
    return customer_ref(mobile=f"9199000{number:05d}")


@pytest.fixture(params=FLAVOURS)
def connect(service: RunningService, request: pytest.FixtureRequest):
    """Opens clients of this test's flavour to the service; closes them after the test."""
    opened: list[Any] = []

    def opened_client(authorization: str = DEMO_AUTHORIZATION, **kwargs: Any) -> Any:
        target = f"127.0.0.1:{service.grpc_port}"
        kwargs = {"authorization": authorization, "retry": FAST_RETRY, **kwargs}
        if request.param == "async":
            client: Any = CouponClient(target, **kwargs)
        else:
            client = Threaded(SyncCouponClient(target, **kwargs))
        opened.append(client)
        return client

    return opened_client


@pytest.fixture
async def client(connect) -> AsyncIterator[Any]:
    opened = connect()
    yield opened
    await opened.close()


def remove(database: pathlib.Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        pathlib.Path(f"{database}{suffix}").unlink(missing_ok=True)


async def raised(call: Any) -> CouponError:
    with pytest.raises(CouponError) as caught:
        await call
    return caught.value


def assert_error(error: CouponError, cls: type, status: grpc.StatusCode, code: int, reason: str):
    assert type(error) is cls, repr(error)
    assert (error.status_code, error.code, error.reason) == (status, code, reason)
    assert error.domain == "coupon.v1"
    if code:
        assert error.metadata["code"] == str(code)


# --- triggered for real -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("series_id", "count", "code", "reason", "field"),
    [
        pytest.param([], 2, 756, "MANDATORY_FIELD", "seriesId", id="756-series"),
        pytest.param(415446, 0, 756, "MANDATORY_FIELD", "count", id="756-count"),
        pytest.param(415446, 501, 677, "INVALID_COUNT", "count", id="677"),
    ],
)
async def test_invalid_requests_name_their_field(client, series_id, count, code, reason, field):
    error = await raised(client.issue_multiple(series_id, DEMO, count=count))

    assert_error(error, InvalidRequest, _S.INVALID_ARGUMENT, code, reason)
    assert error.field_violations == (FieldViolation(field, error.message),)
    assert error.fields == [field]


async def test_629_invalid_input_names_the_metadata_field(client):
    error = await raised(client.issue_multiple(415446, DEMO, metadata={"sourceType": "x" * 51}))

    assert_error(error, InvalidRequest, _S.INVALID_ARGUMENT, 629, "INVALID_INPUT")
    assert error.fields == ["metadata.sourceType"]


async def test_629_request_id_reused(client):
    await client.issue_multiple(415446, DEMO, request_id="once")
    error = await raised(client.issue_multiple(535521, DEMO, request_id="once"))

    assert_error(error, RequestIdReused, _S.FAILED_PRECONDITION, 629, "INVALID_INPUT")
    assert isinstance(error, InvalidRequest)


async def test_629_already_exists(client):
    error = await raised(client.create_series(id=415446, description="taken"))

    assert_error(error, AlreadyExists, _S.ALREADY_EXISTS, 629, "INVALID_INPUT")


async def test_701_customer_not_found(client):
    error = await raised(client.issue_multiple(415446, customer_ref(email="nobody@example.com")))

    assert_error(error, CustomerNotFound, _S.NOT_FOUND, 701, "CUSTOMER_NOT_FOUND")
    assert isinstance(error, NotFound)
    assert type(await raised(client.get_customer(customer_ref(id=1)))) is CustomerNotFound


async def test_707_series_not_found(client):
    error = await raised(client.issue_multiple(1, DEMO))

    assert_error(error, SeriesNotFound, _S.NOT_FOUND, 707, "SERIES_INVALID")
    assert error.metadata == {"code": "707", "seriesId": "1"}
    assert type(await raised(client.get_series(424242))) is SeriesNotFound


async def test_713_coupon_expired(client):
    error = await raised(client.issue_multiple(700003, DEMO))

    assert_error(error, CouponExpired, _S.FAILED_PRECONDITION, 713, "EXPIRED")


async def test_709_already_held(client):
    first = await client.issue_multiple(96004, DEMO, count=2)
    error = await raised(client.issue_multiple(96004, DEMO))

    assert [f.error.code for f in first.failures] == [5004]
    assert type(first.failures[0].error) is OnlyOnePerCustomer
    assert_error(error, AlreadyHeld, _S.ALREADY_EXISTS, 709, "ALREADY_HAS_COUPON")


async def test_621_and_5002_customer_limit(client):
    customer = load_customer(2)
    partial = await client.issue_multiple(700002, customer, count=10)
    error = await raised(client.issue_multiple(700002, customer))

    assert len(partial.coupons) == 5
    (failure,) = partial.failures
    assert (failure.series_id, type(failure.error), failure.error.code) == (
        700002,
        CustomerLimitReached,
        5002,
    )
    assert failure.error.status_code is _S.RESOURCE_EXHAUSTED
    assert_error(
        error, CustomerLimitReached, _S.RESOURCE_EXHAUSTED, 621, "MAX_COUPONS_PER_CUSTOMER_REACHED"
    )
    assert isinstance(error, LimitReached)


async def test_626_and_5001_series_limit(client):
    # maxCreate 50 and 5 per customer: nine customers leave room for 5 more, then 0.
    for number in range(10, 19):
        await client.issue_multiple(700002, load_customer(number), count=5)
    await client.issue_multiple(700002, load_customer(19), count=3)
    partial = await client.issue_multiple(700002, load_customer(20), count=5)
    error = await raised(client.issue_multiple(700002, load_customer(21)))

    assert len(partial.coupons) == 2
    assert [(type(f.error), f.error.code) for f in partial.failures] == [(SeriesLimitReached, 5001)]
    assert_error(error, SeriesLimitReached, _S.RESOURCE_EXHAUSTED, 626, "SERIES_LIMIT_REACHED")


async def test_702_and_5005_pool_exhausted(client):
    partial = await client.issue_multiple(700001, DEMO, count=101)
    error = await raised(client.issue_multiple(700001, DEMO))

    assert len(partial.coupons) == 100
    assert [(type(f.error), f.error.code) for f in partial.failures] == [(PoolExhausted, 5005)]
    assert_error(error, PoolExhausted, _S.RESOURCE_EXHAUSTED, 702, "SERIES_EXHAUSTED")


async def test_unauthenticated_carries_its_reason_and_no_code(connect):
    client = connect(basic("demo", "not-the-secret"))
    try:
        error = await raised(client.get_series(415446))
    finally:
        await client.close()

    assert_error(error, Unauthenticated, _S.UNAUTHENTICATED, 0, "UNAUTHENTICATED")
    assert isinstance(error, AccessDenied)


async def test_permission_denied_for_a_key_of_the_issue_scope(service, connect):
    key = await create_key(service.uow, "demo", [Scope.ISSUE])
    client = connect(key.authorization)
    try:
        issued = await client.issue_multiple(415446, DEMO)
        error = await raised(client.create_series(description="not mine to make"))
    finally:
        await client.close()

    assert issued.ok
    assert_error(error, PermissionDenied, _S.PERMISSION_DENIED, 0, "PERMISSION_DENIED")
    assert error.metadata == {"requiredScope": "manage"}


async def test_678_unavailable_when_the_database_is_gone(service: RunningService, client):
    database = pathlib.Path(service.settings.db_url.split("///", 1)[1])
    await client.get_series(415446)  # Opened and served before the file goes.
    await asyncio.to_thread(remove, database)

    error = await raised(client.issue_multiple(415446, DEMO))

    assert type(error) is Unavailable and error.status_code is _S.UNAVAILABLE
    assert (error.code, error.reason, error.retry_after) == (678, "DATABASE_UNAVAILABLE", 1.0)


# --- the mapping, for every documented code -----------------------------------------------------

DOCUMENTED = {
    (756, _S.INVALID_ARGUMENT): InvalidRequest,
    (677, _S.INVALID_ARGUMENT): InvalidRequest,
    (629, _S.INVALID_ARGUMENT): InvalidRequest,
    (629, _S.ALREADY_EXISTS): AlreadyExists,
    (629, _S.FAILED_PRECONDITION): RequestIdReused,
    (701, _S.NOT_FOUND): CustomerNotFound,
    (707, _S.NOT_FOUND): SeriesNotFound,
    (713, _S.FAILED_PRECONDITION): CouponExpired,
    (709, _S.ALREADY_EXISTS): AlreadyHeld,
    (679, _S.FAILED_PRECONDITION): OnlyOnePerCustomer,
    (626, _S.RESOURCE_EXHAUSTED): SeriesLimitReached,
    (621, _S.RESOURCE_EXHAUSTED): CustomerLimitReached,
    (702, _S.RESOURCE_EXHAUSTED): PoolExhausted,
    (678, _S.ABORTED): IssueFailed,
    (678, _S.UNAVAILABLE): Unavailable,
    (5001, None): SeriesLimitReached,
    (5002, None): CustomerLimitReached,
    (5004, None): OnlyOnePerCustomer,
    (5005, None): PoolExhausted,
    (5006, None): IssueFailed,
    (901, _S.NOT_FOUND): CouponNotFound,
    (902, _S.FAILED_PRECONDITION): WrongCustomer,
    (903, _S.FAILED_PRECONDITION): NotYetRedeemable,
    (904, _S.FAILED_PRECONDITION): CouponNoLongerValid,
    (905, _S.FAILED_PRECONDITION): CouponRevoked,
    (906, _S.RESOURCE_EXHAUSTED): CouponUsedUp,
    (907, _S.RESOURCE_EXHAUSTED): CustomerRedemptionLimitReached,
    (908, _S.RESOURCE_EXHAUSTED): SeriesRedemptionLimitReached,
    (909, _S.NOT_FOUND): RedemptionNotFound,
    (910, _S.FAILED_PRECONDITION): EventCursorExpired,
    (911, _S.INVALID_ARGUMENT): EventCursorInvalid,
}


def test_every_documented_code_has_a_class():
    documented = {code for code, _ in DOCUMENTED}

    assert documented == set(errors_pb2.ErrorCode.values()) - {0}
    for (code, status), cls in DOCUMENTED.items():
        assert error_class(code, status) is cls, (code, status)
        assert code in cls.codes and (status is None or cls.grpc_status is status)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (_S.INVALID_ARGUMENT, InvalidRequest),
        (_S.NOT_FOUND, NotFound),
        (_S.ALREADY_EXISTS, AlreadyExists),
        (_S.ABORTED, IssueFailed),
        (_S.UNAUTHENTICATED, Unauthenticated),
        (_S.PERMISSION_DENIED, PermissionDenied),
        (_S.UNAVAILABLE, Unavailable),
        (_S.DEADLINE_EXCEEDED, DeadlineExceeded),
        (_S.FAILED_PRECONDITION, CouponError),
        (_S.RESOURCE_EXHAUSTED, CouponError),
        (_S.INTERNAL, CouponError),
    ],
)
def test_an_unknown_code_falls_back_to_the_class_of_its_status(status, cls):
    assert error_class(4242, status) is cls
    assert error_class(0, status) is cls


def rpc_error(
    status: grpc.StatusCode, message: str, *details: Any, status_line: str | None = None
) -> grpc.aio.AioRpcError:
    """A failed call as the client sees it, carrying `details` in a google.rpc.Status."""
    packed = []
    for detail in details:
        any_detail = any_pb2.Any()
        any_detail.Pack(detail)
        packed.append(any_detail)
    rich = status_pb2.Status(code=status.value[0], message=message, details=packed)
    trailers = grpc.aio.Metadata(("grpc-status-details-bin", rich.SerializeToString()))
    line = message if status_line is None else status_line
    return grpc.aio.AioRpcError(status, grpc.aio.Metadata(), trailers, line)


@pytest.mark.parametrize(
    ("code", "status", "cls", "reason"),
    [
        (679, _S.FAILED_PRECONDITION, OnlyOnePerCustomer, "ONLY_ONE_PER_CUSTOMER"),
        (678, _S.ABORTED, IssueFailed, "ISSUE_FAILED"),
    ],
)
def test_codes_the_demo_cannot_trigger_map_from_their_status(code, status, cls, reason):
    error = from_rpc_error(
        rpc_error(
            status,
            "none issued",
            error_details_pb2.ErrorInfo(
                reason=reason, domain="coupon.v1", metadata={"code": str(code)}
            ),
            errors_pb2.CouponErrorDetail(code=code, message="none issued"),
        )
    )

    assert_error(error, cls, status, code, reason)
    assert error.message == "none issued" and str(error) == f"{status.name} {code}: none issued"


def test_a_plain_status_gives_the_class_of_its_status_without_a_code():
    error = from_rpc_error(
        grpc.aio.AioRpcError(_S.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "gone")
    )

    assert type(error) is Unavailable
    assert (error.code, error.message, error.reason, error.retry_after) == (0, "gone", "", None)
    assert (error.metadata, error.field_violations) == ({}, ())


def test_details_that_contradict_the_status_line_are_ignored():
    error = rpc_error(
        _S.NOT_FOUND,
        "one thing",
        errors_pb2.CouponErrorDetail(code=707),
        status_line="another thing",
    )

    translated = from_rpc_error(error)

    assert (type(translated), translated.code, translated.message) == (NotFound, 0, "another thing")


def test_the_error_info_code_alone_finds_the_class():
    # ErrorInfo's metadata carries the code even where no CouponErrorDetail came along.
    error = from_rpc_error(
        rpc_error(_S.NOT_FOUND, "gone", error_details_pb2.ErrorInfo(metadata={"code": "701"}))
    )

    assert (type(error), error.code) == (CustomerNotFound, 701)
