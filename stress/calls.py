"""One issuing call with a request id, over gRPC or REST, retried by the same key until it has
a final answer; the status of every attempt is tallied.

A status is a short name: the gRPC code with the documented number from its ErrorInfo
("RESOURCE_EXHAUSTED 702"), or the HTTP status with the envelope's code ("HTTP 400 702").
OK and the documented refusals of a call that could issue nothing are final answers.
UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, HTTP 503 and lost connections are transient: the call
is retried by its key on the next replica, as the README says a caller may. Anything else
(INTERNAL, UNKNOWN, another 5xx, or a validation refusal of a request that is valid) is a
breach; it is retried a few times too, so that the key's coupons can still be checked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import grpc
import httpx
from google.rpc import error_details_pb2, status_pb2

from benchmarks.calls import METADATA, REST_ISSUE_PATH
from coupon.v1 import common_pb2, coupon_service_pb2

from .replicas import ATTEMPT_TIMEOUT_S, Replica

# The documented refusals of a call that issued nothing (the README's Errors): gRPC code, HTTP
# status.
_REFUSALS = {
    "621": ("RESOURCE_EXHAUSTED", 400),  # maxVouchersPerUser reached
    "626": ("RESOURCE_EXHAUSTED", 400),  # maxCreate reached
    "702": ("RESOURCE_EXHAUSTED", 400),  # uploaded pool empty
    "679": ("FAILED_PRECONDITION", 400),  # one per customer
    "709": ("ALREADY_EXISTS", 409),  # already holds one, doNotResendExistingVoucher
}
FINAL_STATUSES = frozenset(
    {"OK", "HTTP 200"}
    | {f"{grpc_code} {code}" for code, (grpc_code, _) in _REFUSALS.items()}
    | {f"HTTP {http} {code}" for code, (_, http) in _REFUSALS.items()}
)
# 678 on REST is the HTTP face of ABORTED: a batch that lost a conflict and wrote nothing.
_TRANSIENT = ("UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED", "HTTP 503", "HTTP 400 678")
_TRANSIENT_REST = ("HTTP connection lost", "HTTP timeout")
MAX_UNEXPECTED = 3  # attempts with a breach status before a key is given up
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.1, 1.0  # doubling between retries, with jitter
_STATUS_DETAILS = "grpc-status-details-bin"


def is_transient(status: str) -> bool:
    return status.startswith(_TRANSIENT) or status in _TRANSIENT_REST


def is_breach(status: str) -> bool:
    return status not in FINAL_STATUSES and not is_transient(status)


@dataclasses.dataclass(frozen=True)
class Call:
    """One logical call: what it asks for and the key every attempt at it carries."""

    key: str
    series_id: int
    count: int
    mobile: str
    rest: bool
    replica: int  # where its first attempt goes; each retry goes to the next replica


@dataclasses.dataclass(frozen=True)
class Answer:
    status: str
    codes: tuple[str, ...] = ()  # the coupons issued, in the answer's order


@dataclasses.dataclass
class Tally:
    """Every attempt's status, the latency of each answered attempt, each key's answer."""

    statuses: Counter[str] = dataclasses.field(default_factory=Counter)
    latencies: list[float] = dataclasses.field(default_factory=list)  # seconds
    answers: dict[str, tuple[Call, Answer]] = dataclasses.field(default_factory=dict)
    unanswered: list[Call] = dataclasses.field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(self.statuses.values())


async def settle(
    call: Call, replicas: Sequence[Replica], tally: Tally, give_up_s: float
) -> Answer | None:
    """Attempts `call` until it has a final answer; None when it was given up."""
    give_up_at = time.perf_counter() + give_up_s
    attempts = unexpected = 0
    while True:
        replica = replicas[(call.replica + attempts) % len(replicas)]
        began = time.perf_counter()
        answer = await (_rest_attempt if call.rest else _grpc_attempt)(replica, call)
        tally.statuses[answer.status] += 1
        if answer.status in FINAL_STATUSES:
            tally.latencies.append(time.perf_counter() - began)
            return answer
        unexpected += not is_transient(answer.status)
        attempts += 1
        if unexpected >= MAX_UNEXPECTED or time.perf_counter() >= give_up_at:
            return None
        backoff = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (attempts - 1))
        await asyncio.sleep(backoff * random.uniform(0.5, 1))


async def make(call: Call, replicas: Sequence[Replica], tally: Tally, give_up_s: float) -> None:
    """Settles `call` and records its answer (the first one seen) or that it had none."""
    answer = await settle(call, replicas, tally, give_up_s)
    if answer is None:
        tally.unanswered.append(call)
    else:
        tally.answers.setdefault(call.key, (call, answer))


async def _grpc_attempt(replica: Replica, call: Call) -> Answer:
    request = coupon_service_pb2.IssueMultipleRequest(
        seriesId=call.series_id,
        count=call.count,
        customer=common_pb2.CustomerRef(mobile=call.mobile),
        requestId=call.key,
    )
    try:
        response = await replica.coupons.IssueMultiple(
            request, timeout=ATTEMPT_TIMEOUT_S, metadata=METADATA
        )
    except grpc.aio.AioRpcError as error:
        return Answer(grpc_status(error))
    return Answer("OK", tuple(coupon.code for coupon in response.coupons))


def grpc_status(error: grpc.aio.AioRpcError) -> str:
    """The code's name, and the documented number when the status carries an ErrorInfo."""
    name = error.code().name
    for key, value in error.trailing_metadata() or ():
        if key != _STATUS_DETAILS or not isinstance(value, bytes):
            continue
        for detail in status_pb2.Status.FromString(value).details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info) and "code" in info.metadata:
                return f"{name} {info.metadata['code']}"
    return name


async def _rest_attempt(replica: Replica, call: Call) -> Answer:
    body = {"seriesId": call.series_id, "count": call.count, "customer": {"mobile": call.mobile}}
    try:
        response = await replica.http.post(
            REST_ISSUE_PATH, json=body, headers={"Idempotency-Key": call.key}
        )
    except httpx.TimeoutException:
        return Answer("HTTP timeout")
    except httpx.TransportError:
        return Answer("HTTP connection lost")
    try:
        document: Any = response.json()
    except ValueError:
        return Answer(f"HTTP {response.status_code} not JSON")
    try:
        if response.status_code == 200:
            return Answer("HTTP 200", tuple(coupon["code"] for coupon in document["coupons"]))
        return Answer(f"HTTP {response.status_code} {document['errors'][0]['code']}")
    except (KeyError, IndexError, TypeError):
        return Answer(f"HTTP {response.status_code} not the documented JSON")
