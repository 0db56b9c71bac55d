"""IssueMultiple over a real channel: the document's own request bodies against the demo data,
every documented error with its rich status, the list form, limits, metadata and request_id."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from datetime import datetime

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    customer_service_pb2,
    errors_pb2,
    series_service_pb2,
    series_service_pb2_grpc,
)
from tests.documented import (
    DOCUMENTED_CONFIG_KEYS,
    DOCUMENTED_PROFILE_KEYS,
    DOCUMENTED_RESPONSE_KEYS,
)

DEMO_MOBILE = "11223569865"
DEMO_CUSTOMER_ID = 555567088
UNAMBIGUOUS = set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")

# The request bodies of the issue/multiple document, verbatim.
DOCUMENTED_MOBILE_BODY = """{
    "seriesId": 415446,
    "count": 2,
    "customer": {
        "mobile": "11223569865"
    }
}"""
DOCUMENTED_EMAIL_BODY = """{
    "seriesId": 415446,
    "count": 2,
    "customer": {
        "email": "[email protected]"
    }
}"""
DOCUMENTED_EXTERNAL_ID_BODY = """{
    "seriesId": 18426,
    "count": 2,
    "customer": {
        "externalId": "3873472"
    }
}"""


# --- helpers shared by the e2e modules --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RichFailure:
    """A failed call with the details of its google.rpc.Status unpacked."""

    status: grpc.StatusCode
    message: str
    info: error_details_pb2.ErrorInfo
    detail: errors_pb2.CouponErrorDetail | None
    bad_request: error_details_pb2.BadRequest | None


async def rich_failure(call: Awaitable[object]) -> RichFailure:
    """Awaits a call that must fail and unpacks its rich status."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    error = caught.value
    status = rpc_status.from_call(error)
    assert status is not None, f"no rich status on {error.code()}: {error.details()}"
    found: dict[str, object] = {}
    for packed in status.details:
        for kind in (
            error_details_pb2.ErrorInfo,
            errors_pb2.CouponErrorDetail,
            error_details_pb2.BadRequest,
        ):
            if packed.Is(kind.DESCRIPTOR):
                message = kind()
                packed.Unpack(message)
                assert kind.__name__ not in found, f"two {kind.__name__} details"
                found[kind.__name__] = message
    assert "ErrorInfo" in found, "every failure carries an ErrorInfo"
    return RichFailure(
        status=error.code(),
        message=error.details() or "",
        info=found["ErrorInfo"],  # type: ignore[arg-type]
        detail=found.get("CouponErrorDetail"),  # type: ignore[arg-type]
        bad_request=found.get("BadRequest"),  # type: ignore[arg-type]
    )


def assert_failure(
    failure: RichFailure,
    status: grpc.StatusCode,
    code: int,
    reason: str,
    *,
    message: str | None = None,
    field: str | None = None,
    metadata: dict[str, str] | None = None,
) -> None:
    """Checks the status and every detail; `field` None means no BadRequest may be sent."""
    assert failure.status is status
    assert failure.info.domain == "coupon.v1"
    assert failure.info.reason == reason
    assert dict(failure.info.metadata) == {"code": str(code), **(metadata or {})}
    assert failure.detail is not None
    assert failure.detail.code == code
    assert failure.detail.error_code == code
    assert failure.detail.status is False
    assert failure.detail.message == failure.message
    if message is not None:
        assert failure.message == message
    if field is None:
        assert failure.bad_request is None
    else:
        assert failure.bad_request is not None
        violations = failure.bad_request.field_violations
        assert [(v.field, v.description) for v in violations] == [(field, failure.message)]


def parse_issue(body: str) -> coupon_service_pb2.IssueMultipleRequest:
    return json_format.Parse(body, coupon_service_pb2.IssueMultipleRequest())


def issue(
    series_id: int | list[int], count: int | None = None, **customer: str | int
) -> coupon_service_pb2.IssueMultipleRequest:
    request = coupon_service_pb2.IssueMultipleRequest(
        customer=common_pb2.CustomerRef(**customer)  # type: ignore[arg-type]
    )
    if isinstance(series_id, list):
        request.seriesIds.extend(series_id)
    else:
        request.seriesId = series_id
    if count is not None:
        request.count = count
    return request


