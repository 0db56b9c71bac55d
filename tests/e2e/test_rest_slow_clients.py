"""Slow, idle and malformed HTTP clients over raw sockets against the real shim: each gets the
documented envelope with a fitting status (or, idle, a quiet close), and its connection closed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.requests import Request

from coupon_service.app import RunningService
from coupon_service.entrypoints.rest import create_app, start_rest_server
from coupon_service.service import issuing
from coupon_service.service.auth import Authenticator
from tests.e2e.conftest import DEMO_AUTHORIZATION

ISSUE = b"/v2/coupon/issue/multiple"
GOOD = json.dumps({"seriesId": 415446, "count": 1, "customer": {"mobile": "11223569865"}}).encode()
AUTHORIZATION = f"Authorization: {DEMO_AUTHORIZATION}\r\n".encode()
TIMEOUT = 1.0  # The request deadline and the idle timeout of the `strict_port` server.


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def envelope_error(self) -> dict[str, Any]:
        assert self.headers["content-type"] == "application/json"
        errors = json.loads(self.body)["errors"]
        assert len(errors) == 1
        assert errors[0]["status"] is False
        assert errors[0]["code"] == 629
        assert errors[0]["message"].startswith("Invalid input: ")
        return dict(errors[0])


@pytest.fixture
async def strict_port(service: RunningService) -> AsyncIterator[int]:
    """A second shim over the service's database, with 1 s timeouts."""
    authenticator = Authenticator(service.uow)

    async def caller_org(request: Request, operation: str) -> int:
        values = request.headers.getlist("authorization")
        return (await authenticator.authorize_headers(values, operation)).org_id

    server = await start_rest_server(
        create_app(service.uow, caller_org),
        "127.0.0.1",
        0,
        request_timeout_seconds=TIMEOUT,
        idle_timeout_seconds=round(TIMEOUT),
    )
    yield server.port
    await server.stop(0)


async def _read_answer(reader: asyncio.StreamReader, started: float) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines)}
    body = await reader.readexactly(int(headers["content-length"]))
    return Answer(int(status_line.split(" ")[1]), headers, body, time.monotonic() - started)


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """True once the server has closed the connection, having sent nothing more. A reset is a
    close too: the kernel sends one for bytes the client wrote after the server closed."""
    try:
        return await asyncio.wait_for(reader.read(1), timeout=5) == b""
    except ConnectionResetError:
        return True


