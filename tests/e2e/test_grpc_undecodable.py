"""Fuzzing the gRPC door: undecodable requests, unary or streamed, are refused as
INVALID_ARGUMENT before authentication, and logged quietly: one warning, no traceback."""

from __future__ import annotations

import base64
import logging
from typing import Any

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2

from coupon.v1 import (
    common_pb2,
    customer_service_pb2,
    customer_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.entrypoints.grpc import decoding
from coupon_service.service.auth import Authenticator
from tests.e2e.helpers.demo import DEMO_CUSTOMER_ID
from tests.e2e.helpers.grpc_calls import rich_failure
from tests.e2e.helpers.raw_calls import HEALTH_CHECK, WITH_DEMO_KEY, coupon_v1_methods, raw_call

UNDECODABLE = b"\xff\xff\xff"
BAD_KEY = (("authorization", "Basic " + base64.b64encode(b"demo:wrong").decode()),)
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

# --- undecodable requests ---------------------------------------------------------------------


@pytest.fixture
def authentications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operations whose credentials the server checked."""
    checked: list[str] = []
    authorize = Authenticator.authorize_headers

    async def counting(self: Authenticator, values: Any, operation: str) -> Any:
        checked.append(operation)
        return await authorize(self, values, operation)

    monkeypatch.setattr(Authenticator, "authorize_headers", counting)
    return checked


@pytest.mark.parametrize(
    "metadata", [(), BAD_KEY, WITH_DEMO_KEY], ids=["no-credentials", "bad-key", "demo-key"]
)
async def test_an_undecodable_request_is_refused_before_authentication(
    plain_channel: grpc.aio.Channel,
    authentications: list[str],
    metadata: tuple[tuple[str, str], ...],
) -> None:
    for method in [*(m.path for m in coupon_v1_methods()), HEALTH_CHECK]:
        call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = plain_channel.unary_unary(method)
        failure = await rich_failure(call(UNDECODABLE, metadata=metadata))
        assert failure.status is grpc.StatusCode.INVALID_ARGUMENT, method
        assert failure.info.reason == "UNDECODABLE_REQUEST"
        assert failure.info.domain == "coupon.v1"
        assert failure.info.metadata["method"] == method
        assert failure.message.startswith("Invalid input: the request is not a valid ")
        for internal in ("class", "DecodeError", "Wire format", "Traceback"):
            assert internal not in failure.message, failure.message
    assert authentications == []


async def test_undecodable_streamed_requests_are_refused(plain_channel: grpc.aio.Channel) -> None:
    watch: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = plain_channel.unary_stream(
        HEALTH_WATCH
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in watch(UNDECODABLE):
            pass
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    events: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = plain_channel.unary_stream(
        "/coupon.v1.CouponService/WatchEvents"
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in events(UNDECODABLE, metadata=WITH_DEMO_KEY):
            pass
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT

    # A stream of requests is checked as the server reads it: the first is answered.
    good = reflection_pb2.ServerReflectionRequest(list_services="").SerializeToString()
    reflection: grpc.aio.StreamStreamMultiCallable[bytes, bytes] = plain_channel.stream_stream(
        REFLECTION
    )
    answers = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for answer in reflection(iter([good, UNDECODABLE])):
            answers.append(reflection_pb2.ServerReflectionResponse.FromString(answer))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert len(answers) == 1
    assert "coupon.v1.CouponService" in {s.name for s in answers[0].list_services_response.service}


async def test_undecodable_requests_are_logged_rate_limited_and_without_traceback(
    plain_channel: grpc.aio.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for method in [m.path for m in coupon_v1_methods()] * 3:
        answer = await raw_call(plain_channel, method, UNDECODABLE)
        assert answer.code is grpc.StatusCode.INVALID_ARGUMENT
    refused = [r for r in caplog.records if r.name == decoding.logger.name]
    assert len(refused) == 1, [r.getMessage() for r in refused]
    assert refused[0].levelno == logging.WARNING
    assert "undecodable request" in refused[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)
    assert all(r.levelno < logging.ERROR for r in caplog.records)

    # Normal calls still work on the same channel.
    stub = series_service_pb2_grpc.SeriesServiceStub(plain_channel)
    found = await stub.GetSeries(
        series_service_pb2.GetSeriesRequest(series_id=415446), metadata=WITH_DEMO_KEY
    )
    assert found.id == 415446
    customers = customer_service_pb2_grpc.CustomerServiceStub(plain_channel)
    customer = await customers.GetCustomer(
        customer_service_pb2.GetCustomerRequest(
            customer=common_pb2.CustomerRef(id=DEMO_CUSTOMER_ID)
        ),
        metadata=WITH_DEMO_KEY,
    )
    assert customer.id == DEMO_CUSTOMER_ID
