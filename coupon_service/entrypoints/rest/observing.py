"""Observing every REST request: its Prometheus metrics and its access line, in one middleware.

It must be the application's outermost middleware, so that every answer the application gives
(the envelopes of refused requests and of bugs included) is counted and logged. Routes are
labelled by their template, and a request no route matched by "unmatched", never by its raw
path. Probes (/healthz, /readyz) are counted but write no access line. Requests the HTTP
layer refuses before the application sees them (not HTTP/1.1: 400, 431, or too slow: 408,
see protocol.py) are neither counted nor logged here.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...domain.validation import MAX_REQUEST_ID_LENGTH
from ...service.telemetry import begin_call, current_call, end_call
from ..access_log import ACCESS_LOG, log_access
from ..metrics import UNMATCHED_ROUTE, ServiceMetrics
from .health import HEALTHZ_PATH, READYZ_PATH

_IDEMPOTENCY_KEY = b"idempotency-key"
_UNANSWERED = 500  # What the caller is told when the application sends nothing (a bug).
# Probes, asked every few seconds: counted, but an access line each would drown the calls.
_QUIET_ROUTES = frozenset({HEALTHZ_PATH, READYZ_PATH})


def note_code(code: int) -> None:
    """Puts the documented code a request failed with in its access line."""
    record = current_call()
    if record is not None:
        record.code = code


class ObservingMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        metrics: ServiceMetrics | None = None,
        access_log: logging.Logger = ACCESS_LOG,
    ) -> None:
        self.app = app
        self._metrics = metrics
        self._access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record, token = begin_call()
        record.request_id = _idempotency_key(scope)  # The use case puts the valid one.
        status = _UNANSWERED

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            end_call(token)
            seconds = time.perf_counter() - started
            template = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            if self._metrics is not None:
                self._metrics.http_answered(template, status, seconds)
            if template not in _QUIET_ROUTES and self._access_log.isEnabledFor(logging.INFO):
                route = f"{scope['method']} {template}"
                log_access(self._access_log, ("route", route), status, record, seconds)


def _idempotency_key(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == _IDEMPOTENCY_KEY:
            return str(value[:MAX_REQUEST_ID_LENGTH].decode("latin-1"))
    return ""


__all__ = ["ObservingMiddleware", "note_code"]
