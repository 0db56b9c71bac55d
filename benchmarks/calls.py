"""The calls a client process makes: echo, IssueMultiple, BulkIssue, UploadCodes, RedeemCoupon,
REST issue.

Each factory returns a `harness.Call`: `call(caller_index, ticket)` returns the units it
produced. Requests are built before the clock starts where they can be (one per demo load
customer; RedeemCoupon and UploadCodes one per ticket), so the client spends its CPU on the
calls. The customer is the ticket modulo the 100 demo load customers, so every caller spreads
over all of them (RedeemCoupon: the holder of the ticket's code, dealt out the same way by
redeem.py). Caller `i` uses channel (or server) `i % len(targets)`, which splits the callers
evenly over the replicas.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

import grpc

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    series_service_pb2,
)
from coupon_service.demo import DEMO_KEY_ID, DEMO_KEY_SECRET, LOAD_CUSTOMER_MOBILES

from .harness import Call
from .rest_client import Connection, HttpError, basic_authorization, post_request
from .server_process import ECHO_METHOD

AUTHORIZATION = basic_authorization(DEMO_KEY_ID, DEMO_KEY_SECRET)
METADATA = (("authorization", AUTHORIZATION),)
CALL_TIMEOUT_S = 30.0
UPLOAD_TIMEOUT_S = 120.0
REST_ISSUE_PATH = "/v2/coupon/issue/multiple"
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]


def classify(error: BaseException) -> str:
    """The name a failed call is counted under: the gRPC status, the HTTP status, the type."""
    if isinstance(error, grpc.aio.AioRpcError):
        return error.code().name
    if isinstance(error, HttpError):
        return str(error)
    return type(error).__name__


def mobile(ticket: int) -> str:
    return LOAD_CUSTOMER_MOBILES[ticket % len(LOAD_CUSTOMER_MOBILES)]


def upload_codes(prefix: str, chunk: int, ticket: int) -> list[str]:
    """The codes ticket `ticket` uploads: distinct across tickets, runs and stores."""
    return [f"{prefix}{number:09d}" for number in range(ticket * chunk, (ticket + 1) * chunk)]


def echo_call(channels: list[grpc.aio.Channel]) -> Call:
    methods: list[grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]] = [
        channel.unary_unary(ECHO_METHOD) for channel in channels
    ]

    async def call(caller: int, _ticket: int) -> int:
        await methods[caller % len(methods)](b"", timeout=CALL_TIMEOUT_S, metadata=METADATA)
        return 1

    return call


def issue_call(
    channels: list[grpc.aio.Channel],
    series_id: int,
    count: int,
    codes: list[str] | None,
    partial: Counter[str],
) -> Call:
    """IssueMultiple; keeps the codes in `codes` (unless None) and counts short answers."""
    stubs = [coupon_service_pb2_grpc.CouponServiceStub(channel) for channel in channels]
    requests = [
        coupon_service_pb2.IssueMultipleRequest(
            seriesId=series_id, count=count, customer=common_pb2.CustomerRef(mobile=number)
        )
        for number in LOAD_CUSTOMER_MOBILES
    ]

    async def call(caller: int, ticket: int) -> int:
        stub = stubs[caller % len(stubs)]
        request = requests[ticket % len(requests)]
        response = await stub.IssueMultiple(request, timeout=CALL_TIMEOUT_S, metadata=METADATA)
        if codes is not None:
            codes.extend(coupon.code for coupon in response.coupons)
        if response.successCount < count:
            partial.update(f"short answer {error.code}" for error in response.errors)
        return int(response.successCount)

    return call


def bulk_call(channels: list[grpc.aio.Channel], series_ids: tuple[int, ...]) -> Call:
    stubs = [coupon_service_pb2_grpc.CouponServiceStub(channel) for channel in channels]
    requests = [
        coupon_service_pb2.BulkIssueRequest(
            seriesIds=series_ids, customer=common_pb2.CustomerRef(mobile=number)
        )
        for number in LOAD_CUSTOMER_MOBILES
    ]

    async def call(caller: int, ticket: int) -> int:
        stub = stubs[caller % len(stubs)]
        request = requests[ticket % len(requests)]
        response = await stub.BulkIssue(request, timeout=CALL_TIMEOUT_S, metadata=METADATA)
        return len(response.response) - int(response.failureCount)

    return call


def upload_call(
    channels: list[grpc.aio.Channel], series_id: int, requests: dict[int, bytes]
) -> Call:
    """UploadCodes of prebuilt, serialized requests, one per ticket."""
    methods: list[grpc.aio.UnaryUnaryMultiCallable[bytes, series_service_pb2.UploadCodesResponse]]
    methods = [
        channel.unary_unary(
            "/coupon.v1.SeriesService/UploadCodes",
            response_deserializer=series_service_pb2.UploadCodesResponse.FromString,
        )
        for channel in channels
    ]

    async def call(caller: int, ticket: int) -> int:
        method = methods[caller % len(methods)]
        response = await method(requests[ticket], timeout=UPLOAD_TIMEOUT_S, metadata=METADATA)
        return int(response.uploaded_count)

    return call


def upload_requests(series_id: int, prefix: str, chunk: int, tickets: range) -> dict[int, bytes]:
    return {
        ticket: series_service_pb2.UploadCodesRequest(
            series_id=series_id, codes=upload_codes(prefix, chunk, ticket)
        ).SerializeToString()
        for ticket in tickets
    }


def redeem_requests(
    redemptions: Sequence[tuple[str, str]],
    warmup: Sequence[tuple[str, str]],
    tickets: range,
) -> dict[int, coupon_service_pb2.RedeemCouponRequest]:
    """RedeemCoupon of this process's tickets (`redemptions[t]`) and of its warm-up tickets
    (-len(warmup) to -1): one distinct (code, holder's mobile) per ticket."""
    pairs = {ticket: redemptions[ticket] for ticket in tickets}
    pairs.update(zip(range(-len(warmup), 0), warmup, strict=True))
    return {
        ticket: coupon_service_pb2.RedeemCouponRequest(
            code=code, customer=common_pb2.CustomerRef(mobile=holder)
        )
        for ticket, (code, holder) in pairs.items()
    }


def redeem_call(
    channels: list[grpc.aio.Channel],
    requests: dict[int, coupon_service_pb2.RedeemCouponRequest],
    kept: tuple[list[str], list[int]] | None,
) -> Call:
    """RedeemCoupon of each ticket's own code; keeps the code and id of each redemption made in
    `kept` (unless None). A refusal (906 used up, …) fails the call, so it counts as an error."""
    stubs = [coupon_service_pb2_grpc.CouponServiceStub(channel) for channel in channels]

    async def call(caller: int, ticket: int) -> int:
        stub = stubs[caller % len(stubs)]
        response = await stub.RedeemCoupon(
            requests[ticket], timeout=CALL_TIMEOUT_S, metadata=METADATA
        )
        if kept is not None:
            kept[0].append(response.redemption.code)
            kept[1].append(response.redemption.id)
        return 1

    return call


def rest_call(
    targets: list[str], series_id: int, count: int, connections: list[Connection]
) -> Call:
    """POST /v2/coupon/issue/multiple over one keep-alive connection per caller."""
    by_target: list[list[bytes]] = []
    for target in targets:
        bodies = (
            json.dumps({"seriesId": series_id, "count": count, "customer": {"mobile": m}})
            for m in LOAD_CUSTOMER_MOBILES
        )
        by_target.append(
            [post_request(target, REST_ISSUE_PATH, AUTHORIZATION, b.encode()) for b in bodies]
        )

    async def call(caller: int, ticket: int) -> int:
        requests = by_target[caller % len(by_target)]
        body = await connections[caller].request(requests[ticket % len(requests)])
        return int(json.loads(body)["successCount"])

    return call


def rest_connections(targets: list[str], concurrency: int) -> list[Connection]:
    pairs = [target.rsplit(":", 1) for target in targets]
    return [
        Connection(pairs[i % len(pairs)][0], int(pairs[i % len(pairs)][1]), CALL_TIMEOUT_S)
        for i in range(concurrency)
    ]
