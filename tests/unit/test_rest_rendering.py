"""The REST shim's JSON: documented names, numbers as numbers, every field present, and the
HTTP status of every documented error code."""

from __future__ import annotations

import json

import pytest

from coupon.v1 import common_pb2, coupon_service_pb2
from coupon_service.domain.errors import (
    AccessDenied,
    AlreadyHasCoupon,
    CouponServiceError,
    ErrorCode,
    ErrorKind,
    Expired,
    InvalidRequest,
    NothingIssued,
    PermissionDenied,
    RequestIdReused,
    Unauthenticated,
    customer_not_found,
    invalid_input,
    mandatory,
    series_not_found,
)
from coupon_service.domain.issuing import Shortfall
from coupon_service.entrypoints import converters
from coupon_service.entrypoints.rest.errors import http_status_for
from coupon_service.entrypoints.rest.rendering import (
    bulk_issue_json,
    error_envelope,
    issue_multiple_json,
    message_json,
)
from tests.documented import (
    DOCUMENTED_BULK_RESULT_KEYS,
    DOCUMENTED_CONFIG_KEYS,
    DOCUMENTED_PROFILE_KEYS,
    DOCUMENTED_RESPONSE_KEYS,
)

BEYOND_DOUBLE = 2**53 + 1  # Not exactly representable as a double: proto3 JSON quotes it.


def _single_series_response() -> coupon_service_pb2.IssueMultipleResponse:
    response = coupon_service_pb2.IssueMultipleResponse(
        coupons=[
            coupon_service_pb2.IssuedCoupon(code="3084294818", couponId=BEYOND_DOUBLE, seriesId=7)
        ],
        couponConfig=coupon_service_pb2.CouponConfig(),
        totalCount=2,
        failureCount=1,
        successCount=1,
        customer=coupon_service_pb2.CustomerView(
            id=555567088, profiles=[coupon_service_pb2.CustomerProfile(userId=555567088)]
        ),
        # gRPC names the series of every entry; the documented one-series answer does not.
        errors=[
            common_pb2.IssueError(
                status=False, code=5004, message="Issue only one coupon.", seriesId=7
            )
        ],
    )
    response.coupons[0].validTill.FromJsonString("2029-05-09T00:00:00Z")
    response.coupons[0].issuedAt.FromJsonString("2026-01-01T00:00:00Z")
    return response


def test_int64_fields_are_json_numbers_even_beyond_what_a_double_holds() -> None:
    config = coupon_service_pb2.CouponConfig(
        id=BEYOND_DOUBLE, numTotal=3, latestIssualTime=1_700_000_000_000, fixedExpiryDate=0
    )
    rendered = message_json(config)
    assert rendered["id"] == BEYOND_DOUBLE and type(rendered["id"]) is int
    assert type(rendered["numTotal"]) is int and type(rendered["fixedExpiryDate"]) is int
    assert rendered["latestIssualTime"] == 1_700_000_000_000
    assert f'"id": {BEYOND_DOUBLE}' in json.dumps(rendered)
    assert json.loads(json.dumps(rendered)) == rendered


def test_every_documented_field_is_present_even_when_zero_or_empty() -> None:
    rendered = issue_multiple_json(coupon_service_pb2.IssueMultipleResponse(), several_series=False)
    assert list(rendered) == DOCUMENTED_RESPONSE_KEYS
    assert rendered["coupons"] == [] and rendered["errors"] == [] and rendered["warnings"] == []
    assert rendered["totalCount"] == 0 and rendered["successCount"] == 0
    # Unset messages are null, not missing.
    assert rendered["couponConfig"] is None and rendered["customer"] is None

    config = message_json(coupon_service_pb2.CouponConfig())
    assert list(config) == DOCUMENTED_CONFIG_KEYS
    assert config["customPropertyMap"] == {}
    assert config["description"] == "" and config["issueToLoyalty"] is False
    assert config["discountValue"] == 0 and type(config["discountValue"]) is int

    profile = message_json(coupon_service_pb2.CustomerProfile())
    assert list(profile) == DOCUMENTED_PROFILE_KEYS
    assert profile["fields"] == {} and profile["commChannels"] == [] and profile["accountId"] == ""


def test_single_series_response_is_exactly_the_documented_shape() -> None:
    rendered = issue_multiple_json(_single_series_response(), several_series=False)
    assert list(rendered) == DOCUMENTED_RESPONSE_KEYS
    assert rendered["coupons"] == [{"code": "3084294818", "couponId": BEYOND_DOUBLE}]
    assert rendered["errors"] == [
        {"status": False, "code": 5004, "message": "Issue only one coupon."}
    ]
    assert rendered["customer"]["id"] == 555567088
    assert rendered["customer"]["profiles"][0]["userId"] == 555567088


