"""Both client flavours against the real server: a typed method for every RPC of coupon.v1,
and partial success as a return value.

Every test taking `client` runs twice: with CouponClient, and with SyncCouponClient called from
a worker thread (the server runs on the test's event loop)."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from coupon_client import (
    AlreadyExists,
    CouponClient,
    CouponExpired,
    IssuanceMetadata,
    IssueResult,
    OnlyOnePerCustomer,
    PoolExhausted,
    RequestIdReused,
    SeriesFailure,
    SeriesNotFound,
    SyncCouponClient,
    _rpcs,
    customer_ref,
)

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    customer_service_pb2,
    series_service_pb2,
)
from coupon_service.app import RunningService
from tests.e2e.helpers.clients import DEMO, FAST_RETRY, FLAVOURS, Threaded, list_coupons
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION, DEMO_CUSTOMER_ID


@pytest.fixture(params=FLAVOURS)
async def client(service: RunningService, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    kwargs: dict[str, Any] = {"authorization": DEMO_AUTHORIZATION, "retry": FAST_RETRY}
    target = f"127.0.0.1:{service.grpc_port}"
    if request.param == "async":
        async with CouponClient(target, **kwargs) as opened:
            yield opened
    else:
        threaded = Threaded(SyncCouponClient(target, **kwargs))
        yield threaded
        await threaded.close()


# --- CouponService ------------------------------------------------------------------------------


async def test_issue_multiple_returns_its_coupons_and_the_whole_response(client):
    metadata = IssuanceMetadata(sourceType="POS", reason="welcome")

    result = await client.issue_multiple(415446, DEMO, count=2, metadata=metadata)

    assert isinstance(result, IssueResult) and result.ok and result.failures == ()
    assert all(len(c.code) == 10 and c.code.isdigit() for c in result.coupons)
    response = result.response
    assert (response.totalCount, response.successCount, response.failureCount) == (2, 2, 0)
    assert response.couponConfig.description == "IKEA - 500KW Voucher "
    assert response.customer.id == DEMO_CUSTOMER_ID
    stored = await list_coupons(client)
    assert [c.id for c in stored] == [c.couponId for c in result.coupons]
    assert {(c.metadata.sourceType, c.metadata.reason) for c in stored} == {("POS", "welcome")}
    # The client gave the call an idempotency key of its own, and says which.
    assert {c.request_id for c in stored} == {result.request_id}
    assert uuid.UUID(result.request_id).version == 4


async def test_issue_multiple_takes_metadata_as_a_plain_mapping(client):
    await client.issue_multiple(535521, DEMO, metadata={"sourceType": "Journeys", "notes": "n"})

    (stored,) = await list_coupons(client)
    assert (stored.metadata.sourceType, stored.metadata.notes) == ("Journeys", "n")


async def test_issue_multiple_from_several_series(client):
    result = await client.issue_multiple([415446, 535521], DEMO, count=1)

    assert [c.seriesId for c in result.coupons] == [415446, 535521]
    assert [config.id for config in result.response.couponConfigs] == [415446, 535521]


async def test_count_omitted_issues_one(client):
    result = await client.issue_multiple(535521, customer_ref(external_id="3873472"))

    assert (result.response.totalCount, len(result.coupons)) == (1, 1)


async def test_partial_success_is_returned_with_the_reason_per_series(client):
    result = await client.issue_multiple(18426, DEMO, count=2)

    assert [c.code for c in result.coupons] == ["DECATH10"] and not result.ok
    (failure,) = result.failures
    assert isinstance(failure, SeriesFailure) and failure.series_id == 18426
    assert isinstance(failure.error, OnlyOnePerCustomer)
    assert (failure.error.code, failure.error.reason) == (5004, "PARTIAL_ONLY_ONE_PER_CUSTOMER")
    assert failure.error.message == "Cannot issue more than one GENERIC coupon code."
    assert failure.error.status_code is grpc.StatusCode.FAILED_PRECONDITION
    assert failure.error.metadata == {"code": "5004", "seriesId": "18426"}


async def test_partial_success_of_several_series_names_each_series(client):
    result = await client.issue_multiple([18426, 415446], DEMO, count=2)

    assert [(f.series_id, f.error.code) for f in result.failures] == [(18426, 5004)]
    assert len(result.coupons) == 3


async def test_bulk_issue_returns_coupons_and_failures_per_series(client):
    result = await client.bulk_issue([415446, 18426, 999999, 700003], DEMO)

    assert [c.seriesId for c in result.coupons] == [415446, 18426]
    assert result.coupons[1].code == "DECATH10"
    unknown, expired = result.failures
    assert unknown.series_id == 999999 and isinstance(unknown.error, SeriesNotFound)
    assert (unknown.error.code, unknown.error.message) == (707, "Coupon Series ID is invalid")
    assert expired.series_id == 700003 and isinstance(expired.error, CouponExpired)
    assert (expired.error.code, expired.error.reason) == (713, "EXPIRED")
    assert (result.response.totalCount, result.response.failureCount) == (4, 2)
    stored = await list_coupons(client)
    assert {c.request_id for c in stored} == {result.request_id}


async def test_a_request_id_the_caller_gives_is_kept_across_calls(client):
    first = await client.issue_multiple(415446, DEMO, count=2, request_id="order-1")
    again = await client.issue_multiple(415446, DEMO, count=2, request_id="order-1")

    assert [c.couponId for c in again.coupons] == [c.couponId for c in first.coupons]
    assert {c.request_id for c in await list_coupons(client)} == {"order-1"}
    with pytest.raises(RequestIdReused) as caught:
        await client.issue_multiple(415446, DEMO, count=3, request_id="order-1")
    assert (caught.value.code, caught.value.fields) == (629, [])
    assert caught.value.status_code is grpc.StatusCode.FAILED_PRECONDITION


# --- SeriesService ------------------------------------------------------------------------------


async def test_create_series_from_keyword_fields(client):
    created = await client.create_series(
        description="Summer sale",
        discount_type="PERC",
        discount_value=15,
        code_source="GENERATED",
        random_code_length=8,
        alpha_numeric=True,
        code_prefix="SUM-",
        valid_till=datetime(2030, 1, 1, tzinfo=UTC),
        max_create=10,
        is_multiple_vouchers_per_user_allowed=True,
        custom_property_map={"team": "growth"},
    )

    assert created.id > 0 and created.description == "Summer sale"
    assert created.discount_type == series_service_pb2.DISCOUNT_TYPE_PERC
    assert created.valid_till.ToDatetime(tzinfo=UTC) == datetime(2030, 1, 1, tzinfo=UTC)
    assert (created.max_create, dict(created.custom_property_map)) == (10, {"team": "growth"})
    (coupon,) = (await client.issue_multiple(created.id, DEMO)).coupons
    assert coupon.code.startswith("SUM-") and len(coupon.code) == 12


async def test_create_series_from_a_message_with_fields_over_it(client):
    template = series_service_pb2.Series(description="template", discount_value=5)

    created = await client.create_series(template, id=880001, description="chosen id")

    assert (created.id, created.description, created.discount_value) == (880001, "chosen id", 5)
    with pytest.raises(AlreadyExists) as caught:
        await client.create_series(template, id=880001)
    assert (caught.value.code, caught.value.message) == (
        629,
        "a series with this id already exists",
    )


async def test_create_series_refuses_an_unknown_enum_name_before_calling(client):
    with pytest.raises(ValueError, match="CodeSource"):
        await client.create_series(code_source="BORROWED")


async def test_get_series_returns_its_live_counters(client):
    await client.issue_multiple(700001, DEMO, count=3)

    found = await client.get_series(700001)

    assert found.code_source == series_service_pb2.CODE_SOURCE_UPLOADED
    assert (found.num_issued, found.num_uploaded_non_issued) == (3, 97)


async def test_list_series_pages_by_ascending_id(client):
    first = await client.list_series(page_size=3)
    rest = await client.list_series(page_token=first.next_page_token)

    ids = [s.id for s in first.series] + [s.id for s in rest.series]
    assert len(first.series) == 3 and first.next_page_token
    assert ids == sorted(ids) and 18426 in ids and 700003 in ids
    assert rest.next_page_token == ""


async def test_upload_codes_fills_a_pool_that_then_issues(client):
    pool = await client.create_series(
        description="pool", code_source="UPLOADED", is_multiple_vouchers_per_user_allowed=True
    )

    uploaded = await client.upload_codes(pool.id, ["POOL-1", "POOL-2", "DEMO0001"])
    result = await client.issue_multiple(pool.id, DEMO, count=3)

    assert (uploaded.uploaded_count, list(uploaded.duplicate_codes)) == (2, ["DEMO0001"])
    assert (uploaded.num_uploaded_total, uploaded.num_uploaded_non_issued) == (2, 2)
    assert sorted(c.code for c in result.coupons) == ["POOL-1", "POOL-2"]
    (failure,) = result.failures
    assert isinstance(failure.error, PoolExhausted) and failure.error.code == 5005


# --- CustomerService ----------------------------------------------------------------------------


async def test_create_get_and_update_a_customer(client):
    created = await client.create_customer(
        first_name="Ada", last_name="Lovelace", mobile="447700900001", email="ada@example.com"
    )
    by_email = await client.get_customer(customer_ref(email="ada@example.com"))
    updated = await client.update_customer(created.id, first_name="Augusta", email="")
    by_mobile = await client.get_customer(customer_ref(mobile="447700900001"))

    assert created.id > 0 and by_email == created
    assert (updated.first_name, updated.last_name, updated.email) == ("Augusta", "Lovelace", "")
    assert by_mobile.first_name == "Augusta"


async def test_create_customer_from_a_message_and_a_taken_identifier(client):
    created = await client.create_customer(
        customer_service_pb2.Customer(external_id="crm-9"), id=990001
    )

    assert (created.id, created.external_id) == (990001, "crm-9")
    with pytest.raises(AlreadyExists) as caught:
        await client.create_customer(mobile="11223569865")
    assert caught.value.message == "another customer of the organisation already has this mobile"


async def test_list_customer_coupons_filters_by_series_and_pages(client):
    await client.issue_multiple(415446, DEMO, count=3)
    await client.issue_multiple(535521, DEMO, count=1)

    first = await client.list_customer_coupons(DEMO, series_id=415446, page_size=2)
    rest = await client.list_customer_coupons(
        DEMO, series_id=415446, page_token=first.next_page_token
    )

    assert [c.series_id for c in [*first.coupons, *rest.coupons]] == [415446] * 3
    assert (len(first.coupons), rest.next_page_token) == (2, "")
    assert len(await list_coupons(client)) == 4


def test_every_rpc_of_coupon_v1_has_a_method_in_both_flavours():
    services = [
        module.DESCRIPTOR.services_by_name[name]
        for module, name in [
            (coupon_service_pb2, "CouponService"),
            (series_service_pb2, "SeriesService"),
            (customer_service_pb2, "CustomerService"),
        ]
    ]
    names = [method.name for service in services for method in service.methods]
    snake = ["".join(f"_{c.lower()}" if c.isupper() else c for c in n).lstrip("_") for n in names]

    assert len(snake) == 17
    for name in snake:
        # A streaming RPC is an async iterator in CouponClient and an iterator in the other.
        method, blocking = getattr(CouponClient, name), getattr(SyncCouponClient, name)
        assert inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method), name
        assert callable(blocking)
        assert not inspect.iscoroutinefunction(blocking), name
        assert not inspect.isasyncgenfunction(blocking), name
    paths = {f"/{service.full_name}/{m.name}" for service in services for m in service.methods}
    assert {rpc.path for rpc in _rpcs.ALL} == paths


def test_customer_ref_names_exactly_one_identifier():
    assert customer_ref(email="a@example.com") == common_pb2.CustomerRef(email="a@example.com")
    assert customer_ref(external_id="x").WhichOneof("identifier") == "externalId"
    assert customer_ref(id=0).WhichOneof("identifier") == "id"
    with pytest.raises(ValueError, match="exactly one"):
        customer_ref()
    with pytest.raises(ValueError, match="exactly one"):
        customer_ref(mobile="1", email="a@example.com")
