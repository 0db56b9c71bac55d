"""The client installed alone, as another team's service would install it: `pip install ./gen
./clients` into a fresh virtual environment (by the pins of constraints.txt) brings the client and
the generated stubs, none of the server's dependencies, and that client works against the real
service."""

from __future__ import annotations

import asyncio
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from coupon_service.app import RunningService

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What the server needs and a client must not: each would be a module of a dependency that only
# coupon-service declares.
SERVER_MODULES = [
    "coupon_service",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "alembic",
    "pydantic",
    "pydantic_settings",
    "jwt",
    "starlette",
    "uvicorn",
    "structlog",
    "prometheus_client",
    "grpc_health",
    "grpc_reflection",
]
INSPECT = """
import importlib.metadata, importlib.resources, importlib.util, json, sys

import coupon.v1.coupon_service_pb2
import coupon_client

try:
    import sqlalchemy
except ModuleNotFoundError:
    sqlalchemy_missing = True
else:
    sqlalchemy_missing = False
stubs = importlib.resources.files("coupon")
print(json.dumps({
    "distributions": sorted(d.metadata["Name"].lower() for d in importlib.metadata.distributions()),
    "present": [name for name in sys.argv[1:] if importlib.util.find_spec(name) is not None],
    "sqlalchemy_missing": sqlalchemy_missing,
    "client_file": coupon_client.__file__,
    "typed": [(stubs / "py.typed").is_file(), (stubs / "v1" / "coupon_service_pb2.pyi").is_file()],
}))
"""


@pytest.fixture(scope="module")
def client_python(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The interpreter of a fresh virtual environment holding the client and the stubs only.

    They are installed from copies of gen/ and clients/, so that building them leaves nothing in
    the working tree; pip may take the wheels of their dependencies from its cache."""
    where = tmp_path_factory.mktemp("client-alone")
    left_out = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for project in ("gen", "clients"):
        shutil.copytree(ROOT / project, where / "src" / project, ignore=left_out)
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(ROOT / "constraints.txt"),
            str(where / "src" / "gen"),
            str(where / "src" / "clients"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=where,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return python


def test_the_client_installs_with_the_stubs_and_without_the_servers_dependencies(
    client_python: pathlib.Path,
) -> None:
    where = client_python.parents[2]
    inspected = subprocess.run(
        [str(client_python), "-c", INSPECT, *SERVER_MODULES],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=where,  # Not the repository: nothing may be imported from the working tree.
        check=True,
    )
    found = json.loads(inspected.stdout)
    assert {"coupon-client", "coupon-grpc-stubs"} <= set(found["distributions"])
    assert "coupon-service" not in found["distributions"]
    assert found["present"] == []
    assert found["sqlalchemy_missing"] is True
    assert pathlib.Path(found["client_file"]).is_relative_to(where / "venv")
    assert found["typed"] == [True, True]  # PEP 561: the stubs' types reach their users.


async def test_the_client_installed_alone_issues_from_the_real_service(
    client_python: pathlib.Path, service: RunningService
) -> None:
    script = f"""
from coupon_client import SyncCouponClient, basic, customer_ref

demo = basic("demo", "demo-secret")
with SyncCouponClient("127.0.0.1:{service.grpc_port}", authorization=demo) as client:
    result = client.issue_multiple(18426, customer_ref(mobile="11223569865"), count=2)
    for coupon in result.coupons:
        print(coupon.code, coupon.seriesId)
    for failure in result.failures:
        print(failure.series_id, type(failure.error).__name__, failure.error.code)
"""
    # The service runs on this event loop: the client runs beside it, never blocking it.
    process = await asyncio.create_subprocess_exec(
        str(client_python),
        "-c",
        script,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=client_python.parents[2],
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    # One GENERIC code per customer: the second is a typed 5004, built from the rich details.
    assert out.decode().splitlines() == ["DECATH10 18426", "18426 OnlyOnePerCustomer 5004"]
