"""The uvicorn server that runs the REST shim as a task in the service's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from ..tls import TlsFiles
from .protocol import DEFAULT_IDLE_TIMEOUT_SECONDS, DEFAULT_REQUEST_TIMEOUT_SECONDS, ShimConfig


class _Server(uvicorn.Server):
    """A uvicorn server that leaves SIGINT and SIGTERM to the service, which stops gRPC and
    REST together; uvicorn's own handlers would replace the service's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class RestServer:
    """A started REST server; `stop` lets requests in flight finish."""

    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None], port: int) -> None:
        self._server = server
        self._task = task
        self.port = port

    async def stop(self, grace_seconds: float) -> None:
        # uvicorn counts whole seconds, and with 0 it reports a timeout even when idle.
        self._server.config.timeout_graceful_shutdown = max(1, math.ceil(grace_seconds))
        self._server.should_exit = True
        await self._task


def _listen(host: str, port: int) -> socket.socket:
    # Created with IPPROTO_TCP, not `socket.create_server`'s protocol 0: asyncio turns Nagle's
    # algorithm off on accepted connections only when the listener says it is TCP, and with it
    # on, every response after the first on a kept-alive connection waited ~40 ms for an ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(socket.SOMAXCONN)
    except OSError:
        listener.close()
        raise
    return listener


async def start_rest_server(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    request_timeout_seconds: float = DEFAULT_REQUEST_TIMEOUT_SECONDS,
    idle_timeout_seconds: int = DEFAULT_IDLE_TIMEOUT_SECONDS,
    tls: TlsFiles | None = None,
) -> RestServer:
    """Serves `app` on host:port (0 picks a free port); raises OSError when it cannot listen.

    A request (line, headers and body) must arrive within `request_timeout_seconds` of its
    first byte, or it is answered 408; a connection with no request started for
    `idle_timeout_seconds` (whole seconds, as uvicorn counts them) is closed. With `tls`, the
    port speaks HTTPS only (and with its client CA, requires a client certificate)."""
    # Binding here, not in uvicorn, turns a busy port into an OSError for the caller; uvicorn
    # would call sys.exit() inside its task, which escapes the whole event loop.
    listener = _listen(host, port)
    config = ShimConfig(
        app,
        request_timeout_seconds=request_timeout_seconds,
        idle_timeout_seconds=idle_timeout_seconds,
        tls=tls,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]), name="rest-server")
    while not server.started:
        if task.done():
            listener.close()
            task.result()
            raise OSError(f"the REST server on {host}:{port} stopped while starting")
        await asyncio.sleep(0.01)
    return RestServer(server, task, server.servers[0].sockets[0].getsockname()[1])
