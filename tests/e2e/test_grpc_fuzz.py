"""Fuzzing the gRPC door: hostile bytes on every method get a clean status, never UNKNOWN or
INTERNAL.

The fuzz sends, to every coupon.v1 method (found in the service descriptors), random bytes,
truncated and bit-flipped valid requests, and valid requests with one field set to an edge value
(the limits of its integer type, odd strings, a thousand repeats), with and without credentials.
The seed is fixed, so a failure names a case that replays exactly.
"""

from __future__ import annotations

import base64
import copy
import logging
import random
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import descriptor, message_factory, text_format, timestamp_pb2
from google.protobuf.message import DecodeError, Message
from grpc_health.v1 import health_pb2

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    series_service_pb2,
)
from coupon_service.app import RunningService
from tests.e2e.helpers.demo import DEMO_CUSTOMER_ID, DEMO_MOBILE, POOL_SERIES
from tests.e2e.helpers.raw_calls import (
    HEALTH_CHECK,
    WITH_DEMO_KEY,
    Method,
    coupon_v1_methods,
    raw_call,
)

SEED = 20260808
CLEAN_STATUSES = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.UNAVAILABLE,
}


def _page_token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


ODD_STRINGS = (
    "",
    " ",
    "\x00",
    "\t\r\n",
    "\u202e\u200b",
    "😀" * 60,
    "é" * 300,
    "x" * 10_000,
    "-1",
    "9223372036854775808",
    _page_token("after:9223372036854775808"),
    _page_token("after:-1"),
)
_SIGNED_32 = (-(2**31), -1, 0, 2**31 - 1)
_SIGNED_64 = (-(2**63), -(2**31) - 1, -1, 0, 2**31, 2**63 - 1)
_FD = descriptor.FieldDescriptor
EDGE_INTEGERS = {
    _FD.TYPE_INT32: _SIGNED_32,
    _FD.TYPE_SINT32: _SIGNED_32,
    _FD.TYPE_SFIXED32: _SIGNED_32,
    _FD.TYPE_ENUM: (-1, 0, 99, 2**31 - 1),
    _FD.TYPE_INT64: _SIGNED_64,
    _FD.TYPE_SINT64: _SIGNED_64,
    _FD.TYPE_SFIXED64: _SIGNED_64,
    _FD.TYPE_UINT32: (0, 2**32 - 1),
    _FD.TYPE_FIXED32: (0, 2**32 - 1),
    _FD.TYPE_UINT64: (0, 2**63, 2**64 - 1),
    _FD.TYPE_FIXED64: (0, 2**63, 2**64 - 1),
}
_FAR = timestamp_pb2.Timestamp(seconds=1_893_456_000)  # 2030-01-01
_METADATA = common_pb2.IssuanceMetadata(sourceType="POS", sourceId="store-7", notes="fuzz")


def _demo_requests() -> list[Message]:
    """One valid request of each type, naming the demo's series and customer, so that a mutation
    reaches past the first lookup."""
    return [
        coupon_service_pb2.IssueMultipleRequest(
            seriesId=415446,
            count=2,
            customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE),
            metadata=_METADATA,
            requestId="fuzz-issue",
        ),
        coupon_service_pb2.BulkIssueRequest(
            seriesIds=[415446, 535521],
            customer=common_pb2.CustomerRef(id=DEMO_CUSTOMER_ID),
            metadata=_METADATA,
        ),
        series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(
                description="fuzz series",
                discount_type=series_service_pb2.DISCOUNT_TYPE_ABS,
                discount_value=10,
                code_source=series_service_pb2.CODE_SOURCE_GENERATED,
                random_code_length=12,
                alpha_numeric=True,
                valid_till=_FAR,
                coupon_validity=series_service_pb2.COUPON_VALIDITY_DAYS_AFTER_ISSUE,
                valid_days_after_issue=30,
                max_create=1000,
                is_multiple_vouchers_per_user_allowed=True,
                max_vouchers_per_user=5,
                custom_property_map={"channel": "fuzz"},
            )
        ),
        series_service_pb2.GetSeriesRequest(series_id=415446),
        series_service_pb2.ListSeriesRequest(page_size=5, page_token=_page_token("after:1")),
        series_service_pb2.UploadCodesRequest(series_id=POOL_SERIES, codes=["FUZZ-A", "FUZZ-B"]),
        customer_service_pb2.CreateCustomerRequest(
            customer=customer_service_pb2.Customer(
                first_name="Fuzz",
                last_name="Tester",
                mobile="19990001111",
                email="fuzz@example.com",
                external_id="fuzz-1",
            )
        ),
        customer_service_pb2.UpdateCustomerRequest(
            customer_id=DEMO_CUSTOMER_ID, first_name="Abijith", last_name="Gupta"
        ),
        customer_service_pb2.GetCustomerRequest(
            customer=common_pb2.CustomerRef(id=DEMO_CUSTOMER_ID)
        ),
        customer_service_pb2.ListCustomerCouponsRequest(
            customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE), series_id=415446, page_size=10
        ),
    ]


