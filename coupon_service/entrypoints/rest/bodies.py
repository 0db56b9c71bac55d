"""Request bodies: size, time and content-type limits, and JSON decoding into an object.

Every failure is a RequestRejected (413, 415, 408) or a domain InvalidRequest (629, HTTP 400).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ...domain.errors import InvalidRequest, invalid_input
from .errors import RequestRejected

MAX_BODY_BYTES = 64 * 1024
BODY_TIMEOUT_SECONDS = 10.0


async def read_json_object(request: Request) -> Mapping[str, Any]:
    """The body as a JSON object, or RequestRejected / InvalidRequest saying what is wrong."""
    _check_content_type(request.headers.get("content-type"))
    return _decoded(await _read_limited(request))


def _check_content_type(header: str | None) -> None:
    if header is None:
        return  # A body without a declared type is read as JSON.
    media_type = header.partition(";")[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise RequestRejected(415, "Invalid input: Content-Type must be application/json")


async def _read_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
            async with contextlib.aclosing(request.stream()) as chunks:
                async for chunk in chunks:
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise _too_large()
    except TimeoutError:
        message = f"Invalid input: the body did not arrive within {BODY_TIMEOUT_SECONDS:g} seconds"
        raise RequestRejected(408, message) from None
    except ClientDisconnect:
        raise RequestRejected(400, "Invalid input: the client went away mid-body") from None
    return bytes(body)


def _too_large() -> RequestRejected:
    return RequestRejected(413, f"Invalid input: the body is larger than {MAX_BODY_BYTES} bytes")


def _decoded(raw: bytes) -> Mapping[str, Any]:
    if not raw.strip():
        raise invalid_input("body", "Invalid input: the body is empty; send a JSON object")
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise _not_json(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except UnicodeDecodeError:
        raise _not_json("it is not UTF-8") from None
    except _NotJsonConstant as error:
        raise _not_json(f"{error} is not a JSON value") from None
    except RecursionError:
        raise _not_json("it is nested too deeply") from None
    except ValueError:  # Only an integer with thousands of digits gets here.
        raise _not_json("a number is too long") from None
    if not isinstance(body, dict):
        raise invalid_input("body", "Invalid input: the body must be a JSON object")
    return body


def _not_json(reason: str) -> InvalidRequest:
    return invalid_input("body", f"Invalid input: the body is not valid JSON: {reason}")


class _NotJsonConstant(ValueError):
    """NaN, Infinity and -Infinity: Python's json reads them, JSON has no such values."""


def _no_constant(name: str) -> float:
    raise _NotJsonConstant(name)
