"""The shim's endpoints: documented JSON in, the use case gRPC also calls, documented JSON out."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterator
from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...domain.errors import RequestIdReused
from ...service import idempotency, issuing
from ...service.unit_of_work import UnitOfWork
from .. import converters
from . import bodies, messages, rendering

ISSUE_MULTIPLE_PATH = "/v2/coupon/issue/multiple"
BULK_ISSUE_PATH = "/v2/coupon/bulk/issue"
OPENAPI_PATH = "/openapi.json"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"

# Authenticates the request for the named operation and returns the caller's organisation.
OrgResolver = Callable[[Request, str], Awaitable[int]]


class CouponEndpoints:
    """POST /v2/coupon/issue/multiple and POST /v2/coupon/bulk/issue. Errors are raised, and
    turned into the documented envelope by the application's exception handlers."""

    def __init__(self, uow: UnitOfWork, resolve_org: OrgResolver) -> None:
        self.uow = uow
        self.resolve_org = resolve_org

    async def issue_multiple(self, request: Request) -> Response:
        org_id = await self.resolve_org(request, "IssueMultiple")
        body = await bodies.read_json_object(request)
        message = messages.issue_multiple_request(body, request.headers.get(IDEMPOTENCY_KEY_HEADER))
        issue = converters.issue_request(message)
        # No task of its own needed: the batch runs in the batcher's, which a client that hangs
        # up cannot cancel.
        with _naming_the_idempotency_header():
            result = await issuing.issue_multiple(self.uow, org_id, issue)
        response = converters.issue_multiple_response(result)
        several_series = converters.several_series(result)
        return JSONResponse(rendering.issue_multiple_json(response, several_series=several_series))

    async def bulk_issue(self, request: Request) -> Response:
        org_id = await self.resolve_org(request, "BulkIssue")
        body = await bodies.read_json_object(request)
        message = messages.bulk_issue_request(body, request.headers.get(IDEMPOTENCY_KEY_HEADER))
        issue = converters.bulk_issue_request(message)
        with _naming_the_idempotency_header():
            result = await issuing.bulk_issue(self.uow, org_id, issue)
        return JSONResponse(rendering.bulk_issue_json(converters.bulk_issue_response(result)))


@contextlib.contextmanager
def _naming_the_idempotency_header() -> Iterator[None]:
    """The use case names the key `requestId`; a REST caller sent it as a header."""
    try:
        yield
    except RequestIdReused:
        raise idempotency.request_id_reused(IDEMPOTENCY_KEY_HEADER) from None


@functools.cache
def openapi_bytes() -> bytes:
    """The checked-in OpenAPI 3.1 document that describes exactly this shim."""
    return resources.files(__package__).joinpath("openapi.json").read_bytes()


async def openapi_document(_request: Request) -> Response:
    return Response(openapi_bytes(), media_type="application/json")