async def _exchange(port: int, *pieces: bytes, pause: float = 0.0) -> tuple[Answer, bool]:
    """Sends `pieces` `pause` seconds apart, stopping once the answer arrives; returns it and
    whether the server then closed the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    answer = asyncio.create_task(_read_answer(reader, started))
    try:
        for piece in pieces:
            if answer.done():
                break
            writer.write(piece)
            await writer.drain()
            if pause:
                await asyncio.wait([answer], timeout=pause)
        result = await asyncio.wait_for(answer, timeout=15)
        return result, await _closed_by_server(reader)
    finally:
        answer.cancel()
        writer.close()


def _request(target: bytes = ISSUE, *headers: bytes, body: bytes = GOOD) -> bytes:
    return (
        b"POST " + target + b" HTTP/1.1\r\nHost: test\r\n" + AUTHORIZATION
        + b"Content-Type: application/json\r\n"
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        + b"".join(header + b"\r\n" for header in headers)
        + b"\r\n" + body
    )  # fmt: skip


async def test_headers_that_trickle_in_are_answered_408_at_the_deadline(strict_port: int) -> None:
    request_line = b"POST /v2/coupon/issue/multiple HTTP/1.1\r\nHost: test\r\n"
    header_lines = [f"X-Slow-{index}: {index}\r\n".encode() for index in range(20)]
    answer, closed = await _exchange(strict_port, request_line, *header_lines, pause=0.25)
    error = answer.envelope_error()
    assert answer.status == 408
    assert "did not arrive within 1 seconds" in error["message"]
    assert answer.headers["connection"] == "close"
    assert TIMEOUT - 0.1 <= answer.seconds < TIMEOUT + 1.5
    assert closed


async def test_a_body_that_stops_arriving_is_answered_408_at_the_deadline(
    strict_port: int,
) -> None:
    whole = _request()
    answer, closed = await _exchange(strict_port, whole[: len(whole) - len(GOOD) + 20])
    assert answer.status == 408
    answer.envelope_error()
    assert TIMEOUT - 0.1 <= answer.seconds < TIMEOUT + 1.5
    assert closed


async def test_the_application_may_take_longer_than_the_deadline(
    strict_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = issuing.issue_multiple

    async def slow_issue(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(TIMEOUT + 0.5)
        return await issue(*args, **kwargs)

    monkeypatch.setattr(issuing, "issue_multiple", slow_issue)
    reader, writer = await asyncio.open_connection("127.0.0.1", strict_port)
    try:
        writer.write(_request())
        answer = await asyncio.wait_for(_read_answer(reader, time.monotonic()), timeout=10)
        assert answer.status == 200, answer.body
        assert answer.seconds >= TIMEOUT + 0.5
        # The connection is kept alive, and the next request has a deadline of its own.
        writer.write(b"GET /openapi.json HTTP/1.1\r\nHost: test\r\n")
        answer = await asyncio.wait_for(_read_answer(reader, time.monotonic()), timeout=10)
        assert answer.status == 408
        assert await _closed_by_server(reader)
    finally:
        writer.close()


async def test_an_idle_kept_alive_connection_is_closed_quietly(strict_port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", strict_port)
    try:
        writer.write(b"GET /openapi.json HTTP/1.1\r\nHost: test\r\n\r\n")
        answer = await asyncio.wait_for(_read_answer(reader, time.monotonic()), timeout=10)
        assert answer.status == 200
        idle_since = time.monotonic()
        assert await _closed_by_server(reader)
        assert TIMEOUT - 0.1 <= time.monotonic() - idle_since < TIMEOUT + 1.5
    finally:
        writer.close()


async def test_a_connection_that_never_sends_a_byte_is_closed(strict_port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", strict_port)
    try:
        opened = time.monotonic()
        assert await _closed_by_server(reader)
        assert time.monotonic() - opened < TIMEOUT + 1.5
    finally:
        writer.close()


async def test_a_body_still_trickling_in_after_an_early_answer_is_cut_at_the_deadline(
    strict_port: int,
) -> None:
    """Without credentials the answer (401) comes before the body is read; the rest of a body
    that keeps trickling in must not hold the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", strict_port)
    try:
        started = time.monotonic()
        writer.write(
            b"POST /v2/coupon/issue/multiple HTTP/1.1\r\nHost: test\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        answer = await asyncio.wait_for(_read_answer(reader, started), timeout=10)
        assert answer.status == 401
        closed = asyncio.create_task(_closed_by_server(reader))
        while not closed.done() and time.monotonic() - started < 4 * TIMEOUT:
            writer.write(b" ")
            await asyncio.wait([closed], timeout=0.25)
        assert await closed
        assert time.monotonic() - started < TIMEOUT + 1.5
    finally:
        writer.close()


async def test_a_request_after_an_early_answered_body_gets_a_deadline_of_its_own(
    strict_port: int,
) -> None:
    """The rest of a body answered early (401, no credentials) and the start of the next request
    arrive together: the next request is timed from there, not from the answered one's start."""
    head = b"POST /v2/coupon/issue/multiple HTTP/1.1\r\nHost: test\r\nContent-Length: "
    reader, writer = await asyncio.open_connection("127.0.0.1", strict_port)
    try:
        writer.write(head + str(len(GOOD)).encode() + b"\r\n\r\n" + GOOD[:1])
        answer = await asyncio.wait_for(_read_answer(reader, time.monotonic()), timeout=10)
        assert answer.status == 401
        await asyncio.sleep(0.6 * TIMEOUT)
        writer.write(GOOD[1:] + b"GET /openapi.json HTTP/1.1\r\n")
        await asyncio.sleep(0.5 * TIMEOUT)  # Past the answered request's deadline.
        writer.write(b"Host: test\r\n\r\n")
        answer = await asyncio.wait_for(_read_answer(reader, time.monotonic()), timeout=10)
        assert answer.status == 200
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        pytest.param(
            b"POST /v2/coupon/issue/multiple HTTP/1.1\r\nHost: test\r\nContent-Length: -1\r\n\r\n",
            400,
            "bad Content-Length",
            id="negative-content-length",
        ),
        pytest.param(
            b"GET /openapi.json HTTP/1.1\r\nHost: test\r\nX-Nul: a\x00b\r\n\r\n",
            400,
            "illegal header line",
            id="nul-in-header",
        ),
        pytest.param(b"GARBAGE\r\n\r\n", 400, "illegal request line", id="bad-request-line"),
        pytest.param(
            b"GET /openapi.json HTTP/1.1\r\n\r\n", 400, "Missing mandatory Host", id="no-host"
        ),
        pytest.param(
            b"POST /v2/coupon/issue/multiple HTTP/1.1\r\nHost: test\r\n"
            b"Transfer-Encoding: gzip\r\n\r\n",
            400,
            "Transfer-Encoding: chunked",
            id="unknown-transfer-coding",
        ),
        pytest.param(
            b"GET /openapi.json HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 20_000,
            431,
            "too large",
            id="headers-too-large",
        ),
    ],
)
async def test_a_malformed_request_is_answered_with_the_envelope_and_closed(
    service: RunningService, raw: bytes, status: int, reason: str
) -> None:
    answer, closed = await _exchange(service.http_port, raw)
    error = answer.envelope_error()
    assert answer.status == status
    assert reason in error["message"]
    assert "\\x00" not in error["message"] and "aaaa" not in error["message"]
    assert answer.headers["connection"] == "close"
    assert closed


async def test_a_flood_of_malformed_requests_writes_one_log_line(
    service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="uvicorn.error"):
        for _ in range(20):
            answer, _closed = await _exchange(service.http_port, b"GARBAGE\r\n\r\n")
            assert answer.status == 400
    refused = [r for r in caplog.records if "Invalid HTTP request" in r.getMessage()]
    assert len(refused) <= 1, "rejected input is logged at most once per interval"
