"""Bad input of odd shapes over a real channel gets a clear error naming its code, and text
PostgreSQL cannot store never crashes a call."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable

import grpc
import pytest

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.adapters.database import create_engine
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.app import start
from coupon_service.config import Settings
from coupon_service.domain.credentials import Scope
from coupon_service.service.auth import create_key
from coupon_service.service.orgs import create_org
from tests.e2e.conftest import WithAuthorization
from tests.e2e.helpers.demo import DEMO_MOBILE
from tests.e2e.helpers.grpc_calls import issue, rich_failure

# --- bad input of odd shapes --------------------------------------------------------------------

INT64_MAX = 2**63 - 1
ODD_ISSUES = [
    pytest.param(issue(415446, 2**31 - 1, mobile=DEMO_MOBILE), 677, id="count-int32-max"),
    pytest.param(issue(415446, -1, mobile=DEMO_MOBILE), 756, id="count-negative"),
    pytest.param(issue(415446, -(2**31), mobile=DEMO_MOBILE), 756, id="count-int32-min"),
    pytest.param(issue(-1, 1, mobile=DEMO_MOBILE), 756, id="series-negative"),
    pytest.param(issue(-(2**63), 1, mobile=DEMO_MOBILE), 756, id="series-int64-min"),
    pytest.param(issue(INT64_MAX, 1, mobile=DEMO_MOBILE), 707, id="series-int64-max"),
    pytest.param(issue([415446, -1], 1, mobile=DEMO_MOBILE), 756, id="series-list-negative"),
    pytest.param(issue([0], 1, mobile=DEMO_MOBILE), 756, id="series-list-zero"),
    pytest.param(issue(list(range(1, 102)), 1, mobile=DEMO_MOBILE), 629, id="101-series"),
    pytest.param(
        issue([415446, INT64_MAX], 1, mobile=DEMO_MOBILE), 707, id="series-list-int64-max"
    ),
    pytest.param(issue(415446, 1), 756, id="customer-empty"),
    pytest.param(
        coupon_service_pb2.IssueMultipleRequest(seriesId=415446), 756, id="customer-missing"
    ),
    pytest.param(issue(415446, 1, mobile=""), 756, id="mobile-empty-string"),
    pytest.param(issue(415446, 1, mobile="   "), 756, id="mobile-blank"),
    pytest.param(issue(415446, 1, id=0), 701, id="customer-id-0"),
    pytest.param(issue(415446, 1, id=-1), 701, id="customer-id-negative"),
    pytest.param(issue(415446, 1, id=INT64_MAX), 701, id="customer-id-int64-max"),
    pytest.param(issue(415446, 1, mobile="9" * 10_000), 701, id="mobile-10k"),
    pytest.param(issue(415446, 1, email="ünïcødé@exämple.com"), 701, id="email-unicode"),
    pytest.param(issue(415446, 1, externalId="x\x00y"), 629, id="external-id-nul"),
    pytest.param(
        coupon_service_pb2.IssueMultipleRequest(
            seriesId=415446, customer={"mobile": DEMO_MOBILE}, requestId="r" * 129
        ),
        629,
        id="request-id-129",
    ),
    pytest.param(
        coupon_service_pb2.IssueMultipleRequest(
            seriesId=415446, customer={"mobile": DEMO_MOBILE}, metadata={"notes": "n" * 100_000}
        ),
        629,
        id="notes-100k",
    ),
]
EXPECTED_STATUS = {
    629: grpc.StatusCode.INVALID_ARGUMENT,
    677: grpc.StatusCode.INVALID_ARGUMENT,
    756: grpc.StatusCode.INVALID_ARGUMENT,
    701: grpc.StatusCode.NOT_FOUND,
    707: grpc.StatusCode.NOT_FOUND,
}


@pytest.mark.parametrize(("request_message", "code"), ODD_ISSUES)
async def test_odd_issue_request_gets_a_clear_error(channel, request_message, code):
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)

    failure = await rich_failure(stub.IssueMultiple(request_message, timeout=10))

    assert failure.status is EXPECTED_STATUS[code]
    assert failure.detail is not None and failure.detail.code == code
    assert failure.info.metadata["code"] == str(code)


async def test_request_id_of_128_characters_is_accepted(channel):
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
    request = issue(415446, 1, mobile=DEMO_MOBILE)
    request.requestId = "r" * 128

    response = await stub.IssueMultiple(request, timeout=10)

    assert response.successCount == 1


@pytest.mark.parametrize(
    ("request_message", "code"),
    [
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(customer={"mobile": DEMO_MOBILE}), 756, id="none"
        ),
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(
                seriesIds=list(range(1, 102)), customer={"mobile": DEMO_MOBILE}
            ),
            629,
            id="101-series",
        ),
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(seriesIds=[-1], customer={"mobile": DEMO_MOBILE}),
            756,
            id="negative-series",
        ),
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(seriesIds=[415446]), 756, id="no-customer"
        ),
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(seriesIds=[415446], customer={"id": 0}),
            701,
            id="customer-id-0",
        ),
    ],
)
async def test_odd_bulk_issue_request_gets_a_clear_error(channel, request_message, code):
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)

    failure = await rich_failure(stub.BulkIssue(request_message, timeout=10))

    assert failure.status is EXPECTED_STATUS[code]
    assert failure.detail is not None and failure.detail.code == code


@pytest.mark.parametrize(
    ("call", "status"),
    [
        pytest.param(
            lambda s, c: s.GetSeries(series_service_pb2.GetSeriesRequest(series_id=-1)),
            grpc.StatusCode.NOT_FOUND,
            id="get-series-negative",
        ),
        pytest.param(
            lambda s, c: s.ListSeries(series_service_pb2.ListSeriesRequest(page_size=2**31 - 1)),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="list-series-huge-page",
        ),
        pytest.param(
            lambda s, c: s.ListSeries(
                series_service_pb2.ListSeriesRequest(page_token="\u00ff" * 9)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="list-series-unicode-token",
        ),
        pytest.param(
            lambda s, c: c.GetCustomer(
                customer_service_pb2.GetCustomerRequest(customer={"email": ""})
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="get-customer-empty-email",
        ),
        pytest.param(
            lambda s, c: c.ListCustomerCoupons(
                customer_service_pb2.ListCustomerCouponsRequest(
                    customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE), page_token="%%%"
                )
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="list-coupons-bad-token",
        ),
        pytest.param(
            lambda s, c: c.CreateCustomer(customer_service_pb2.CreateCustomerRequest()),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="create-empty-customer",
        ),
        pytest.param(
            lambda s, c: s.CreateSeries(
                series_service_pb2.CreateSeriesRequest(
                    series=series_service_pb2.Series(random_code_length=-1)
                )
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="create-series-negative-length",
        ),
    ],
)
async def test_odd_management_request_gets_a_clear_error(channel, call, status):
    series = series_service_pb2_grpc.SeriesServiceStub(channel)
    customers = customer_service_pb2_grpc.CustomerServiceStub(channel)

    failure = await rich_failure(call(series, customers))

    assert failure.status is status
    assert failure.detail is not None and failure.detail.code in (629, 701, 707, 756)


# --- text PostgreSQL cannot store -------------------------------------------------------------


async def _new_org_and_key(db_url: str) -> str:
    """A fresh organisation with a manage key in the database; the key's authorization value."""
    engine = create_engine(db_url)
    try:
        uow = SqlUnitOfWork(engine)
        name = f"e2e-{uuid.uuid4().hex[:12]}"
        await create_org(uow, name)
        return (await create_key(uow, name, [Scope.MANAGE])).authorization
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_channel(postgres_url: str) -> AsyncIterator[grpc.aio.Channel]:
    """A real server on the session's PostgreSQL database, acting for a fresh organisation."""
    authorization = await _new_org_and_key(postgres_url)
    settings = Settings(db_url=postgres_url, grpc_port=0, http_port=0, metrics_port=0)
    running = await start(settings)
    try:
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{running.grpc_port}", interceptors=[WithAuthorization(authorization)]
        ) as opened:
            yield opened
    finally:
        await running.stop(0)


