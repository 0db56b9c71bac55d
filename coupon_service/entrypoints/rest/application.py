"""The Starlette application: routes, and every failure rendered as the documented envelope."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from coupon.v1 import common_pb2

from ...domain.errors import AccessDenied, CouponServiceError
from ...service.unit_of_work import UnitOfWork
from .. import converters
from .errors import INTERNAL_ERROR_CODE, RequestRejected, http_status_for
from .rendering import error_envelope
from .routes import (
    BULK_ISSUE_PATH,
    ISSUE_MULTIPLE_PATH,
    OPENAPI_PATH,
    CouponEndpoints,
    OrgResolver,
    openapi_document,
)

logger = logging.getLogger(__name__)
_CHALLENGE = 'Basic realm="coupon-service", Bearer realm="coupon-service"'


def create_app(uow: UnitOfWork, resolve_org: OrgResolver) -> Starlette:
    endpoints = CouponEndpoints(uow, resolve_org)
    return Starlette(
        routes=[
            Route(ISSUE_MULTIPLE_PATH, endpoints.issue_multiple, methods=["POST"]),
            Route(BULK_ISSUE_PATH, endpoints.bulk_issue, methods=["POST"]),
            Route(OPENAPI_PATH, openapi_document, methods=["GET"]),
        ],
        exception_handlers={
            CouponServiceError: _coupon_error,
            AccessDenied: _access_denied,
            RequestRejected: _rejected,
            HTTPException: _http_error,
            Exception: _unexpected_error,
        },
    )


def _envelope(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    entry = common_pb2.IssueError(status=False, code=code, message=message)
    return JSONResponse(error_envelope(entry), status_code=status, headers=headers)


async def _coupon_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, CouponServiceError)
    body = error_envelope(converters.error_entry(error))
    return JSONResponse(body, status_code=http_status_for(error))


async def _access_denied(_request: Request, error: Exception) -> Response:
    assert isinstance(error, AccessDenied)
    status = http_status_for(error)
    headers = {"WWW-Authenticate": _CHALLENGE} if status == 401 else None
    return _envelope(status, status, error.message, headers)


async def _rejected(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestRejected)
    return _envelope(error.status, int(error.code), error.message, error.headers)


async def _http_error(request: Request, error: Exception) -> Response:
    """Starlette's own refusals: an unknown route (404) or a wrong method (405)."""
    assert isinstance(error, HTTPException)
    where = f"{request.method} {request.url.path}"
    headers = dict(error.headers or {})
    if error.status_code == 404:
        message = f"Invalid input: there is no route {where}"
    elif error.status_code == 405:
        message = f"Invalid input: {where} is not allowed; use {headers.get('Allow', 'POST')}"
    else:
        message = f"Invalid input: {error.detail}"
    code = int(RequestRejected.code)
    return _envelope(error.status_code, code, message, headers)


async def _unexpected_error(request: Request, error: Exception) -> Response:
    """A bug, not the caller's fault: a bare envelope; Starlette re-raises the error afterwards
    so that uvicorn logs its traceback."""
    logger.error("%s %s failed with %s", request.method, request.url.path, type(error).__name__)
    message = "Internal error: the request could not be completed"
    return _envelope(500, INTERNAL_ERROR_CODE, message)