def error_entries(
    response: coupon_service_pb2.IssueMultipleResponse,
) -> list[tuple[bool, int, str, int]]:
    return [(e.status, e.code, e.message, e.seriesId) for e in response.errors]


async def num_issued(stub: series_service_pb2_grpc.SeriesServiceStub, series_id: int) -> int:
    found = await stub.GetSeries(series_service_pb2.GetSeriesRequest(series_id=series_id))
    return found.num_issued


# --- the documented single-series bodies ----------------------------------------------------


async def test_documented_mobile_body_issues_two_numeric_codes(coupons):
    response = await coupons.IssueMultiple(parse_issue(DOCUMENTED_MOBILE_BODY), timeout=10)

    assert (response.totalCount, response.successCount, response.failureCount) == (2, 2, 0)
    codes = [coupon.code for coupon in response.coupons]
    assert len(set(codes)) == 2
    assert all(len(code) == 10 and code.isdigit() for code in codes)
    assert len({coupon.couponId for coupon in response.coupons}) == 2
    assert all(coupon.couponId > 0 for coupon in response.coupons)
    assert {coupon.seriesId for coupon in response.coupons} == {415446}
    assert all(coupon.HasField("issuedAt") for coupon in response.coupons)
    assert not any(coupon.HasField("validTill") for coupon in response.coupons)
    config = response.couponConfig
    assert config.id == 415446
    assert config.description == "IKEA - 500KW Voucher "
    assert config.info == "IKEA - 500KW Voucher "
    assert config.discountValue == 500
    assert config.discountType == "ABS"
    assert config.discountOn == "BILL"
    assert config.discountCode == "NO_VALUE"
    assert config.alphaNumeric is False
    assert config.numTotal == 2
    assert config.latestIssualTime > 0
    assert list(response.errors) == []
    assert list(response.warnings) == []
    assert list(response.couponConfigs) == []


async def test_documented_response_shape_and_customer(coupons):
    response = await coupons.IssueMultiple(parse_issue(DOCUMENTED_MOBILE_BODY), timeout=10)
    printed = json_format.MessageToDict(response, always_print_fields_with_no_presence=True)

    assert set(DOCUMENTED_RESPONSE_KEYS) <= printed.keys()
    assert {"code", "couponId"} <= printed["coupons"][0].keys()
    assert set(DOCUMENTED_CONFIG_KEYS) <= printed["couponConfig"].keys()
    profile = printed["customer"]["profiles"][0]
    assert set(DOCUMENTED_PROFILE_KEYS) <= profile.keys()

    customer = response.customer
    assert customer.id == DEMO_CUSTOMER_ID
    assert len(customer.profiles) == 1
    only = customer.profiles[0]
    assert (only.firstName, only.lastName, only.userId) == ("Abijith", "Gupta", DEMO_CUSTOMER_ID)
    identifiers = {(i.type, i.value) for i in only.identifiers}
    assert identifiers == {
        ("mobile", DEMO_MOBILE),
        ("externalId", "3873472"),
        ("email", "abijith.gupta@example.com"),
    }
    assert {(i.type, i.value) for i in only.identifiersAll} == identifiers
    assert datetime.fromisoformat(only.autoUpdateTime).tzinfo is not None


async def test_documented_email_body_with_redacted_address_is_701(coupons, series):
    failure = await rich_failure(coupons.IssueMultiple(parse_issue(DOCUMENTED_EMAIL_BODY)))

    assert_failure(
        failure,
        grpc.StatusCode.NOT_FOUND,
        701,
        "CUSTOMER_NOT_FOUND",
        message="The customer could not be found. Please check mobile, email, external id passed",
    )
    assert await num_issued(series, 415446) == 0


async def test_demo_customer_found_by_email(coupons):
    body = DOCUMENTED_EMAIL_BODY.replace("[email protected]", "abijith.gupta@example.com")

    response = await coupons.IssueMultiple(parse_issue(body))

    assert response.successCount == 2
    assert response.customer.id == DEMO_CUSTOMER_ID