def test_several_series_response_names_the_series_of_coupons_and_errors() -> None:
    response = _single_series_response()
    response.couponConfigs.add(id=7)
    response.couponConfigs.add(id=8)
    response.errors[0].seriesId = 8
    rendered = issue_multiple_json(response, several_series=True)
    assert rendered["coupons"] == [{"code": "3084294818", "couponId": BEYOND_DOUBLE, "seriesId": 7}]
    assert rendered["errors"][0]["seriesId"] == 8
    assert [config["id"] for config in rendered["couponConfigs"]] == [7, 8]
    assert list(rendered["couponConfigs"][1]) == DOCUMENTED_CONFIG_KEYS


def test_bulk_response_has_iso_timestamps_and_null_results_for_failed_series() -> None:
    issued = coupon_service_pb2.BulkIssueEntry(
        entityId=553379,
        result=coupon_service_pb2.BulkIssueResult(code="9WJIGHOBRL", seriesId=553379, id=12),
    )
    issued.result.validTill.FromJsonString("2029-05-09T00:00:00Z")
    never_expires = coupon_service_pb2.BulkIssueEntry(
        entityId=415446, result=coupon_service_pb2.BulkIssueResult(code="1234567890")
    )
    failed = coupon_service_pb2.BulkIssueEntry(
        entityId=700003,
        errors=[
            common_pb2.IssueError(
                status=False, code=713, message="Coupon has expired", seriesId=700003
            )
        ],
    )
    response = coupon_service_pb2.BulkIssueResponse(
        response=[issued, never_expires, failed], totalCount=3, failureCount=1
    )
    rendered = bulk_issue_json(response)
    assert list(rendered) == ["response", "totalCount", "failureCount"]
    first, second, third = rendered["response"]
    assert list(first) == ["entityId", "result", "errors", "warnings"]
    assert list(first["result"]) == DOCUMENTED_BULK_RESULT_KEYS
    assert first["result"]["validTill"] == "2029-05-09T00:00:00Z"
    assert first["result"]["id"] == 12 and first["result"]["redemptionCount"] == 0
    assert second["result"]["validTill"] is None
    assert third == {
        "entityId": 700003,
        "result": None,
        "errors": [{"status": False, "code": 713, "message": "Coupon has expired"}],
        "warnings": [],
    }


def test_error_envelope_is_the_documented_one() -> None:
    envelope = error_envelope(converters.error_entry(series_not_found(123)))
    assert envelope == {
        "errors": [{"status": False, "code": 707, "message": "Coupon Series ID is invalid"}]
    }
    assert json.dumps(envelope) == (
        '{"errors": [{"status": false, "code": 707, "message": "Coupon Series ID is invalid"}]}'
    )


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (mandatory("seriesId"), 756, 400),
        (mandatory("count", "count should be greater than 0"), 756, 400),
        (InvalidRequest(ErrorCode.INVALID_COUNT, "Invalid coupon count."), 677, 400),
        (invalid_input("metadata.notes", "too long"), 629, 400),
        (RequestIdReused(ErrorCode.INVALID_INPUT, "reused", field="requestId"), 629, 400),
        (customer_not_found(), 701, 404),
        (series_not_found(1), 707, 404),
    ],
)
def test_http_status_of_validation_and_lookup_errors(
    error: CouponServiceError, code: int, status: int
) -> None:
    assert int(error.code) == code
    assert http_status_for(error) == status


def test_http_status_of_expired_and_already_held() -> None:
    assert http_status_for(Expired(ErrorCode.EXPIRED, "Coupon has expired")) == 400
    assert http_status_for(AlreadyHasCoupon(ErrorCode.ALREADY_HAS_COUPON, "held")) == 409


@pytest.mark.parametrize("reason", list(Shortfall))
def test_a_call_that_issued_nothing_is_400_never_429(reason: Shortfall) -> None:
    error = NothingIssued(reason.none_issued_code, reason.message, kind=reason.kind)
    assert 600 <= int(error.code) < 800
    assert http_status_for(error) == 400


def test_every_error_kind_has_an_http_status() -> None:
    for kind in ErrorKind:
        error = CouponServiceError(ErrorCode.INVALID_INPUT, "x")
        error.kind = kind
        if kind is ErrorKind.UNAVAILABLE:  # Nothing written: the one status that says "retry".
            assert http_status_for(error) == 503
        else:
            assert 400 <= http_status_for(error) < 500


def test_access_denied_is_401_or_403() -> None:
    assert http_status_for(Unauthenticated("no credentials")) == 401
    assert http_status_for(PermissionDenied("no scope")) == 403
    assert isinstance(Unauthenticated("x"), AccessDenied)
