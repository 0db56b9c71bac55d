"""Domain errors -> google.rpc.Status with ErrorInfo, CouponErrorDetail and BadRequest."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

from coupon.v1 import errors_pb2

from ...domain.errors import AccessDenied, CouponServiceError, ErrorKind

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
    return status_pb2.Status(code=_GRPC_CODES[error.kind], message=error.message, details=details)


def grpc_code_for(error: CouponServiceError | AccessDenied) -> grpc.StatusCode:
    return {code.value[0]: code for code in grpc.StatusCode}[_GRPC_CODES[error.kind]]
