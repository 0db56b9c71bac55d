"""The Starlette application: routes, and every failure rendered as the documented envelope."""

from __future__ import annotations

import logging
import math

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coupon.v1 import common_pb2

from ...domain.errors import AccessDenied, CouponServiceError, Unavailable
from ...service.unit_of_work import StoreUnavailable, UnitOfWork
from .. import converters
from ..failures import caller_error, log_unexpected
from ..metrics import ServiceMetrics
from .auth import CHALLENGE
from .errors import INTERNAL_ERROR_CODE, RequestRejected, http_status_for
from .health import HEALTHZ_PATH, READYZ_PATH, HealthEndpoints, Readiness
from .observing import ObservingMiddleware, note_code
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


def create_app(
    uow: UnitOfWork,
    resolve_org: OrgResolver,
    readiness: Readiness | None = None,
    metrics: ServiceMetrics | None = None,
) -> Starlette:
    endpoints = CouponEndpoints(uow, resolve_org)
    health = HealthEndpoints(readiness)
    return Starlette(
        routes=[
            Route(ISSUE_MULTIPLE_PATH, endpoints.issue_multiple, methods=["POST"]),
            Route(BULK_ISSUE_PATH, endpoints.bulk_issue, methods=["POST"]),
            Route(OPENAPI_PATH, openapi_document, methods=["GET"]),
            Route(HEALTHZ_PATH, health.healthz, methods=["GET"]),
            Route(READYZ_PATH, health.readyz, methods=["GET"]),
        ],
        # Observing first: it sees the answers of every other middleware and handler.
        middleware=[
            Middleware(ObservingMiddleware, metrics=metrics),
            Middleware(_UnexpectedErrors),
        ],
        exception_handlers={
            CouponServiceError: _coupon_error,
            AccessDenied: _access_denied,
            StoreUnavailable: _store_unavailable,
            RequestRejected: _rejected,
            HTTPException: _http_error,
        },
    )


def _envelope(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    entry = common_pb2.IssueError(status=False, code=code, message=message)
    return JSONResponse(error_envelope(entry), status_code=status, headers=headers)


async def _coupon_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, CouponServiceError)
    note_code(int(error.code))
    body = error_envelope(converters.error_entry(error))
    headers = None
    if isinstance(error, Unavailable):
        headers = {"Retry-After": str(max(1, math.ceil(error.retry_after_seconds)))}
    return JSONResponse(body, status_code=http_status_for(error), headers=headers)


async def _store_unavailable(request: Request, error: Exception) -> Response:
    """The database could not do the work (checking credentials, say): 503, retry."""
    known = caller_error(error)
    assert isinstance(known, CouponServiceError)
    return await _coupon_error(request, known)


async def _access_denied(_request: Request, error: Exception) -> Response:
    assert isinstance(error, AccessDenied)
    status = http_status_for(error)
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return _envelope(status, status, error.message, headers)


async def _rejected(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestRejected)
    note_code(int(error.code))
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
    note_code(code)
    return _envelope(error.status_code, code, message, headers)


class _UnexpectedErrors:
    """A bug, not the caller's fault: the caller gets a bare envelope, and the log gets the
    error once (Starlette's own last-resort handler would re-raise it to uvicorn, which logs
    it again, message and all)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as error:
            log_unexpected(logger, f"{scope['method']} {scope['path']}", error)
            if started:  # Too late for an envelope: the connection is closed mid-response.
                raise
            message = "Internal error: the request could not be completed"
            await _envelope(500, INTERNAL_ERROR_CODE, message)(scope, receive, send)
