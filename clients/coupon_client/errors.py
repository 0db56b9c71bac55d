"""CouponError: a failed call, with the rich google.rpc.Status details already unpacked.

CouponError                 every failed call the client makes
    .status_code            the grpc.StatusCode (NOT_FOUND, INVALID_ARGUMENT, ...)
    .code                   the documented numeric code (701, 707, ...), 0 when the server sent none
    .reason / .domain       from google.rpc.ErrorInfo ("SERIES_INVALID", "coupon.v1")
    .metadata               ErrorInfo metadata ({"code": "707", "seriesId": "1"})
    .field_violations       google.rpc.BadRequest entries, for invalid requests
"""

from __future__ import annotations

import dataclasses

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from coupon.v1 import errors_pb2


@dataclasses.dataclass(frozen=True)
class FieldViolation:
    """One invalid field of a request, from google.rpc.BadRequest."""

    field: str
    description: str


class CouponError(Exception):
    """A call to the coupon service failed; the fields say how and why."""

    def __init__(
        self,
        status_code: grpc.StatusCode,
        message: str,
        *,
        code: int = 0,
        reason: str = "",
        domain: str = "",
        metadata: dict[str, str] | None = None,
        field_violations: tuple[FieldViolation, ...] = (),
    ) -> None:
        super().__init__(f"{status_code.name} {code}: {message}" if code else message)
        self.status_code = status_code
        self.message = message
        self.code = code
        self.reason = reason
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.field_violations = field_violations

    @property
    def fields(self) -> list[str]:
        """The names of the invalid fields, for validation failures."""
        return [violation.field for violation in self.field_violations]

    @classmethod
    def from_rpc_error(cls, error: grpc.aio.AioRpcError) -> CouponError:
        """Unpacks the rich status a failed call carries; a plain status gives a plain error."""
        try:
            # from_call only reads code(), details() and trailing_metadata(), which a finished
            # AioRpcError answers synchronously; the stubs ask for the sync grpc.Call.
            status = rpc_status.from_call(error)  # type: ignore[arg-type]
        except ValueError:  # The trailers contradict the status line: trust the status line.
            status = None
        if status is None:
            return cls(error.code(), error.details() or "")
        return cls._from_status(error.code(), status)

    @classmethod
    def _from_status(cls, status_code: grpc.StatusCode, status: status_pb2.Status) -> CouponError:
        info = error_details_pb2.ErrorInfo()
        detail = errors_pb2.CouponErrorDetail()
        bad_request = error_details_pb2.BadRequest()
        for packed in status.details:
            for message in (info, detail, bad_request):
                if packed.Is(message.DESCRIPTOR):
                    packed.Unpack(message)
        code = detail.code or _int_or_zero(info.metadata.get("code", ""))
        violations = tuple(
            FieldViolation(v.field, v.description) for v in bad_request.field_violations
        )
        return cls(
            status_code,
            detail.message or status.message,
            code=code,
            reason=info.reason,
            domain=info.domain,
            metadata=dict(info.metadata),
            field_violations=violations,
        )


def _int_or_zero(text: str) -> int:
    return int(text) if text.isdigit() else 0
