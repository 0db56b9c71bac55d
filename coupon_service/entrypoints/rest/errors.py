"""Domain errors -> HTTP statuses, in one place: the REST twin of `grpc/errors.py`.

Exception
└── RequestRejected       refused at the HTTP layer before any use case runs:
                          body too large (413), wrong content type (415), body too slow (408),
                          unknown route (404), wrong method (405)

Everything wrong *inside* a well-formed body (bad JSON, wrong types, two customer identifiers)
is a domain `InvalidRequest` (629), so it maps through `http_status_for` like every other rule.
A domain `AccessDenied` (401/403) has no documented code; its envelope carries the status.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...domain.errors import AccessDenied, CouponServiceError, ErrorCode, ErrorKind

_HTTP_STATUSES: dict[ErrorKind, int] = {
    ErrorKind.INVALID_ARGUMENT: 400,  # 756, 677, 629
    ErrorKind.NOT_FOUND: 404,  # 701, 707
    ErrorKind.ALREADY_EXISTS: 409,  # 709
    ErrorKind.FAILED_PRECONDITION: 400,  # 713, 679, and 629 for a reused Idempotency-Key
    # A call that issued nothing (626, 621, 702, 678) is a 400, never a 429 or a 5xx: legacy
    # callers read those as "retry later", and retrying cannot make an exhausted series issue.
    ErrorKind.RESOURCE_EXHAUSTED: 400,
    ErrorKind.ABORTED: 400,
    # The database could not commit: nothing was written, and retrying is the right thing.
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.PERMISSION_DENIED: 403,
}

INTERNAL_ERROR_CODE = 500
"""The envelope code of an unexpected failure. The documents define none; this is the status."""


def http_status_for(error: CouponServiceError | AccessDenied) -> int:
    """The HTTP status of a failed call, by its kind (the README's Errors and the REST shim)."""
    return _HTTP_STATUSES[error.kind]


class RequestRejected(Exception):
    """A request refused before it reaches a use case; the envelope code is always 629."""

    code = ErrorCode.INVALID_INPUT

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