async def test_documented_external_id_body_on_generic_series_is_partial(coupons):
    response = await coupons.IssueMultiple(parse_issue(DOCUMENTED_EXTERNAL_ID_BODY))

    assert [coupon.code for coupon in response.coupons] == ["DECATH10"]
    assert (response.totalCount, response.successCount, response.failureCount) == (2, 1, 1)
    assert error_entries(response) == [
        (False, 5004, "Cannot issue more than one GENERIC coupon code.", 18426)
    ]
    config = response.couponConfig
    assert (config.id, config.description, config.info) == (
        18426,
        "10% off Decathlon Products",
        "10% off Decathlon Prodcuts",
    )
    assert (config.discountValue, config.discountType, config.discountOn) == (100, "ABS", "BILL")
    assert response.customer.id == DEMO_CUSTOMER_ID

    again = await coupons.IssueMultiple(parse_issue(DOCUMENTED_EXTERNAL_ID_BODY))

    assert [(c.code, c.couponId) for c in again.coupons] == [
        (c.code, c.couponId) for c in response.coupons
    ]
    assert (again.successCount, again.failureCount) == (1, 1)


async def test_count_omitted_means_one(coupons):
    response = await coupons.IssueMultiple(
        parse_issue('{"seriesId": 535521, "customer": {"mobile": "11223569865"}}')
    )

    assert (response.totalCount, response.successCount, len(response.coupons)) == (1, 1, 1)


# --- the documented errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code", "reason", "message", "field", "metadata"),
    [
        pytest.param(
            '{"seriesId": 999999, "count": 2, "customer": {"mobile": "11223569865"}}',
            grpc.StatusCode.NOT_FOUND,
            707,
            "SERIES_INVALID",
            "Coupon Series ID is invalid",
            None,
            {"seriesId": "999999"},
            id="707-unknown-series",
        ),
        pytest.param(
            '{"seriesId": 415446, "count": 501, "customer": {"mobile": "11223569865"}}',
            grpc.StatusCode.INVALID_ARGUMENT,
            677,
            "INVALID_COUNT",
            "Invalid coupon count. Minimum 1 and Maximum 500.",
            "count",
            None,
            id="677-count-501",
        ),
        pytest.param(
            '{"count": 2, "customer": {"mobile": "11223569865"}}',
            grpc.StatusCode.INVALID_ARGUMENT,
            756,
            "MANDATORY_FIELD",
            "seriesId is mandatory to set",
            "seriesId",
            None,
            id="756-missing-seriesId",
        ),
        pytest.param(
            '{"seriesId": 415446, "count": 0, "customer": {"mobile": "11223569865"}}',
            grpc.StatusCode.INVALID_ARGUMENT,
            756,
            "MANDATORY_FIELD",
            "count should be greater than 0",
            "count",
            None,
            id="756-count-0",
        ),
        pytest.param(
            '{"seriesId": 415446, "count": 2, "customer": {"mobile": "19999999999"}}',
            grpc.StatusCode.NOT_FOUND,
            701,
            "CUSTOMER_NOT_FOUND",
            "The customer could not be found. Please check mobile, email, external id passed",
            None,
            None,
            id="701-unknown-mobile",
        ),
        pytest.param(
            '{"seriesId": 700003, "count": 1, "customer": {"mobile": "11223569865"}}',
            grpc.StatusCode.FAILED_PRECONDITION,
            713,
            "EXPIRED",
            "Coupon has expired",
            None,
            {"seriesId": "700003"},
            id="713-expired-series",
        ),
    ],
)
async def test_documented_error(
    coupons, series, body, status, code, reason, message, field, metadata
):
    failure = await rich_failure(coupons.IssueMultiple(parse_issue(body), timeout=10))

    assert_failure(failure, status, code, reason, message=message, field=field, metadata=metadata)
    assert await num_issued(series, 415446) == 0


async def test_one_per_customer_series_is_partial_then_709(coupons):
    body = '{"seriesId": 96004, "count": 2, "customer": {"mobile": "11223569865"}}'

    first = await coupons.IssueMultiple(parse_issue(body))

    assert (first.totalCount, first.successCount, first.failureCount) == (2, 1, 1)
    [coupon] = first.coupons
    assert len(coupon.code) == 28 and set(coupon.code) <= UNAMBIGUOUS
    assert error_entries(first) == [
        (False, 5004, "Issue only one coupon. Since isAllowMultipleVouchersPerUser=false.", 96004)
    ]
    assert first.couponConfig.description == "Only 1 issual"

    failure = await rich_failure(coupons.IssueMultiple(parse_issue(body)))

    assert_failure(
        failure,
        grpc.StatusCode.ALREADY_EXISTS,
        709,
        "ALREADY_HAS_COUPON",
        message="Coupon processing failed: user already has a coupon",
        metadata={"seriesId": "96004"},
    )


