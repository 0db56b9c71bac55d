"""The shim's HTTP/1.1 connections: uvicorn's h11 protocol with a deadline for each whole request,
and the documented envelope for every refusal made before the application sees a request.

uvicorn's own timers cover a connection only between a response and the next request's first
byte; a request line followed by one header line a second was waited for without end. Here a
connection is always in one of three states, each with at most one timer:

- receiving a request (its first bytes are in, its body is not complete): a deadline, from the
  first byte, after which the shim answers 408 and closes;
- idle (no request started): uvicorn's keep-alive timer, after which the connection is closed
  without a word, as uvicorn does;
- waiting for the application's answer: no timer, the caller has done its part.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any

import h11
import uvicorn
from starlette.responses import JSONResponse
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol
from uvicorn.server import ServerState

from coupon.v1 import common_pb2

from ...domain.errors import ErrorCode
from ..log_limits import RateLimitedLog
from ..tls import TlsFiles
from .rendering import error_envelope

DEFAULT_REQUEST_TIMEOUT_SECONDS = 10.0
DEFAULT_IDLE_TIMEOUT_SECONDS = 5

# h11 quotes the offending bytes after its reason ("illegal header line: bytearray(b'...')");
# the answer keeps the reason only.
_QUOTED_BYTES = re.compile(r":? (?:bytearray\()?b['\"].*", re.DOTALL)
_CAN_START_A_RESPONSE = frozenset({h11.IDLE, h11.SEND_RESPONSE})


class _RateLimitedWarnings:
    """uvicorn's connection logger, but its warnings (one per refused request: "Invalid HTTP
    request received.", "Unsupported upgrade request.") are written at most once per 10 s
    each, so a flood of bad requests cannot flood the log."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._limited = RateLimitedLog(logger)

    def warning(self, message: str, *args: object) -> None:
        self._limited.log(message, message, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


_UVICORN_LOG = _RateLimitedWarnings(logging.getLogger("uvicorn.error"))


class ShimConfig(uvicorn.Config):
    """uvicorn configured for the shim: h11 through `ShimProtocol`, no lifespan, no websockets,
    no Server header, the shim's two connection timeouts, and TLS when given its files."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        request_timeout_seconds: float = DEFAULT_REQUEST_TIMEOUT_SECONDS,
        idle_timeout_seconds: int = DEFAULT_IDLE_TIMEOUT_SECONDS,
        tls: TlsFiles | None = None,
    ) -> None:
        super().__init__(
            app,
            log_level="warning",
            log_config=None,
            lifespan="off",
            http=ShimProtocol,
            ws="none",
            server_header=False,
            timeout_keep_alive=idle_timeout_seconds,
            **(tls.uvicorn_options() if tls is not None else {}),
        )
        self.request_timeout_seconds = request_timeout_seconds


class ShimProtocol(H11Protocol):
    """One connection. The hooks run after uvicorn's handlers, once h11's state says where the
    connection stands, and arm the timer that state calls for."""

    def __init__(
        self,
        config: ShimConfig,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.logger = _UVICORN_LOG  # type: ignore[assignment]
        self.request_timeout_seconds = config.request_timeout_seconds
        self._request_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_timer()

    def data_received(self, data: bytes) -> None:
        was_receiving_body = self.conn.their_state is h11.SEND_BODY
        super().data_received(data)
        if was_receiving_body and self.conn.their_state is h11.IDLE:
            # The body of a request answered early ended here, and h11 moved on: any bytes now
            # buffered belong to the next request, which gets a deadline of its own.
            self._cancel_request_deadline()
        self._arm_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_request_deadline()
        self._unset_keepalive_if_required()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to bytes h11 refuses (a malformed request line, a NUL in a header,
        `Content-Length: -1`, headers over h11's limit); it calls this inside its `except
        h11.RemoteProtocolError`, which is how the error's reason and status hint reach here."""
        error = sys.exception()
        if not isinstance(error, h11.RemoteProtocolError):
            self._refuse(400, "Invalid input: the request is not valid HTTP/1.1")
        elif error.error_status_hint == 431:
            self._refuse(431, "Invalid input: the request line or headers are too large")
        else:
            # h11 hints 501 for a transfer coding it does not know; the fault is the caller's.
            reason = _QUOTED_BYTES.sub("", str(error)) or msg
            self._refuse(400, f"Invalid input: the request is not valid HTTP/1.1: {reason}")

    def _receiving_request(self) -> bool:
        their_state = self.conn.their_state
        if their_state is h11.SEND_BODY:
            return True
        return their_state is h11.IDLE and bool(self.conn.trailing_data[0])

    def _arm_timer(self) -> None:
        if self.transport.is_closing():
            self._cancel_request_deadline()
        elif self._receiving_request():
            self._unset_keepalive_if_required()
            if self._request_deadline is None:
                self._request_deadline = self.loop.call_later(
                    self.request_timeout_seconds, self._request_timed_out
                )
        else:
            self._cancel_request_deadline()
            if self.conn.their_state is h11.IDLE and self.timeout_keep_alive_task is None:
                self.timeout_keep_alive_task = self.loop.call_later(
                    self.timeout_keep_alive, self.timeout_keep_alive_handler
                )

    def _cancel_request_deadline(self) -> None:
        if self._request_deadline is not None:
            self._request_deadline.cancel()
            self._request_deadline = None

    def _request_timed_out(self) -> None:
        self._request_deadline = None
        seconds = f"{self.request_timeout_seconds:g}"
        self._refuse(408, f"Invalid input: the request did not arrive within {seconds} seconds")

    def _refuse(self, status: int, message: str) -> None:
        """Answers the request being received with the envelope, when no answer to it has
        begun, and closes the connection."""
        self._cancel_request_deadline()
        if self.cycle is not None and not self.cycle.response_complete:
            # The application is still at this request: what it reads next is a disconnect,
            # and what it answers goes nowhere, so nothing follows this answer.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if self.conn.our_state in _CAN_START_A_RESPONSE:
            code = ErrorCode.INVALID_INPUT
            entry = common_pb2.IssueError(status=False, code=code, message=message)
            rendered = JSONResponse(error_envelope(entry), status_code=status)
            headers = [
                *self.server_state.default_headers,
                *rendered.raw_headers,
                (b"connection", b"close"),
            ]
            head = h11.Response(status_code=status, headers=headers, reason=STATUS_PHRASES[status])
            self.transport.write(self.conn.send(head))
            self.transport.write(self.conn.send(h11.Data(data=bytes(rendered.body))))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()
