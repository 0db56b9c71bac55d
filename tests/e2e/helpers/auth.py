"""Credentials on the gRPC and REST doors: HTTP Basic values good and bad, stubs that send
exactly the authorization values a test gives, new keys, and a request for every RPC."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from grpc_status import rpc_status

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.app import RunningService
from coupon_service.domain.credentials import Scope
from coupon_service.service.auth import NewKey, create_key
from tests.e2e.helpers.demo import (
    DEMO_AUTHORIZATION,
    DEMO_CUSTOMER_ID,
    DEMO_MOBILE,
    POOL_SERIES,
)

DEMO_SECRET = "demo-secret"


def basic(key_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Every one must be refused, the same way, on both doors. The secret "demo-secret" (or the wrong
# one) appears in several of them and must never come back in an answer or a log line.
BAD_CREDENTIALS: dict[str, list[str]] = {
    "wrong-secret": [basic("demo", "not-the-demo-secret")],
    "unknown-key": [basic("ck_nobody_at_all", DEMO_SECRET)],
    "malformed-no-colon": ["Basic " + b64("demo" + DEMO_SECRET)],
    "malformed-empty-secret": ["Basic " + b64("demo:")],
    "malformed-not-base64": ["Basic demo:" + DEMO_SECRET],
    "malformed-not-utf8": ["Basic " + base64.b64encode(b"demo:\xff\xfe").decode()],
    "basic-without-credentials": ["Basic"],
    "two-authorization-values": [DEMO_AUTHORIZATION, DEMO_AUTHORIZATION],
    "bearer-garbage": ["Bearer garbage"],
    "other-scheme": ["Digest username=demo"],
    "secret-without-scheme": [b64("demo:" + DEMO_SECRET)],
}
SECRETS_IN_BAD_CREDENTIALS = (DEMO_SECRET, "not-the-demo-secret")


def assert_not_revealed(values: list[str], *texts: str) -> None:
    """Neither a secret nor the credentials part of a header value is in any of `texts`."""
    credentials = [value.split()[-1] for value in values if len(value.split()[-1]) >= 8]
    for text in texts:
        for revealing in (*SECRETS_IN_BAD_CREDENTIALS, *credentials):
            assert revealing not in text


def metadata(*values: str) -> tuple[tuple[str, str], ...]:
    return tuple(("authorization", value) for value in values)


@dataclasses.dataclass
class Stubs:
    coupons: coupon_service_pb2_grpc.CouponServiceStub
    series: series_service_pb2_grpc.SeriesServiceStub
    customers: customer_service_pb2_grpc.CustomerServiceStub

    @classmethod
    def on(cls, channel: grpc.aio.Channel) -> Stubs:
        return cls(
            coupon_service_pb2_grpc.CouponServiceStub(channel),
            series_service_pb2_grpc.SeriesServiceStub(channel),
            customer_service_pb2_grpc.CustomerServiceStub(channel),
        )

    def call(self, rpc: str, request: Message, *authorization: str) -> Awaitable[Any]:
        """Calls `rpc` of whichever service has it, with exactly these authorization values."""
        for stub in (self.coupons, self.series, self.customers):
            if hasattr(stub, rpc):
                method = getattr(stub, rpc)
                return method(request, metadata=metadata(*authorization), timeout=10)
        raise AssertionError(f"no stub has {rpc}")


@asynccontextmanager
async def bare_stubs(service: RunningService) -> AsyncIterator[Stubs]:
    """Stubs on a channel that sends no credentials of its own."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        yield Stubs.on(channel)


async def new_key(service: RunningService, scope: Scope, org: str = "demo") -> NewKey:
    return await create_key(service.uow, org, [scope])


# Every RPC of the three services, with a request that succeeds for the demo key.
EVERY_RPC: dict[str, Message] = {
    "IssueMultiple": coupon_service_pb2.IssueMultipleRequest(
        seriesId=415446, count=1, customer={"mobile": DEMO_MOBILE}
    ),
    "BulkIssue": coupon_service_pb2.BulkIssueRequest(
        seriesIds=[415446, 535521], customer={"mobile": DEMO_MOBILE}
    ),
    "GetSeries": series_service_pb2.GetSeriesRequest(series_id=POOL_SERIES),
    "ListSeries": series_service_pb2.ListSeriesRequest(),
    "GetCustomer": customer_service_pb2.GetCustomerRequest(customer={"mobile": DEMO_MOBILE}),
    "ListCustomerCoupons": customer_service_pb2.ListCustomerCouponsRequest(
        customer={"mobile": DEMO_MOBILE}
    ),
    "CreateSeries": series_service_pb2.CreateSeriesRequest(
        series=series_service_pb2.Series(description="created by an auth test")
    ),
    "UploadCodes": series_service_pb2.UploadCodesRequest(
        series_id=POOL_SERIES, codes=["AUTH-TEST-1", "AUTH-TEST-2"]
    ),
    "CreateCustomer": customer_service_pb2.CreateCustomerRequest(
        customer=customer_service_pb2.Customer(mobile="447700900123")
    ),
    "UpdateCustomer": customer_service_pb2.UpdateCustomerRequest(
        customer_id=DEMO_CUSTOMER_ID, first_name="Mallory"
    ),
}


async def observed(call: Awaitable[Message]) -> str:
    """What a caller can see of a call's outcome, as text: the answer, or the status with every
    detail it carries."""
    try:
        return "OK " + json_format.MessageToJson(await call, sort_keys=True)
    except grpc.aio.AioRpcError as error:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
        rich = "" if status is None else json_format.MessageToJson(status, sort_keys=True)
        return f"{error.code().name} {error.details()} {rich}"
