"""Running `coupon-service` operator commands in a subprocess, against a served process over gRPC
or directly on the SQLite file it serves; what every test_operator_* module shares."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import pathlib
import sys
import uuid
from typing import Any

from coupon_service.app import RunningService

DEMO_KEY = "demo:demo-secret"


@dataclasses.dataclass(frozen=True)
class Ran:
    """What one `coupon-service` run did: its exit status and everything it printed."""

    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def environment() -> dict[str, str]:
    """This process's environment without COUPON_* settings, so that the flags alone decide."""
    return {name: value for name, value in os.environ.items() if not name.startswith("COUPON_")}


async def operator(*args: str, env: dict[str, str] | None = None, stdin: bytes = b"") -> Ran:
    """Runs `python -m coupon_service ARGS` while this test's event loop goes on serving."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "coupon_service",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment() | (env or {}),
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), 120)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


@dataclasses.dataclass(frozen=True)
class Where:
    """The flags that send a command to one target, and that target's SQLite file."""

    name: str
    flags: tuple[str, ...]
    database: pathlib.Path


def grpc_flags(service: RunningService) -> tuple[str, ...]:
    return ("--server", f"127.0.0.1:{service.grpc_port}", "--key", DEMO_KEY)


def service_database(service: RunningService) -> pathlib.Path:
    """The SQLite file the `service` fixture serves: its own copy of the demo database."""
    return pathlib.Path(service.settings.db_url.removeprefix("sqlite+aiosqlite:///"))


def database_flags(service: RunningService) -> tuple[str, ...]:
    return ("--db-url", f"sqlite+aiosqlite:///{service_database(service)}", "--org", "demo")


SPRING_SALE = {
    "description": "Spring sale",
    "discountType": "PERC",
    "discountValue": 10,
    "codeSource": "CODE_SOURCE_UPLOADED",
    "validTill": "2030-01-01T00:00:00Z",
    "maxCreate": "1000",
    "isMultipleVouchersPerUserAllowed": True,
}


async def create_series(where: Where, tmp_path: pathlib.Path, **fields: Any) -> dict[str, Any]:
    """`series create --json` of the spring sale (with `fields` over it): the series it printed."""
    path = tmp_path / f"series-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(SPRING_SALE | fields))
    ran = await operator("series", "create", "--file", str(path), "--json", *where.flags)
    assert ran.status == 0, ran.err
    series: dict[str, Any] = ran.json()["series"]
    return series
