"""Authentication on the REST door: the caller's organisation, and the challenge of a 401. The
twin of `grpc/auth.py`: the same Authenticator, the same check, the same scopes."""

from __future__ import annotations

from starlette.requests import Request

from ...service.auth import Authenticator
from .routes import OrgResolver

# The WWW-Authenticate value of an HTTP 401: both schemes this service accepts.
CHALLENGE = 'Basic realm="coupon-service", Bearer realm="coupon-service"'


def caller_org_resolver(authenticator: Authenticator) -> OrgResolver:
    """The endpoints' OrgResolver: authenticates the request's Authorization headers for the
    named operation, raising AccessDenied (a 401 with CHALLENGE, or a 403)."""

    async def caller_org(request: Request, operation: str) -> int:
        values = request.headers.getlist("authorization")
        return (await authenticator.authorize_headers(values, operation)).org_id

    return caller_org


__all__ = ["CHALLENGE", "caller_org_resolver"]