async def test_one_per_customer_series_resends_the_held_coupon(coupons):
    first = await coupons.IssueMultiple(issue(96005, mobile=DEMO_MOBILE))
    again = await coupons.IssueMultiple(issue(96005, mobile=DEMO_MOBILE))

    assert [c.couponId for c in again.coupons] == [c.couponId for c in first.coupons]
    assert [c.code for c in again.coupons] == [c.code for c in first.coupons]
    assert (again.successCount, again.failureCount) == (1, 0)


# --- several series in one call ---------------------------------------------------------------


async def test_list_form_issues_count_from_each_series(coupons):
    body = '{"seriesIds": [415446, 535521], "count": 2, "customer": {"mobile": "11223569865"}}'

    response = await coupons.IssueMultiple(parse_issue(body))

    assert [coupon.seriesId for coupon in response.coupons] == [415446, 415446, 535521, 535521]
    assert len({coupon.code for coupon in response.coupons}) == 4
    assert [config.id for config in response.couponConfigs] == [415446, 535521]
    assert response.couponConfig == response.couponConfigs[0]
    assert response.couponConfigs[1].discountValue == 250
    assert (response.totalCount, response.successCount, response.failureCount) == (4, 4, 0)


async def test_list_form_partial_names_the_series_in_each_error(coupons):
    response = await coupons.IssueMultiple(issue([415446, 18426], 2, mobile=DEMO_MOBILE))

    assert [c.seriesId for c in response.coupons] == [415446, 415446, 18426]
    assert (response.totalCount, response.successCount, response.failureCount) == (4, 3, 1)
    assert error_entries(response) == [
        (False, 5004, "Cannot issue more than one GENERIC coupon code.", 18426)
    ]


async def test_list_form_with_an_unknown_series_issues_nothing(coupons, series):
    failure = await rich_failure(
        coupons.IssueMultiple(issue([415446, 999999], 2, mobile=DEMO_MOBILE))
    )

    assert_failure(
        failure, grpc.StatusCode.NOT_FOUND, 707, "SERIES_INVALID", metadata={"seriesId": "999999"}
    )
    assert await num_issued(series, 415446) == 0


async def test_series_id_and_series_ids_together_are_refused(coupons):
    request = issue([415446], 1, mobile=DEMO_MOBILE)
    request.seriesId = 535521

    failure = await rich_failure(coupons.IssueMultiple(request))

    assert_failure(
        failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field="seriesIds"
    )


# --- limits: partial success (5xxx) and nothing issued (6xx) -----------------------------------


async def test_per_customer_limit_is_partial_then_621(coupons):
    first = await coupons.IssueMultiple(issue(700002, 3, mobile="919900000002"))
    second = await coupons.IssueMultiple(issue(700002, 3, mobile="919900000002"))

    assert first.successCount == 3
    assert (second.totalCount, second.successCount, second.failureCount) == (3, 2, 1)
    assert error_entries(second) == [(False, 5002, "max coupon per user exceeded", 700002)]

    failure = await rich_failure(coupons.IssueMultiple(issue(700002, 1, mobile="919900000002")))

    assert_failure(
        failure,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        621,
        "MAX_COUPONS_PER_CUSTOMER_REACHED",
        message="max coupon per user exceeded",
        metadata={"seriesId": "700002"},
    )


async def _fill_demo_limited_series(coupons) -> list[str]:
    """Issues 48 of series 700002's 50 coupons: 5 each to nine customers, 3 to a tenth."""
    codes = []
    for number in range(1, 11):
        count = 5 if number < 10 else 3
        response = await coupons.IssueMultiple(issue(700002, count, mobile=f"9199000{number:05d}"))
        assert response.successCount == count
        codes += [coupon.code for coupon in response.coupons]
    return codes


