"""Credentials from the command line: the real `coupon-service` creates an org and its keys, a
key it printed works against a served process on both doors until `key revoke` reaches it, and
the secret never shows up in the server's log."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_status import rpc_status

from coupon.v1 import series_service_pb2, series_service_pb2_grpc
from coupon_service.domain.credentials import BAD_KEY
from tests.e2e.conftest import DEMO_AUTHORIZATION
from tests.e2e.helpers.auth import basic
from tests.e2e.helpers.grpcurl import COUPON_SERVICE
from tests.revocation import seconds_until_refused

SERVING_GRPC = re.compile(r"serving gRPC on ([\w.:-]+):(\d+)")
SERVING_REST = re.compile(r"serving REST on http://([\w.:-]+):(\d+)")
KEY_ID = re.compile(r"^key id:\s+(\S+)$", re.MULTILINE)
SECRET = re.compile(r"^secret:\s+(\S+)$", re.MULTILINE)
ISSUE = "/v2/coupon/issue/multiple"
BODY = {"seriesId": 4242, "customer": {"mobile": "447700900555"}}


def _environment() -> dict[str, str]:
    """This process's environment without COUPON_* settings, so flags alone decide."""
    return {name: value for name, value in os.environ.items() if not name.startswith("COUPON_")}


async def cli(*args: str) -> tuple[int, str, str]:
    """Runs `coupon-service ARGS`; its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        COUPON_SERVICE,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_environment(),
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def key_create(db_url: str, *scope: str) -> tuple[str, str, str]:
    """`key create --org acme [--scope SCOPE]`: the key id and secret it printed, and all of it."""
    code, out, err = await cli("key", "create", "--org", "acme", *scope, "--db-url", db_url)
    assert code == 0, err
    key_id, secret = KEY_ID.search(out), SECRET.search(out)
    assert key_id is not None and secret is not None, out
    return key_id[1], secret[1], out


@dataclasses.dataclass
class Served:
    """A `coupon-service serve` process, the ports it logged, and everything it wrote."""

    process: asyncio.subprocess.Process
    grpc_target: str
    base_url: str
    output: list[str]


@contextlib.asynccontextmanager
async def serve(db_url: str) -> AsyncIterator[Served]:
    """Serves `db_url` on free ports; SIGTERM at the end, which must exit cleanly."""
    process = await asyncio.create_subprocess_exec(
        COUPON_SERVICE,
        "serve",
        "--db-url",
        db_url,
        "--grpc-port",
        "0",
        "--http-port",
        "0",
        "--metrics-port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_environment(),
    )
    assert process.stdout is not None and process.stderr is not None
    output: list[str] = []
    addresses: dict[str, str] = {}
    both_logged = asyncio.Event()

    async def drain(stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            line = raw.decode()
            output.append(line)
            if found := SERVING_GRPC.search(line):
                addresses["grpc"] = f"{found[1]}:{found[2]}"
            if found := SERVING_REST.search(line):
                addresses["rest"] = f"http://{found[1]}:{found[2]}"
            if len(addresses) == 2:
                both_logged.set()

    readers = asyncio.gather(drain(process.stdout), drain(process.stderr))
    try:
        waiting = asyncio.ensure_future(both_logged.wait())
        await asyncio.wait({waiting, readers}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        assert both_logged.is_set(), "the server did not log both addresses:\n" + "".join(output)
        yield Served(process, addresses["grpc"], addresses["rest"], output)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0, "".join(output)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.wait_for(readers, 30)


async def grpc_status_of(served: Served, authorization: str, rpc: str = "ListSeries") -> str:
    """The status name of a SeriesService call with this authorization, and its message."""
    requests = {
        "ListSeries": series_service_pb2.ListSeriesRequest(),
        "CreateSeries": series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(id=4242, description="from the CLI test")
        ),
    }
    async with grpc.aio.insecure_channel(served.grpc_target) as channel:
        method = getattr(series_service_pb2_grpc.SeriesServiceStub(channel), rpc)
        try:
            await method(requests[rpc], metadata=(("authorization", authorization),), timeout=10)
        except grpc.aio.AioRpcError as error:
            assert rpc_status.from_call(error) is not None  # type: ignore[arg-type]
            return f"{error.code().name}: {error.details()}"
    return "OK"


async def rest_status_of(served: Served, authorization: str) -> tuple[int, int]:
    """The HTTP status and envelope code of issuing with this authorization."""
    async with httpx.AsyncClient(base_url=served.base_url, timeout=10) as client:
        response = await client.post(ISSUE, json=BODY, headers={"Authorization": authorization})
    return response.status_code, response.json()["errors"][0]["code"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli-auth.db"


async def test_org_and_keys_from_the_command_line_work_until_revoked(database_url: str) -> None:
    assert (await cli("migrate", "--db-url", database_url))[:2] == (
        0,
        "database is at the newest schema\n",
    )
    created_org = await cli("org", "create", "acme", "--db-url", database_url)
    # Independent commands run side by side: each waits for SQLite's write lock in turn.
    again, no_org, (key_id, secret, created), (manage_id, manage_secret, _) = await asyncio.gather(
        cli("org", "create", "acme", "--db-url", database_url),
        cli("key", "create", "--org", "nope", "--db-url", database_url),
        key_create(database_url, "--scope", "issue"),
        key_create(database_url, "--scope", "manage"),
    )
    listed = await cli("key", "list", "--org", "acme", "--db-url", database_url)

    assert created_org[:2] == (0, "organisation 'acme' created\n")
    assert again[0] != 0 and "already exists" in again[2]
    assert no_org[0] != 0 and "no organisation is called 'nope'" in no_org[2]
    assert "scope issue" in created and basic(key_id, secret) in created  # Ready to paste.
    assert listed[0] == 0 and secret not in listed[1] and manage_secret not in listed[1]
    rows = {line.split()[0]: line.split()[1:] for line in listed[1].splitlines()[1:]}
    assert {name: (row[0], row[-1]) for name, row in rows.items()} == {
        key_id: ("issue", "-"),  # Scope, and not revoked.
        manage_id: ("manage", "-"),
    }

    authorization, manage = basic(key_id, secret), basic(manage_id, manage_secret)
    async with serve(database_url) as served:
        assert await grpc_status_of(served, authorization) == "OK"
        assert (await grpc_status_of(served, authorization, "CreateSeries")).startswith(
            "PERMISSION_DENIED"
        )
        assert await grpc_status_of(served, manage, "CreateSeries") == "OK"
        # Authenticated as acme: the series is acme's, the customer unknown there (701).
        assert await rest_status_of(served, authorization) == (404, 701)
        assert await rest_status_of(served, basic(key_id, "wrong")) == (401, 401)
        # The secret sent the wrong way round is refused, and not logged either.
        for misused in (f"Basic {secret}", f"Bearer {secret}", secret):
            assert (await grpc_status_of(served, misused)).startswith("UNAUTHENTICATED")
        # Without --demo there is no demo key.
        assert (await grpc_status_of(served, DEMO_AUTHORIZATION)).startswith("UNAUTHENTICATED")

        revoked = await cli("key", "revoke", key_id, "--db-url", database_url)

        async def is_refused() -> bool:
            status = await grpc_status_of(served, authorization)
            assert status in ("OK", f"UNAUTHENTICATED: {BAD_KEY}"), status
            return status != "OK"

        await seconds_until_refused(is_refused)  # The server reads the key again within 1 s.
        assert await rest_status_of(served, authorization) == (401, 401)
        assert await grpc_status_of(served, manage) == "OK"
    (_, listed_after, _), unknown = await asyncio.gather(
        cli("key", "list", "--org", "acme", "--db-url", database_url),
        cli("key", "revoke", "ck_no_such_key", "--db-url", database_url),
    )

    assert revoked[0] == 0 and f"API key {key_id} revoked at" in revoked[1]
    revoked_line = next(line for line in listed_after.splitlines() if line.startswith(key_id))
    assert re.search(r" \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", revoked_line)
    assert unknown[0] != 0 and "no API key is called 'ck_no_such_key'" in unknown[2]
    log = "".join(served.output)
    assert "stopped" in log and "Traceback" not in log
    assert secret not in log and manage_secret not in log
    assert "DEMO CREDENTIALS" not in log
