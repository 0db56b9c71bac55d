"""Failed calls and per-series error entries, turned into the typed exceptions of errors.py.

The one place, for both client flavours, that reads a google.rpc.Status (ErrorInfo,
CouponErrorDetail, BadRequest, RetryInfo) and picks the exception class.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from coupon.v1 import common_pb2, errors_pb2

from .errors import (
    AlreadyExists,
    CouponError,
    DeadlineExceeded,
    FieldViolation,
    InvalidRequest,
    IssueFailed,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)

ERROR_DOMAIN = "coupon.v1"

# The class of a failure whose code the client does not know (or that has none).
_BY_STATUS: dict[grpc.StatusCode, type[CouponError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidRequest,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.ABORTED: IssueFailed,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
}


class _FinishedCall(Protocol):
    """What both a sync grpc.RpcError and a grpc.aio.AioRpcError answer once a call ended."""

    def code(self) -> grpc.StatusCode: ...
    def details(self) -> str | None: ...
    def trailing_metadata(self) -> Any: ...


def _documented_classes(root: type[CouponError] = CouponError) -> list[type[CouponError]]:
    """Every class of the tree, parents before children, in the order errors.py defines them."""
    found: list[type[CouponError]] = []
    for child in root.__subclasses__():
        found += [child, *_documented_classes(child)]
    return found


_CLASSES = _documented_classes()


def error_class(code: int, status_code: grpc.StatusCode | None) -> type[CouponError]:
    """The class for a documented `code`; where several share it (629, 678) the one of the
    status; an unknown code falls back to the status' class, then to CouponError."""
    candidates = [cls for cls in _CLASSES if code in cls.codes]
    for cls in candidates:
        if cls.grpc_status is status_code:
            return cls
    if candidates:
        return candidates[0]
    if status_code is None:
        return CouponError
    return _BY_STATUS.get(status_code, CouponError)


def status_of(error: grpc.RpcError) -> grpc.StatusCode:
    return cast(_FinishedCall, error).code()


def from_rpc_error(error: grpc.RpcError) -> CouponError:
    """The typed exception for a failed call, its rich status unpacked when it carries one."""
    call = cast(_FinishedCall, error)
    try:
        # from_call only reads code(), details() and trailing_metadata(), which both flavours'
        # finished errors answer; the stubs ask for the sync grpc.Call.
        status = rpc_status.from_call(cast(grpc.Call, call))
    except ValueError:  # The trailers contradict the status line: trust the status line.
        status = None
    if status is None:
        status = status_pb2.Status(message=call.details() or "")
    return _from_status(call.code(), status)


def _from_status(status_code: grpc.StatusCode, status: status_pb2.Status) -> CouponError:
    info = error_details_pb2.ErrorInfo()
    detail = errors_pb2.CouponErrorDetail()
    bad_request = error_details_pb2.BadRequest()
    retry_info = error_details_pb2.RetryInfo()
    for packed in status.details:
        for message in (info, detail, bad_request, retry_info):
            if packed.Is(message.DESCRIPTOR):
                packed.Unpack(message)
    code = detail.code or _int_or_zero(info.metadata.get("code", ""))
    violations = tuple(FieldViolation(v.field, v.description) for v in bad_request.field_violations)
    retry_after = retry_info.retry_delay.ToTimedelta().total_seconds()
    return error_class(code, status_code)(
        detail.message or status.message,
        code=code,
        status_code=status_code,
        reason=info.reason,
        domain=info.domain,
        metadata=info.metadata,
        field_violations=violations,
        retry_after=retry_after if retry_info.HasField("retry_delay") else None,
    )


def from_issue_error(entry: common_pb2.IssueError, series_id: int) -> CouponError:
    """The typed exception (not raised) for one entry of a response's `errors`, as the
    server's own status for that code would have said it."""
    cls = error_class(entry.code, None)
    reason = errors_pb2.ErrorCode.Name(entry.code) if _documented(entry.code) else ""
    return cls(
        entry.message,
        code=entry.code,
        reason=reason.removeprefix("ERROR_CODE_"),
        domain=ERROR_DOMAIN,
        metadata={"code": str(entry.code), "seriesId": str(series_id)},
    )


def _documented(code: int) -> bool:
    return code in errors_pb2.ErrorCode.values() and code != errors_pb2.ERROR_CODE_UNSPECIFIED


def _int_or_zero(text: str) -> int:
    return int(text) if text.isdigit() else 0
