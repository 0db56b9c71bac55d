"""The REST compatibility shim: the two documented routes, their JSON, /openapi.json, and the
/healthz and /readyz probes."""

from __future__ import annotations

from .application import create_app
from .auth import caller_org_resolver
from .health import HEALTHZ_PATH, READYZ_PATH
from .routes import BULK_ISSUE_PATH, ISSUE_MULTIPLE_PATH, OPENAPI_PATH, OrgResolver
from .server import RestServer, start_rest_server

__all__ = [
    "BULK_ISSUE_PATH",
    "HEALTHZ_PATH",
    "ISSUE_MULTIPLE_PATH",
    "OPENAPI_PATH",
    "READYZ_PATH",
    "OrgResolver",
    "RestServer",
    "caller_org_resolver",
    "create_app",
    "start_rest_server",
]
