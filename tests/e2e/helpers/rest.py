"""The REST shim seen from outside: curl's answers, the documented error envelope, and JSON
compared with a documented example shape for shape."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx


async def curl(*args: str) -> tuple[int, dict[str, object]]:
    process = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-w", "\n%{http_code}", *args, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    body, _, status = output.decode().rpartition("\n")
    return int(status), json.loads(body)


def assert_envelope(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    """The documented envelope with one entry, as JSON, with no trace of internals."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert "Traceback" not in response.text and 'File "' not in response.text
    body = response.json()
    assert list(body) == ["errors"]
    (error,) = body["errors"]
    assert isinstance(error, dict) and list(error) == ["status", "code", "message"]
    assert error["status"] is False and error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


def assert_same_shape(actual: Any, documented: Any, where: str = "$") -> None:
    """Same keys, same JSON types, recursively; list items against the documented first item."""
    assert type(actual) is type(documented), f"{where}: {type(actual)} != {type(documented)}"
    if isinstance(documented, dict):
        assert list(actual) == list(documented) or set(actual) == set(documented), where
        for key, value in documented.items():
            assert_same_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(documented, list) and documented:
        for index, item in enumerate(actual):
            assert_same_shape(item, documented[0], f"{where}[{index}]")
