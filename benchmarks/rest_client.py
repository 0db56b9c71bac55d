"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the REST scenario.

Each caller owns one connection and sends its next request when the previous answer has been
read, as the gRPC callers do on their channel. It is deliberately small (a request is one
prebuilt byte string, an answer is read by Content-Length) so that the client's own CPU cost
stays well below the server's: a general-purpose client such as httpx costs several times more
per call on the same core and would understate the shim.
"""

from __future__ import annotations

import asyncio
import base64


class HttpError(Exception):
    """An answer with a status other than 200; str() is the name the loop counts it under."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def basic_authorization(key_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode("ascii")


def post_request(host: str, path: str, authorization: str, body: bytes) -> bytes:
    """A complete POST with a JSON body, ready to write."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {authorization}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class Connection:
    """One keep-alive connection; reopened by the next call after any failure."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self._host, self._port, self._timeout = host, port, timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> bytes:
        """Sends one prebuilt request and returns the body of a 200 answer."""
        try:
            return await asyncio.wait_for(self._exchange(raw), self._timeout)
        except BaseException:
            self.close()
            raise

    async def _exchange(self, raw: bytes) -> bytes:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        self._writer.write(raw)
        await self._writer.drain()
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length = None
        closing = False
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                closing = True
        if length is None:
            raise ConnectionError("answer without Content-Length")
        body = await self._reader.readexactly(length)
        if closing:
            self.close()
        if status != 200:
            raise HttpError(status)
        return body

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
