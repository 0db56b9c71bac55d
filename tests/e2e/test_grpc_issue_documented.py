"""IssueMultiple over a real channel: the document's own request bodies against the demo data,
and every documented error with its rich status."""

from __future__ import annotations

from datetime import datetime

import grpc
import pytest
from google.protobuf import json_format

from tests.documented import (
    DOCUMENTED_CONFIG_KEYS,
    DOCUMENTED_PROFILE_KEYS,
    DOCUMENTED_RESPONSE_KEYS,
)
from tests.e2e.helpers.demo import DEMO_CUSTOMER_ID, DEMO_MOBILE
from tests.e2e.helpers.grpc_calls import (
    DOCUMENTED_EMAIL_BODY,
    DOCUMENTED_EXTERNAL_ID_BODY,
    DOCUMENTED_MOBILE_BODY,
    assert_failure,
    error_entries,
    issue,
    num_issued,
    parse_issue,
    rich_failure,
)

UNAMBIGUOUS = set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")

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
