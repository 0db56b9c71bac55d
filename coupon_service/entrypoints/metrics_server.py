"""The metrics port: /metrics from the service's own registry, served in its event loop."""

from __future__ import annotations

from prometheus_client import make_asgi_app
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .metrics import ServiceMetrics
from .rest.server import RestServer, start_rest_server

METRICS_PATH = "/metrics"


def _only_metrics(app: ASGIApp) -> ASGIApp:
    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] != METRICS_PATH:
            answer = PlainTextResponse(f"metrics are served on {METRICS_PATH}\n", 404)
            await answer(scope, receive, send)
            return
        await app(scope, receive, send)

    return serve


async def start_metrics_server(metrics: ServiceMetrics, host: str, port: int) -> RestServer:
    """Serves `metrics` on http://host:port/metrics (0 picks a free port), in this event loop:
    a scrape reads values the loop writes, with no thread in between."""
    try:
        return await start_rest_server(_only_metrics(make_asgi_app(metrics.registry)), host, port)
    except OSError as error:
        reason = error.strerror or str(error)
        raise OSError(f"could not listen for metrics on {host}:{port}: {reason}") from error


__all__ = ["METRICS_PATH", "start_metrics_server"]
