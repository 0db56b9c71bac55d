"""Calling coupon.v1 in the e2e tests: the issue/multiple document's request bodies, request
builders, and a failed call's rich status unpacked and checked."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    errors_pb2,
    series_service_pb2,
    series_service_pb2_grpc,
)

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
