"""clients/README.md's examples, run as a reader would run them against `make run`: every
```python block in order, in one namespace, against a fresh service with the demo data; each
`# prints: ...` comment must be a line the block printed. The TLS helpers it defines then
connect to a service that wants client certificates."""

from __future__ import annotations

import asyncio
import contextlib
import io
import pathlib
import re
import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
from coupon_client import SyncCouponClient

from coupon_service.app import RunningService, start
from coupon_service.config import Settings

from .certificates import CertificateAuthority

README = pathlib.Path(__file__).parents[2] / "clients" / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
PRINTS = re.compile(r"#\s*prints:\s*(.*?)\s*$", re.MULTILINE)


def examples() -> list[str]:
    return BLOCK.findall(README.read_text())


def run(blocks: list[str]) -> tuple[dict[str, Any], list[tuple[str, list[str]]]]:
    """Runs the blocks one after the other in one namespace; returns it and each output."""
    namespace: dict[str, Any] = {"__name__": "readme"}
    outputs = []
    for number, block in enumerate(blocks, start=1):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, f"README.md python block {number}", "exec"), namespace)
        outputs.append((block, printed.getvalue().splitlines()))
    return namespace, outputs


@pytest.fixture
async def mtls_service(
    tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> AsyncIterator[tuple[RunningService, CertificateAuthority]]:
    ca = CertificateAuthority(tmp_path)
    server = ca.issue_server()
    database = tmp_path / "mtls.db"
    shutil.copyfile(demo_database, database)
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{database}",
        grpc_port=0,
        http_port=0,
        metrics_port=0,
        tls_cert=str(server.cert),
        tls_key=str(server.key),
        tls_client_ca=str(ca.cert),
    )
    running = await start(settings)
    try:
        yield running, ca
    finally:
        await running.stop(0)


def test_the_readme_has_an_example_for_each_thing_it_promises():
    text = "\n".join(examples())

    assert len(examples()) >= 8
    for used in [
        "SyncCouponClient(",
        "CouponClient(",
        "asyncio.run(",
        ".issue_multiple(",
        ".bulk_issue(",
        ".create_series(",
        ".upload_codes(",
        ".get_series(",
        ".list_series(",
        ".create_customer(",
        ".update_customer(",
        ".get_customer(",
        ".list_customer_coupons(",
        "except SeriesNotFound",
        "RetryPolicy(",
        "ClientTls",
        "bearer(",
    ]:
        assert used in text, used


async def test_every_example_runs_and_prints_what_it_says(
    service: RunningService, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("COUPON_ADDRESS", f"127.0.0.1:{service.grpc_port}")

    # In a worker thread: the blocks block, and asyncio.run needs a thread without a loop.
    _, outputs = await asyncio.to_thread(run, examples())

    for block, printed in outputs:
        lines = iter(printed)
        for expected in PRINTS.findall(block):
            assert expected in lines, f"{expected!r} not printed (in order) by:\n{block}"


async def test_the_tls_helpers_connect_with_a_client_certificate(mtls_service):
    service, ca = mtls_service
    client_cert = ca.issue_client()
    tls_block = next(block for block in examples() if "def mtls_client" in block)
    namespace, _ = run([examples()[0], tls_block])
    address = f"127.0.0.1:{service.grpc_port}"

    async with namespace["mtls_client"](
        address, str(ca.cert), str(client_cert.cert), str(client_cert.key)
    ) as client:
        found = await client.get_series(18426)
    plain_tls = namespace["tls_client"](address, "a-token")
    plain_tls.close()

    assert found.generic_code == "DECATH10"
    assert isinstance(plain_tls, SyncCouponClient)
