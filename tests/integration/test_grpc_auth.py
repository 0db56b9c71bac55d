"""Authentication and tenant isolation on a real grpc.aio server, on SQLite and PostgreSQL.

Org A's credentials with org B's ids must behave exactly like ids that exist nowhere.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import grpc
import jwt
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    errors_pb2,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.adapters.jwt_tokens import JwtVerifier
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.credentials import Scope, basic_header
from coupon_service.domain.model import (
    CodeSource,
    Customer,
    CustomerRef,
    IdentifierType,
    SeriesPolicy,
)
from coupon_service.entrypoints.grpc.auth import AuthInterceptor, caller_org
from coupon_service.entrypoints.grpc.server import start_grpc_server
from coupon_service.service.auth import Authenticator, NewKey, create_key, create_org, revoke_key
from coupon_service.service.customers import get_customer, list_customer_coupons
from coupon_service.service.series import create_series, get_series, list_series, upload_codes
from tests.factories import a_customer, unique_codes, unique_mobile
from tests.revocation import seconds_until_refused

HS256_SECRET = "grpc-auth-tests-shared-secret-0123456789"
ISSUER, AUDIENCE = "https://idp.example", "coupon-service"
NO_SUCH_ID = 2**62 + 12345


@dataclasses.dataclass
class Org:
    id: int
    name: str
    manage: NewKey
    issue: NewKey


@dataclasses.dataclass
class Stubs:
    coupons: coupon_service_pb2_grpc.CouponServiceStub
    series: series_service_pb2_grpc.SeriesServiceStub
    customers: customer_service_pb2_grpc.CustomerServiceStub
    channel: grpc.aio.Channel


@dataclasses.dataclass(frozen=True)
class Failure:
    """What a caller can observe of a failed call, ids left out."""

    code: grpc.StatusCode
    message: str
    reason: str
    detail: tuple[int, str] | None
    metadata_keys: tuple[str, ...]


async def _org(uow: SqlUnitOfWork) -> Org:
    name = f"org-{uuid.uuid4().hex[:12]}"
    org_id = await create_org(uow, name)
    manage = await create_key(uow, name, [Scope.MANAGE])
    issue = await create_key(uow, name, [Scope.ISSUE])
    return Org(org_id, name, manage, issue)


@pytest.fixture
async def org_a(uow: SqlUnitOfWork) -> Org:
    return await _org(uow)


@pytest.fixture
async def org_b(uow: SqlUnitOfWork) -> Org:
    return await _org(uow)


async def _serve(
    uow: SqlUnitOfWork, interceptors: list[grpc.aio.ServerInterceptor]
) -> AsyncIterator[Stubs]:
    server = await start_grpc_server(uow, caller_org, "127.0.0.1:0", interceptors=interceptors)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            yield Stubs(
                coupon_service_pb2_grpc.CouponServiceStub(channel),
                series_service_pb2_grpc.SeriesServiceStub(channel),
                customer_service_pb2_grpc.CustomerServiceStub(channel),
                channel,
            )
    finally:
        await server.stop(0)


@pytest.fixture
async def stubs(uow: SqlUnitOfWork) -> AsyncIterator[Stubs]:
    verifier = JwtVerifier(issuer=ISSUER, audience=AUDIENCE, hs256_secret=HS256_SECRET)
    async for opened in _serve(uow, [AuthInterceptor(Authenticator(uow, verifier))]):
        yield opened


def creds(key: NewKey | str) -> list[tuple[str, str]]:
    return [("authorization", key if isinstance(key, str) else key.authorization)]


async def observe(call: Awaitable[Any]) -> Any:
    """The response, or the Failure a caller sees."""
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
        assert status is not None, f"no rich status on {error.code()}: {error.details()}"
        info, detail = error_details_pb2.ErrorInfo(), None
        for packed in status.details:
            if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                packed.Unpack(info)
            elif packed.Is(errors_pb2.CouponErrorDetail.DESCRIPTOR):
                unpacked = errors_pb2.CouponErrorDetail()
                packed.Unpack(unpacked)
                detail = (unpacked.code, unpacked.message)
        assert info.domain == "coupon.v1"
        return Failure(
            error.code(), error.details() or "", info.reason, detail, tuple(sorted(info.metadata))
        )


async def failure(call: Awaitable[Any]) -> Failure:
    observed = await observe(call)
    assert isinstance(observed, Failure), f"expected a failure, got {observed}"
    return observed


# --- who may call -------------------------------------------------------------------------


async def test_a_call_without_credentials_is_unauthenticated(stubs: Stubs) -> None:
    refused = await failure(stubs.series.ListSeries(series_service_pb2.ListSeriesRequest()))
    assert refused.code is grpc.StatusCode.UNAUTHENTICATED
    assert refused.reason == "UNAUTHENTICATED"
    assert refused.detail is None  # No documented code exists for it.


async def test_health_and_reflection_answer_without_credentials(stubs: Stubs) -> None:
    health = health_pb2_grpc.HealthStub(stubs.channel)
    answer = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING

    reflection = reflection_pb2_grpc.ServerReflectionStub(stubs.channel)
    call = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    listed = [
        service.name
        async for response in call
        for service in response.list_services_response.service
    ]
    assert "coupon.v1.SeriesService" in listed and "grpc.health.v1.Health" in listed


async def test_basic_credentials_act_for_their_org(
    stubs: Stubs, uow: SqlUnitOfWork, org_a: Org
) -> None:
    customer = await a_customer(uow, org_a.id)
    request = customer_service_pb2.GetCustomerRequest(customer={"mobile": customer.mobile})
    found = await stubs.customers.GetCustomer(request, metadata=creds(org_a.issue), timeout=5)
    assert found.id == customer.id


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + "!" * 12,
        basic_header("ck_nobody", "secret"),
        "Bearer not-a-token",
        "Bearer " + jwt.encode({"org": "x"}, "k" * 40, algorithm="HS256"),
        "Negotiate abc",
    ],
)
async def test_bad_credentials_are_unauthenticated(stubs: Stubs, header: str) -> None:
    refused = await failure(
        stubs.series.ListSeries(series_service_pb2.ListSeriesRequest(), metadata=creds(header))
    )
    assert (refused.code, refused.reason) == (grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")


async def test_a_wrong_secret_is_unauthenticated(stubs: Stubs, org_a: Org) -> None:
    wrong = basic_header(org_a.manage.key.key_id, org_a.manage.secret[::-1])
    refused = await failure(
        stubs.series.ListSeries(series_service_pb2.ListSeriesRequest(), metadata=creds(wrong))
    )
    assert refused.code is grpc.StatusCode.UNAUTHENTICATED


async def test_two_authorization_headers_are_unauthenticated(stubs: Stubs, org_a: Org) -> None:
    both = creds(org_a.manage) + creds(org_a.issue)
    refused = await failure(
        stubs.series.ListSeries(series_service_pb2.ListSeriesRequest(), metadata=both)
    )
    assert refused.code is grpc.StatusCode.UNAUTHENTICATED


async def test_a_bearer_token_acts_for_the_org_it_names(stubs: Stubs, org_a: Org) -> None:
    token = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "exp": 2**40, "org": org_a.name, "scope": "coupons:issue"},
        HS256_SECRET,
        algorithm="HS256",
    )
    listed = await stubs.series.ListSeries(
        series_service_pb2.ListSeriesRequest(), metadata=creds(f"Bearer {token}"), timeout=5
    )
    assert list(listed.series) == []
    denied = await failure(
        stubs.series.CreateSeries(
            series_service_pb2.CreateSeriesRequest(series={"description": "x"}),
            metadata=creds(f"Bearer {token}"),
        )
    )
    assert denied.code is grpc.StatusCode.PERMISSION_DENIED


async def test_an_issue_key_may_not_create_a_series(
    stubs: Stubs, uow: SqlUnitOfWork, org_a: Org
) -> None:
    request = series_service_pb2.CreateSeriesRequest(series={"description": "not allowed"})
    denied = await failure(stubs.series.CreateSeries(request, metadata=creds(org_a.issue)))
    assert (denied.code, denied.reason) == (grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED")
    assert denied.metadata_keys == ("requiredScope",)
    assert (await list_series(uow, org_a.id, 0, "")).items == []
    created = await stubs.series.CreateSeries(request, metadata=creds(org_a.manage), timeout=5)
    assert created.description == "not allowed"


async def test_a_revoked_key_is_refused_within_a_second(
    stubs: Stubs, uow: SqlUnitOfWork, org_a: Org
) -> None:
    request = series_service_pb2.ListSeriesRequest()
    await stubs.series.ListSeries(request, metadata=creds(org_a.issue), timeout=5)
    await revoke_key(uow, org_a.issue.key.key_id)

    async def refused() -> bool:
        outcome = await observe(stubs.series.ListSeries(request, metadata=creds(org_a.issue)))
        return isinstance(outcome, Failure) and outcome.code is grpc.StatusCode.UNAUTHENTICATED

    await seconds_until_refused(refused)
    assert await refused()  # And it stays refused.
    await stubs.series.ListSeries(request, metadata=creds(org_a.manage), timeout=5)


async def test_concurrent_calls_each_act_for_their_own_caller(
    stubs: Stubs, uow: SqlUnitOfWork, org_a: Org, org_b: Org
) -> None:
    mine = {
        org.name: await a_customer(uow, org.id, external_id=uuid.uuid4().hex)
        for org in (org_a, org_b)
    }

    async def lookup(org: Org) -> int:
        ref = {"externalId": mine[org.name].external_id}
        request = customer_service_pb2.GetCustomerRequest(customer=ref)
        found = await stubs.customers.GetCustomer(request, metadata=creds(org.issue), timeout=10)
        return int(found.id)

    callers = [org_a, org_b] * 10
    found = await asyncio.gather(*(lookup(org) for org in callers))
    assert found == [mine[org.name].id for org in callers]


async def test_without_the_interceptor_no_call_gets_an_org(uow: SqlUnitOfWork, org_a: Org) -> None:
    async for bare in _serve(uow, []):
        refused = await observe(
            bare.series.ListSeries(
                series_service_pb2.ListSeriesRequest(), metadata=creds(org_a.manage)
            )
        )
        assert isinstance(refused, Failure) and refused.code is grpc.StatusCode.UNAUTHENTICATED


# --- tenant isolation ---------------------------------------------------------------------


@dataclasses.dataclass
class OrgBData:
    generated: int
    pool: int
    customer: Customer


def _far_id() -> int:
    """An id far above any a test org draws for itself, so org A cannot hold it too."""
    return 10**12 + uuid.uuid4().int % 10**11


@pytest.fixture
async def b_data(uow: SqlUnitOfWork, org_b: Org) -> OrgBData:
    generated = await create_series(uow, org_b.id, _far_id(), SeriesPolicy(description="b"))
    pool = await create_series(
        uow, org_b.id, _far_id(), SeriesPolicy(code_source=CodeSource.UPLOADED)
    )
    await upload_codes(uow, org_b.id, pool.id, unique_codes(5))
    email = f"{uuid.uuid4().hex[:8]}@b.example"
    customer = await a_customer(uow, org_b.id, id=_far_id(), email=email)
    return OrgBData(generated.id, pool.id, customer)


def _scrubbed(observed: Any) -> Any:
    """A BulkIssue answer without the ids it echoes back."""
    if isinstance(observed, coupon_service_pb2.BulkIssueResponse):
        for entry in observed.response:
            entry.entityId = 0
            for error in entry.errors:  # Every error entry names the series it is about.
                error.seriesId = 0
    return observed


async def test_org_b_ids_look_nonexistent_to_org_a(
    stubs: Stubs, uow: SqlUnitOfWork, org_a: Org, org_b: Org, b_data: OrgBData
) -> None:
    a_own = await a_customer(uow, org_a.id)
    b_customer = b_data.customer
    ghost_mobile = unique_mobile()
    cases: list[tuple[str, Any, Any, tuple[Any, Any]]] = [
        (
            "GetSeries",
            stubs.series.GetSeries,
            lambda sid: series_service_pb2.GetSeriesRequest(series_id=sid),
            (b_data.generated, NO_SUCH_ID),
        ),
        (
            "UploadCodes",
            stubs.series.UploadCodes,
            lambda sid: series_service_pb2.UploadCodesRequest(series_id=sid, codes=unique_codes(2)),
            (b_data.pool, NO_SUCH_ID),
        ),
        (
            "IssueMultiple with B's series",
            stubs.coupons.IssueMultiple,
            lambda sid: coupon_service_pb2.IssueMultipleRequest(
                seriesId=sid, count=1, customer={"mobile": a_own.mobile}
            ),
            (b_data.generated, NO_SUCH_ID),
        ),
        (
            "IssueMultiple to B's customer",
            stubs.coupons.IssueMultiple,
            lambda mobile: coupon_service_pb2.IssueMultipleRequest(
                seriesId=b_data.generated, count=1, customer={"mobile": mobile}
            ),
            (b_customer.mobile, ghost_mobile),
        ),
        (
            "BulkIssue with B's series",
            stubs.coupons.BulkIssue,
            lambda sid: coupon_service_pb2.BulkIssueRequest(
                seriesIds=[sid], customer={"mobile": a_own.mobile}
            ),
            (b_data.pool, NO_SUCH_ID),
        ),
        (
            "BulkIssue to B's customer",
            stubs.coupons.BulkIssue,
            lambda cid: coupon_service_pb2.BulkIssueRequest(
                seriesIds=[b_data.pool], customer={"id": cid}
            ),
            (b_customer.id, NO_SUCH_ID),
        ),
        (
            "GetCustomer by id",
            stubs.customers.GetCustomer,
            lambda cid: customer_service_pb2.GetCustomerRequest(customer={"id": cid}),
            (b_customer.id, NO_SUCH_ID),
        ),
        (
            "GetCustomer by email",
            stubs.customers.GetCustomer,
            lambda email: customer_service_pb2.GetCustomerRequest(customer={"email": email}),
            (b_customer.email, "nobody@nowhere.example"),
        ),
        (
            "UpdateCustomer",
            stubs.customers.UpdateCustomer,
            lambda cid: customer_service_pb2.UpdateCustomerRequest(
                customer_id=cid, first_name="Mallory"
            ),
            (b_customer.id, NO_SUCH_ID),
        ),
        (
            "ListCustomerCoupons",
            stubs.customers.ListCustomerCoupons,
            lambda mobile: customer_service_pb2.ListCustomerCouponsRequest(
                customer={"mobile": mobile}
            ),
            (b_customer.mobile, ghost_mobile),
        ),
    ]
    headers = creds(org_a.manage)
    for name, method, request_for, (b_value, no_such) in cases:
        with_b_id = await observe(method(request_for(b_value), metadata=headers, timeout=10))
        with_nothing = await observe(method(request_for(no_such), metadata=headers, timeout=10))
        assert _scrubbed(with_b_id) == _scrubbed(with_nothing), name
        if isinstance(with_b_id, Failure):
            assert with_b_id.code is grpc.StatusCode.NOT_FOUND, name

    listed = await stubs.series.ListSeries(
        series_service_pb2.ListSeriesRequest(), metadata=headers, timeout=5
    )
    assert list(listed.series) == []
    await _assert_unchanged(uow, org_b, b_data)


async def _assert_unchanged(uow: SqlUnitOfWork, org_b: Org, b_data: OrgBData) -> None:
    for series_id in (b_data.generated, b_data.pool):
        series = await get_series(uow, org_b.id, series_id)
        assert series.num_issued == 0
    assert (await get_series(uow, org_b.id, b_data.pool)).num_uploaded == 5
    ref = CustomerRef(IdentifierType.ID, str(b_data.customer.id))
    assert await get_customer(uow, org_b.id, ref) == b_data.customer
    assert (await list_customer_coupons(uow, org_b.id, ref, None, 0, "")).items == []


async def test_an_id_org_b_uses_is_as_free_in_org_a_as_an_unused_one(
    stubs: Stubs, uow: SqlUnitOfWork, org_a: Org, org_b: Org, b_data: OrgBData
) -> None:
    headers = creds(org_a.manage)
    for series_id in (b_data.generated, _far_id()):
        request = series_service_pb2.CreateSeriesRequest(series={"id": series_id})
        created = await stubs.series.CreateSeries(request, metadata=headers, timeout=10)
        assert created.id == series_id
    b_customer = b_data.customer
    for customer_id in (b_customer.id, _far_id()):
        fields = {"id": customer_id, "mobile": b_customer.mobile, "email": b_customer.email}
        if customer_id != b_customer.id:
            fields = {"id": customer_id, "mobile": unique_mobile()}
        request = customer_service_pb2.CreateCustomerRequest(customer=fields)
        created = await stubs.customers.CreateCustomer(request, metadata=headers, timeout=10)
        assert created.id == customer_id
    await _assert_unchanged(uow, org_b, b_data)
