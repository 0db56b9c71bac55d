"""Operating the service: the health service over a real channel, and reflection through the
real grpcurl binary: listing, describing, calling with the documented body, rich errors."""

from __future__ import annotations

import json

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from coupon_service.app import RunningService
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION
from tests.e2e.helpers.grpc_calls import DOCUMENTED_MOBILE_BODY
from tests.e2e.helpers.grpcurl import SERVICES, grpcurl

# --- health -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", *SERVICES])
async def test_health_check_is_serving(channel, name):
    health = health_pb2_grpc.HealthStub(channel)

    response = await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)

    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_check_of_an_unknown_service_is_not_found(channel):
    health = health_pb2_grpc.HealthStub(channel)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await health.Check(health_pb2.HealthCheckRequest(service="coupon.v1.Nope"), timeout=5)

    assert caught.value.code() is grpc.StatusCode.NOT_FOUND


# --- reflection through grpcurl ---------------------------------------------------------------


def address(service: RunningService) -> str:
    return f"127.0.0.1:{service.grpc_port}"


async def test_grpcurl_lists_every_service(service):
    returncode, out, err = await grpcurl("-plaintext", address(service), "list")

    assert returncode == 0, err
    assert {*SERVICES, "grpc.health.v1.Health"} <= set(out.split())


async def test_grpcurl_describes_the_request(service):
    returncode, out, err = await grpcurl(
        "-plaintext", address(service), "describe", "coupon.v1.IssueMultipleRequest"
    )

    assert returncode == 0, err
    assert "coupon.v1.IssueMultipleRequest is a message:" in out
    for line in (
        "int64 seriesId = 1;",
        "optional int32 count = 2;",
        ".coupon.v1.CustomerRef customer = 3;",
        ".coupon.v1.IssuanceMetadata metadata = 4;",
        "repeated int64 seriesIds = 5;",
        "string requestId = 6;",
    ):
        assert line in out


async def test_grpcurl_describes_the_service(service):
    returncode, out, err = await grpcurl(
        "-plaintext", address(service), "describe", "coupon.v1.CouponService"
    )

    assert returncode == 0, err
    assert "rpc IssueMultiple ( .coupon.v1.IssueMultipleRequest )" in out
    assert "rpc BulkIssue ( .coupon.v1.BulkIssueRequest )" in out


async def test_grpcurl_issues_with_the_documented_body(service):
    returncode, out, err = await grpcurl(
        "-plaintext",
        "-emit-defaults",
        "-H",
        f"authorization: {DEMO_AUTHORIZATION}",
        "-d",
        DOCUMENTED_MOBILE_BODY,
        address(service),
        "coupon.v1.CouponService/IssueMultiple",
    )

    assert returncode == 0, err
    assert '"couponId"' in out
    printed = json.loads(out)
    assert [len(coupon["code"]) for coupon in printed["coupons"]] == [10, 10]
    assert (printed["totalCount"], printed["successCount"], printed["failureCount"]) == (2, 2, 0)
    assert (printed["errors"], printed["warnings"]) == ([], [])
    assert printed["couponConfig"]["description"] == "IKEA - 500KW Voucher "
    assert printed["customer"]["profiles"][0]["firstName"] == "Abijith"


async def test_grpcurl_prints_the_rich_error(service):
    body = '{"seriesId": 1, "customer": {"mobile": "11223569865"}}'

    returncode, out, err = await grpcurl(
        "-plaintext",
        "-H",
        f"authorization: {DEMO_AUTHORIZATION}",
        "-d",
        body,
        address(service),
        "coupon.v1.CouponService/IssueMultiple",
    )

    assert returncode == 64 + grpc.StatusCode.NOT_FOUND.value[0]
    assert out == ""
    assert "Code: NotFound" in err
    assert "Message: Coupon Series ID is invalid" in err
    assert '"@type":"type.googleapis.com/google.rpc.ErrorInfo"' in err
    assert '"reason":"SERIES_INVALID"' in err
    assert '"metadata":{"code":"707","seriesId":"1"}' in err
    assert '"@type":"type.googleapis.com/coupon.v1.CouponErrorDetail","code":707' in err


async def test_grpcurl_format_error_prints_the_status_as_json(service):
    body = '{"seriesId": 415446, "count": 501, "customer": {"mobile": "11223569865"}}'

    returncode, _out, err = await grpcurl(
        "-plaintext",
        "-format-error",
        "-H",
        f"authorization: {DEMO_AUTHORIZATION}",
        "-d",
        body,
        address(service),
        "coupon.v1.CouponService/IssueMultiple",
    )

    assert returncode == 64 + grpc.StatusCode.INVALID_ARGUMENT.value[0]
    printed = json.loads(err)
    assert printed["code"] == 3
    types = [detail["@type"].rsplit("/", 1)[1] for detail in printed["details"]]
    assert types == ["google.rpc.ErrorInfo", "coupon.v1.CouponErrorDetail", "google.rpc.BadRequest"]
    assert printed["details"][1]["code"] == 677
    assert printed["details"][2]["field_violations"][0]["field"] == "count"


async def test_grpcurl_health_check(service):
    returncode, out, err = await grpcurl(
        "-plaintext", address(service), "grpc.health.v1.Health/Check"
    )

    assert returncode == 0, err
    assert json.loads(out) == {"status": "SERVING"}
