"""What a failed call tells its caller, the same for both doors.

A domain error (CouponServiceError, AccessDenied) is told as it is. A database that could not
do the work (StoreUnavailable, from the adapters' one table of such failures) is told as the
domain's Unavailable: nothing was written, retry. Anything else is a bug: the caller learns
only that, and the log gets it once, without the exception's message, which may quote the
data of the call (a mobile, an email) or of the database.
"""

from __future__ import annotations

import logging
import traceback

from ..domain.errors import AccessDenied, CouponServiceError, store_unavailable
from ..service.unit_of_work import StoreConflict, StoreUnavailable


def caller_error(error: BaseException) -> CouponServiceError | AccessDenied | None:
    """The error to answer `error` with, or None when `error` is a bug."""
    if isinstance(error, CouponServiceError | AccessDenied):
        return error
    if isinstance(error, StoreUnavailable):
        return store_unavailable(conflict=isinstance(error, StoreConflict))
    return None


def log_unexpected(logger: logging.Logger, operation: str, error: BaseException) -> None:
    """One ERROR line with the stack and the exception types, never their messages."""
    kinds: list[str] = []
    cause: BaseException | None = error
    while cause is not None and len(kinds) < 5:
        kinds.append(type(cause).__qualname__)
        cause = cause.__cause__ or cause.__context__
    stack = "".join(traceback.format_tb(error.__traceback__))
    logger.error("%s failed with %s\n%s", operation, " <- ".join(kinds), stack.rstrip())