async def test_series_limit_is_partial_then_626(coupons, series):
    codes = await _fill_demo_limited_series(coupons)

    partial = await coupons.IssueMultiple(issue(700002, 5, mobile="919900000011"))

    assert (partial.totalCount, partial.successCount, partial.failureCount) == (5, 2, 3)
    assert [(e.code, e.seriesId) for e in partial.errors] == [(5001, 700002)]
    assert partial.couponConfig.numTotal == 50
    assert len(set(codes + [c.code for c in partial.coupons])) == 50

    failure = await rich_failure(coupons.IssueMultiple(issue(700002, 1, mobile="919900000012")))

    assert_failure(
        failure,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        626,
        "SERIES_LIMIT_REACHED",
        metadata={"seriesId": "700002"},
    )
    assert await num_issued(series, 700002) == 50


async def test_series_limit_reached_is_626_even_when_count_exceeds_the_per_customer_limit(
    coupons,
):
    await _fill_demo_limited_series(coupons)
    await coupons.IssueMultiple(issue(700002, 2, mobile="919900000011"))

    # The customer holds none, so the per-customer limit is not why nothing was issued.
    failure = await rich_failure(coupons.IssueMultiple(issue(700002, 10, mobile="919900000012")))

    assert_failure(
        failure,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        626,
        "SERIES_LIMIT_REACHED",
        metadata={"seriesId": "700002"},
    )


async def test_drained_pool_is_partial_then_702(coupons, series):
    first = await coupons.IssueMultiple(issue(700001, 60, mobile=DEMO_MOBILE))
    second = await coupons.IssueMultiple(issue(700001, 50, mobile="919900000001"))

    assert first.successCount == 60
    assert (second.totalCount, second.successCount, second.failureCount) == (50, 40, 10)
    assert [(e.code, e.seriesId) for e in second.errors] == [(5005, 700001)]
    issued = [c.code for c in first.coupons] + [c.code for c in second.coupons]
    assert sorted(issued) == [f"DEMO{number:04d}" for number in range(1, 101)]
    assert (second.couponConfig.numUploadedTotal, second.couponConfig.numUploadedNonIssued) == (
        100,
        0,
    )

    failure = await rich_failure(coupons.IssueMultiple(issue(700001, 1, mobile=DEMO_MOBILE)))

    assert_failure(
        failure,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        702,
        "SERIES_EXHAUSTED",
        metadata={"seriesId": "700001"},
    )
    assert await num_issued(series, 700001) == 100


# --- metadata ---------------------------------------------------------------------------------

FULL_METADATA = {
    "sourceType": "Journeys",
    "sourceId": "block-7",
    "sourceActivity": "Tier upgrade",
    "notes": "issued as part of a migration batch",
    "reason": "tier upgrade benefit",
}


async def test_metadata_is_stored_and_listed_with_each_coupon(coupons, customers):
    request = issue(415446, 2, mobile=DEMO_MOBILE)
    request.metadata.CopyFrom(common_pb2.IssuanceMetadata(**FULL_METADATA))
    issued = await coupons.IssueMultiple(request)
    await coupons.IssueMultiple(issue(535521, 1, mobile=DEMO_MOBILE))

    listed = await customers.ListCustomerCoupons(
        customer_service_pb2.ListCustomerCouponsRequest(
            customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE)
        )
    )

    assert [c.id for c in listed.coupons] == sorted(c.id for c in listed.coupons)
    assert [c.id for c in listed.coupons[:2]] == [c.couponId for c in issued.coupons]
    for coupon in listed.coupons[:2]:
        assert json_format.MessageToDict(coupon.metadata) == FULL_METADATA
        assert (coupon.series_id, coupon.customer_id) == (415446, DEMO_CUSTOMER_ID)
    assert listed.coupons[2].metadata == common_pb2.IssuanceMetadata()
    assert listed.coupons[2].series_id == 535521


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("sourceType", 50),
        ("sourceId", 50),
        ("sourceActivity", 50),
        ("notes", 250),
        ("reason", 250),
    ],
)
async def test_metadata_field_too_long_is_629_naming_the_field(coupons, series, field, limit):
    too_long = issue(415446, 1, mobile=DEMO_MOBILE)
    setattr(too_long.metadata, field, "x" * (limit + 1))

    failure = await rich_failure(coupons.IssueMultiple(too_long))

    assert_failure(
        failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field=f"metadata.{field}"
    )
    assert f"metadata.{field}" in failure.message
    assert await num_issued(series, 415446) == 0

    at_limit = issue(415446, 1, mobile=DEMO_MOBILE)
    setattr(at_limit.metadata, field, "é" * limit)
    assert (await coupons.IssueMultiple(at_limit)).successCount == 1


