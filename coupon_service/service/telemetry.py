"""What the use cases tell the outside about their work: the telemetry port issuing reports to,
and the record of the call in progress that its access line is written from. No I/O here: the
Prometheus side lives in entrypoints/metrics.py, the access lines in the entry points.

The record of a call is made by the front door (the gRPC interceptor, the REST middleware)
and filled as the call goes: its organisation by the credential check, its request id by the
use case, its batch by the batcher, its documented code by the door's error mapping.
"""

from __future__ import annotations

import contextvars
import dataclasses
import weakref
from collections.abc import Mapping, Sequence
from typing import Protocol

from ..domain.model import CodeSource

SeriesKey = tuple[int, int]  # (org_id, series_id)
IssuedKey = tuple[int, int, CodeSource]  # (org_id, series_id, the series' code source)
# (org_id, the series as text, "" when the failure names no known series, documented code)
FailureKey = tuple[int, str, int]


@dataclasses.dataclass(slots=True)
class CallRecord:
    """What one call's access line says beyond its method, outcome and duration."""

    org: str = ""  # The caller's organisation name; "" until its credentials are checked.
    request_id: str = ""
    code: int = 0  # The documented coupon error code the call failed with; 0 otherwise.
    batch_size: int = 0  # The size of the issuing batch it ran in; 0 when it did not batch.
    batch_wait_seconds: float = 0.0


# A mutable record, so that tasks started for the call (which get a copy of the context)
# fill the same one.
_current_call: contextvars.ContextVar[CallRecord | None] = contextvars.ContextVar(
    "coupon_call_record", default=None
)


def begin_call() -> tuple[CallRecord, contextvars.Token[CallRecord | None]]:
    """A new record for the call this task serves; `end_call` with the token when it ends."""
    record = CallRecord()
    return record, _current_call.set(record)


def end_call(token: contextvars.Token[CallRecord | None]) -> None:
    _current_call.reset(token)


def current_call() -> CallRecord | None:
    """The record of the call this task serves; None outside a front door (tests, the CLI)."""
    return _current_call.get()


class IssueTelemetry(Protocol):
    """What issuing reports; each method is called once per batch or call, never per coupon."""

    def batch_ran(self, size: int, waits: Sequence[float]) -> None:
        """A batch of `size` calls started; `waits`: how long each waited in the queue (s)."""
        ...

    def coupons_issued(self, issued: Mapping[IssuedKey, int]) -> None:
        """Coupons newly issued and committed; a replayed request id reports none."""
        ...

    def issue_failed(self, failures: Mapping[FailureKey, int]) -> None:
        """Failed entries of issuing calls (a whole call's failure is one), by documented code."""
        ...

    def pools_left(self, remaining: Mapping[SeriesKey, int]) -> None:
        """How many uploaded codes the named UPLOADED series have left, as just committed."""
        ...


class NoTelemetry:
    """The default: reports go nowhere."""

    def batch_ran(self, size: int, waits: Sequence[float]) -> None:
        pass

    def coupons_issued(self, issued: Mapping[IssuedKey, int]) -> None:
        pass

    def issue_failed(self, failures: Mapping[FailureKey, int]) -> None:
        pass

    def pools_left(self, remaining: Mapping[SeriesKey, int]) -> None:
        pass


NO_TELEMETRY = NoTelemetry()

# By unit of work, like its batchers: the use cases take a unit of work and nothing else, and
# two services in one process (tests, replicas) must not count each other's calls.
_telemetry: weakref.WeakKeyDictionary[object, IssueTelemetry] = weakref.WeakKeyDictionary()


def attach_telemetry(uow: object, telemetry: IssueTelemetry) -> None:
    """Makes the use cases working on `uow` report to `telemetry`; before its first call."""
    _telemetry[uow] = telemetry


def telemetry_of(uow: object) -> IssueTelemetry:
    return _telemetry.get(uow, NO_TELEMETRY)
