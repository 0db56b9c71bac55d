"""Failures -> google.rpc.Status with ErrorInfo, CouponErrorDetail, BadRequest and RetryInfo.

`abort_for` is the gRPC door's one place that decides what a failed call answers.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from coupon.v1 import errors_pb2

from ...domain.errors import AccessDenied, CouponServiceError, ErrorKind, Unavailable
from ..failures import caller_error, log_unexpected

ERROR_DOMAIN = "coupon.v1"

_GRPC_CODES = {
    ErrorKind.INVALID_ARGUMENT: code_pb2.INVALID_ARGUMENT,
    ErrorKind.NOT_FOUND: code_pb2.NOT_FOUND,
    ErrorKind.ALREADY_EXISTS: code_pb2.ALREADY_EXISTS,
    ErrorKind.FAILED_PRECONDITION: code_pb2.FAILED_PRECONDITION,
    ErrorKind.RESOURCE_EXHAUSTED: code_pb2.RESOURCE_EXHAUSTED,
    ErrorKind.ABORTED: code_pb2.ABORTED,
    ErrorKind.UNAVAILABLE: code_pb2.UNAVAILABLE,
    ErrorKind.UNAUTHENTICATED: code_pb2.UNAUTHENTICATED,
    ErrorKind.PERMISSION_DENIED: code_pb2.PERMISSION_DENIED,
}


def _packed(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def status_for(error: CouponServiceError | AccessDenied) -> status_pb2.Status:
    """The rich status a failed call sends: the same shape for every error."""
    if isinstance(error, AccessDenied):
        # No documented code exists for these, so there is no CouponErrorDetail to send.
        info = error_details_pb2.ErrorInfo(
            reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
        )
        return status_pb2.Status(
            code=_GRPC_CODES[error.kind], message=error.message, details=[_packed(info)]
        )
    metadata = {"code": str(int(error.code)), **error.metadata}
    details = [
        _packed(
            error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=metadata)
        ),
        _packed(
            errors_pb2.CouponErrorDetail(
                code=int(error.code),
                message=error.message,
                error_code=int(error.code),  # type: ignore[arg-type]
                status=False,
            )
        ),
    ]
    if error.kind is ErrorKind.INVALID_ARGUMENT:
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=error.field or "", description=error.message
        )
        details.append(_packed(error_details_pb2.BadRequest(field_violations=[violation])))
    if isinstance(error, Unavailable):
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(round(error.retry_after_seconds * 1000))
        details.append(_packed(error_details_pb2.RetryInfo(retry_delay=delay)))
    return status_pb2.Status(code=_GRPC_CODES[error.kind], message=error.message, details=details)


async def abort_for(
    context: grpc.aio.ServicerContext[Any, Any],
    error: BaseException,
    operation: str,
    logger: logging.Logger,
) -> NoReturn:
    """Ends the call with the status `error` deserves; a bug is logged once and told INTERNAL."""
    known = caller_error(error)
    if known is not None:
        await context.abort_with_status(rpc_status.to_status(status_for(known)))
    log_unexpected(logger, operation, error)
    await context.abort(grpc.StatusCode.INTERNAL, "internal error")