async def _status_of(call: Awaitable[object]) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.postgres
async def test_nul_characters_get_a_clear_error_on_postgresql(postgres_channel):
    coupons = coupon_service_pb2_grpc.CouponServiceStub(postgres_channel)
    series = series_service_pb2_grpc.SeriesServiceStub(postgres_channel)
    customers = customer_service_pb2_grpc.CustomerServiceStub(postgres_channel)
    customer = await customers.CreateCustomer(
        customer_service_pb2.CreateCustomerRequest(
            customer=customer_service_pb2.Customer(mobile="447700900001")
        )
    )
    created = await series.CreateSeries(
        series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(is_multiple_vouchers_per_user_allowed=True)
        )
    )
    with_nul_notes = issue(created.id, 1, id=customer.id)
    with_nul_notes.metadata.notes = "a\x00b"
    with_nul_request_id = issue(created.id, 1, id=customer.id)
    with_nul_request_id.requestId = "a\x00b"

    statuses = {
        "externalId": await _status_of(
            coupons.IssueMultiple(issue(created.id, 1, externalId="x\x00y"), timeout=10)
        ),
        "metadata.notes": await _status_of(coupons.IssueMultiple(with_nul_notes, timeout=10)),
        "requestId": await _status_of(coupons.IssueMultiple(with_nul_request_id, timeout=10)),
        "firstName": await _status_of(
            customers.CreateCustomer(
                customer_service_pb2.CreateCustomerRequest(
                    customer=customer_service_pb2.Customer(
                        mobile="447700900002", first_name="a\x00b"
                    )
                ),
                timeout=10,
            )
        ),
        "description": await _status_of(
            series.CreateSeries(
                series_service_pb2.CreateSeriesRequest(
                    series=series_service_pb2.Series(description="a\x00b")
                ),
                timeout=10,
            )
        ),
    }

    broken = {field: status for field, status in statuses.items() if status in _CRASHES}
    assert broken == {}


_CRASHES = (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)