def _filled(message_type: descriptor.Descriptor, depth: int = 0) -> Message:
    """A request with every field set, for a type no demo request covers."""
    filled = message_factory.GetMessageClass(message_type)()
    for field in message_type.fields:
        if field.message_type is not None:
            if depth < 3 and not _is_map(field):
                value = _filled(field.message_type, depth + 1)
                target = getattr(filled, field.name)
                (target.add() if _repeated(field) else target).CopyFrom(value)
            continue
        typical = _typical(field)
        if _repeated(field):
            getattr(filled, field.name).append(typical)
        elif field.containing_oneof is None or not filled.WhichOneof(field.containing_oneof.name):
            setattr(filled, field.name, typical)
    return filled


def _repeated(field: descriptor.FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _is_map(field: descriptor.FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _typical(field: descriptor.FieldDescriptor) -> object:
    if field.type == _FD.TYPE_STRING:
        return "fuzz"
    if field.type == _FD.TYPE_BYTES:
        return b"fuzz"
    if field.type == _FD.TYPE_BOOL:
        return True
    if field.type in (_FD.TYPE_FLOAT, _FD.TYPE_DOUBLE):
        return 1.5
    return 1


ISSUE_MULTIPLE = Method.of(
    coupon_service_pb2.DESCRIPTOR.services_by_name["CouponService"].methods_by_name["IssueMultiple"]
)


# --- mutations --------------------------------------------------------------------------------


def _flip_bits(rng: random.Random, data: bytes) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        mutated[rng.randrange(len(mutated))] ^= 1 << rng.randrange(8)
    return bytes(mutated)


def _fields_set(message: Message) -> Iterator[tuple[Message, descriptor.FieldDescriptor]]:
    for field, value in message.ListFields():
        yield message, field
        if field.message_type is not None and not _is_map(field):
            for nested in value if _repeated(field) else (value,):
                yield from _fields_set(nested)


def _edge_values(field: descriptor.FieldDescriptor) -> tuple[object, ...]:
    if field.type == _FD.TYPE_STRING:
        return ODD_STRINGS
    return EDGE_INTEGERS.get(field.type, ())


def _with_edge_value(rng: random.Random, valid: Message) -> tuple[str, bytes] | None:
    """A copy of `valid` with one field (at any depth) set to an edge value of its type; None
    when `valid` has no field to vary."""
    mutated = copy.deepcopy(valid)
    candidates = [(m, f) for m, f in _fields_set(mutated) if _edge_values(f) or _repeated(f)]
    if not candidates:
        return None
    owner, field = rng.choice(candidates)
    target = getattr(owner, field.name)
    if _is_map(field):
        target.update({f"key-{n}": ODD_STRINGS[n % len(ODD_STRINGS)] for n in range(1000)})
        return f"{field.full_name} with 1000 entries", mutated.SerializeToString()
    if _repeated(field):
        for _ in range(1000):
            if field.message_type is None:
                target.append(target[0])
            else:
                target.add().CopyFrom(target[0])
        return f"{field.full_name} repeated 1000 times", mutated.SerializeToString()
    value = rng.choice(_edge_values(field))
    setattr(owner, field.name, value)
    return f"{field.full_name} = {value!r:.40}", mutated.SerializeToString()


def hostile_payloads(rng: random.Random, valid: Message, rounds: int) -> list[tuple[str, bytes]]:
    """`rounds` cases of each kind: random, truncated, bit-flipped and edge-valued (the last
    three only for a request with fields set)."""
    raw = valid.SerializeToString()
    cases: list[tuple[str, bytes]] = []
    for _ in range(rounds):
        cases.append(("random bytes", rng.randbytes(rng.randint(1, 80))))
        if raw:
            cases.append(("truncated", raw[: rng.randrange(len(raw))]))
            cases.append(("bit-flipped", _flip_bits(rng, raw)))
        edge_valued = _with_edge_value(rng, valid)
        if edge_valued:
            cases.append(edge_valued)
    return cases


# --- calls ------------------------------------------------------------------------------------


def _follow_up(method: Method, response: bytes) -> bytes | None:
    """An IssueMultiple request that what `method` just created must allow: a series it accepted
    must be able to issue, a customer it accepted must be able to receive."""
    if method.operation == "CreateSeries":
        series_id = series_service_pb2.Series.FromString(response).id
        customer_id = DEMO_CUSTOMER_ID
    elif method.operation == "CreateCustomer":
        series_id = 415446
        customer_id = customer_service_pb2.Customer.FromString(response).id
    else:
        return None
    request = coupon_service_pb2.IssueMultipleRequest(
        seriesId=series_id, customer=common_pb2.CustomerRef(id=customer_id)
    )
    return request.SerializeToString()


def _decoded(request_type: type[Message], payload: bytes) -> str:
    try:
        request = request_type.FromString(payload)
    except DecodeError:
        return "(undecodable)"
    return text_format.MessageToString(request, as_one_line=True)[:300]


def _server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The server's ERROR lines with their tracebacks, once each."""
    seen: dict[str, None] = {}
    for record in caplog.records:
        if record.levelno >= logging.ERROR:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            seen.setdefault(text, None)
    return list(seen)


async def test_hostile_bytes_on_every_method_get_a_clean_status(
    service: RunningService, plain_channel: grpc.aio.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(SEED)
    seeds = {type(request).DESCRIPTOR.full_name: request for request in _demo_requests()}
    unclean: list[str] = []
    methods = coupon_v1_methods()
    for method in methods:
        name = method.input_type.full_name
        valid = seeds.get(name) or _filled(method.input_type)
        runs = (
            ("demo key", WITH_DEMO_KEY, hostile_payloads(rng, valid, rounds=25)),
            ("no credentials", (), hostile_payloads(rng, valid, rounds=4)),
        )
        for credentials, metadata, cases in runs:
            for case, payload in cases:
                answer = await raw_call(plain_channel, method.path, payload, metadata)
                calls = [(method, case, payload, answer)]
                follow_up = answer.response and _follow_up(method, answer.response)
                if follow_up:
                    issued = await raw_call(plain_channel, ISSUE_MULTIPLE.path, follow_up, metadata)
                    calls.append((ISSUE_MULTIPLE, f"after {method.operation}", follow_up, issued))
                unclean.extend(
                    f"{called.path} ({credentials}, {what}): {got.code.name} {got.details!r}\n"
                    f"  bytes {sent.hex()[:200]}\n"
                    f"  decoded {_decoded(called.request_type, sent)}"
                    for called, what, sent, got in calls
                    if got.code not in CLEAN_STATUSES
                )
    errors = "\n".join(_server_errors(caplog))
    assert not unclean, f"{len(unclean)} unclean answers:\n" + "\n".join(unclean) + "\n" + errors

    # The server still answers normally.
    stub = coupon_service_pb2_grpc.CouponServiceStub(plain_channel)
    issued = await stub.IssueMultiple(
        coupon_service_pb2.IssueMultipleRequest(
            seriesId=535521, customer=common_pb2.CustomerRef(id=DEMO_CUSTOMER_ID)
        ),
        metadata=WITH_DEMO_KEY,
    )
    assert issued.successCount == 1
    checked = await raw_call(
        plain_channel, HEALTH_CHECK, health_pb2.HealthCheckRequest(service="").SerializeToString()
    )
    status = health_pb2.HealthCheckResponse.FromString(checked.response).status
    assert status == health_pb2.HealthCheckResponse.SERVING
