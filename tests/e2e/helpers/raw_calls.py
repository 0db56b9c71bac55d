"""coupon.v1 called as bytes: its unary methods, found in the service descriptors, and a call
that sends any payload and returns the status or the raw answer."""

from __future__ import annotations

import dataclasses

import grpc
from google.protobuf import descriptor, message_factory
from google.protobuf.message import Message

from coupon.v1 import coupon_service_pb2, customer_service_pb2, series_service_pb2
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION

WITH_DEMO_KEY = (("authorization", DEMO_AUTHORIZATION),)
CALL_TIMEOUT_SECONDS = 10
HEALTH_CHECK = "/grpc.health.v1.Health/Check"


@dataclasses.dataclass(frozen=True)
class Method:
    path: str
    input_type: descriptor.Descriptor

    @classmethod
    def of(cls, method: descriptor.MethodDescriptor) -> Method:
        assert not (method.client_streaming or method.server_streaming), (
            f"{method.full_name} streams: call it with stream_stream here"
        )
        return cls(f"/{method.containing_service.full_name}/{method.name}", method.input_type)

    @property
    def operation(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def request_type(self) -> type[Message]:
        return message_factory.GetMessageClass(self.input_type)


def coupon_v1_methods() -> list[Method]:
    """The unary methods; WatchEvents (a stream that never ends) is fuzzed by
    tests/e2e/test_grpc_undecodable.py and tests/e2e/test_events.py."""
    return [
        Method.of(method)
        for module in (coupon_service_pb2, series_service_pb2, customer_service_pb2)
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
        if not method.server_streaming
    ]


@dataclasses.dataclass(frozen=True)
class Answer:
    code: grpc.StatusCode
    details: str = ""
    response: bytes = b""


async def raw_call(
    channel: grpc.aio.Channel,
    path: str,
    payload: bytes,
    metadata: tuple[tuple[str, str], ...] = (),
) -> Answer:
    call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
        path, request_serializer=None, response_deserializer=None
    )
    try:
        response = await call(payload, metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.aio.AioRpcError as error:
        return Answer(error.code(), error.details() or "")
    return Answer(grpc.StatusCode.OK, response=response)
