"""GET /healthz (the process is up) and GET /readyz (it can serve), for HTTP probes.

/readyz answers what grpc.health.v1 answers at the same moment: both read the readiness
watch's latest probe, so neither asks the database per request. Neither needs credentials.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

HEALTHZ_PATH = "/healthz"
READYZ_PATH = "/readyz"
_NOT_CACHED = {"Cache-Control": "no-store"}


class Readiness(Protocol):
    """The latest readiness answer (the service's ReadinessWatch)."""

    @property
    def ready(self) -> bool: ...

    @property
    def reason(self) -> str: ...


class HealthEndpoints:
    """Without a readiness source (an application built alone, in a test) /readyz says SERVING."""

    def __init__(self, readiness: Readiness | None) -> None:
        self._readiness = readiness

    async def healthz(self, _request: Request) -> Response:
        return JSONResponse({"status": "SERVING"}, headers=_NOT_CACHED)

    async def readyz(self, _request: Request) -> Response:
        readiness = self._readiness
        if readiness is None or readiness.ready:
            return JSONResponse({"status": "SERVING"}, headers=_NOT_CACHED)
        body = {"status": "NOT_SERVING", "reason": readiness.reason or "not ready"}
        return JSONResponse(body, status_code=503, headers=_NOT_CACHED)