# --- request_id -------------------------------------------------------------------------------


async def test_retry_with_the_same_request_id_returns_the_same_coupons(coupons, customers):
    request = issue(415446, 2, mobile=DEMO_MOBILE)
    request.requestId = "order-42"

    first = await coupons.IssueMultiple(request)
    retried = await coupons.IssueMultiple(request)

    assert [(c.couponId, c.code) for c in retried.coupons] == [
        (c.couponId, c.code) for c in first.coupons
    ]
    assert (retried.totalCount, retried.successCount, retried.failureCount) == (2, 2, 0)
    assert retried.couponConfig.numTotal == 2
    listed = await customers.ListCustomerCoupons(
        customer_service_pb2.ListCustomerCouponsRequest(
            customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE)
        )
    )
    assert [c.id for c in listed.coupons] == [c.couponId for c in first.coupons]
    assert {c.request_id for c in listed.coupons} == {"order-42"}


async def test_concurrent_retries_with_one_request_id_issue_once(coupons, series):
    request = issue(700001, 3, mobile=DEMO_MOBILE)
    request.requestId = "burst-1"

    responses = await asyncio.gather(*(coupons.IssueMultiple(request) for _ in range(10)))

    answers = {tuple(c.code for c in response.coupons) for response in responses}
    assert len(answers) == 1
    assert len(next(iter(answers))) == 3
    assert await num_issued(series, 700001) == 3


async def test_partial_outcome_is_replayed_with_its_errors(coupons):
    request = parse_issue(DOCUMENTED_EXTERNAL_ID_BODY)
    request.requestId = "generic-1"

    first = await coupons.IssueMultiple(request)
    retried = await coupons.IssueMultiple(request)

    assert retried.coupons == first.coupons
    assert error_entries(retried) == error_entries(first)
    assert (retried.successCount, retried.failureCount) == (1, 1)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"count": 3}, id="other-count"),
        pytest.param({"seriesId": 535521}, id="other-series"),
        pytest.param(
            {"customer": common_pb2.CustomerRef(mobile="919900000001")}, id="other-customer"
        ),
    ],
)
async def test_same_request_id_with_a_different_request_is_refused(coupons, series, change):
    request = issue(415446, 2, mobile=DEMO_MOBILE)
    request.requestId = "order-43"
    await coupons.IssueMultiple(request)
    different = coupon_service_pb2.IssueMultipleRequest()
    different.CopyFrom(request)
    for name, value in change.items():
        if isinstance(value, common_pb2.CustomerRef):
            getattr(different, name).CopyFrom(value)
        else:
            setattr(different, name, value)

    failure = await rich_failure(coupons.IssueMultiple(different))

    # The service refuses with FAILED_PRECONDITION (the key is in a state that forbids this
    # request), code 629, and no BadRequest.
    assert_failure(
        failure,
        grpc.StatusCode.FAILED_PRECONDITION,
        629,
        "INVALID_INPUT",
        message="requestId was already used for a different request",
    )
    assert await num_issued(series, 415446) == 2
    assert await num_issued(series, 535521) == 0


async def test_a_failed_call_does_not_use_up_its_request_id(coupons):
    invalid = issue(415446, 501, mobile=DEMO_MOBILE)
    invalid.requestId = "order-44"
    await rich_failure(coupons.IssueMultiple(invalid))
    unknown_customer = issue(415446, 2, mobile="19999999999")
    unknown_customer.requestId = "order-44"
    await rich_failure(coupons.IssueMultiple(unknown_customer))

    valid = issue(415446, 2, mobile=DEMO_MOBILE)
    valid.requestId = "order-44"
    response = await coupons.IssueMultiple(valid)

    assert response.successCount == 2
