"""The container files, tested without building an image: the Dockerfile's CMD, run here as the
image would run it, serves, and its HEALTHCHECK says so (and says so no more once it stopped);
compose.yaml runs two replicas on one PostgreSQL database behind one nginx that routes to both."""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import yaml
from sqlalchemy.engine import make_url

from coupon_service.config import Settings

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = pathlib.Path(sys.executable).parent
Instruction = tuple[str, str]


def _instructions(dockerfile: str) -> list[Instruction]:
    """(KEYWORD, arguments) of every instruction, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            found.append((keyword.upper(), arguments.strip()))
    return found


def _stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for keyword, arguments in instructions:
        if keyword == "FROM":
            stages.append([])
        stages[-1].append((keyword, arguments))
    return stages


def _only(stage: list[Instruction], keyword: str) -> str:
    (arguments,) = [arguments for found, arguments in stage if found == keyword]
    return arguments


STAGES = _stages(_instructions((ROOT / "Dockerfile").read_text()))
FINAL = STAGES[-1]
CMD: list[str] = json.loads(_only(FINAL, "CMD"))
HEALTHCHECK: list[str] = json.loads(_only(FINAL, "HEALTHCHECK").split(" CMD ", 1)[1])
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def test_the_image_is_slim_multi_stage_and_runs_as_an_unprivileged_user() -> None:
    assert len(STAGES) == 2
    assert [_only(stage, "FROM").split()[0] for stage in STAGES] == ["python:3.11-slim"] * 2
    (install,) = [args for keyword, args in STAGES[0] if keyword == "RUN" and "pip install" in args]
    assert "--no-cache-dir" in install and "-c constraints.txt" in install
    assert any(k == "COPY" and a.startswith("--from=") for k, a in FINAL)
    user = _only(FINAL, "USER").split(":")[0]
    assert user not in ("root", "0")
    assert re.search(rf"useradd .*--uid {user}\b", _only(FINAL, "RUN"))


def test_the_image_exposes_the_ports_the_service_listens_on() -> None:
    defaults = Settings()
    exposed = {int(port) for port in _only(FINAL, "EXPOSE").split()}
    assert exposed == {defaults.grpc_port, defaults.http_port, defaults.metrics_port}


def test_everything_the_image_copies_is_in_the_build_context() -> None:
    allowed = {
        line[1:]
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    for keyword, arguments in STAGES[0]:
        if keyword == "COPY":
            *sources, _destination = arguments.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source in allowed, f"{source} is left out by .dockerignore"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_health_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(HEALTHCHECK, env=env, capture_output=True, text=True, timeout=30)


def test_the_images_command_serves_and_its_health_check_tells_the_truth(
    tmp_path: pathlib.Path,
) -> None:
    # The image's environment: its PATH leads to the virtual environment, the ports are the
    # test's own, and COUPON_DB_URL is unset, so the database is coupon.db in the WORKDIR.
    env = {name: value for name, value in os.environ.items() if not name.startswith("COUPON_")}
    ports = {name: _free_port() for name in ("GRPC", "HTTP", "METRICS")}
    env |= {f"COUPON_{name}_PORT": str(port) for name, port in ports.items()}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(CMD, env=env, cwd=tmp_path, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        while (checked := _run_health_check(env)).returncode != 0:
            assert server.poll() is None, f"the server exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"never healthy: {checked.stderr}"
            time.sleep(0.2)
        assert (checked.stdout, checked.stderr) == ("", "")
        assert (tmp_path / "coupon.db").is_file()
        # 127.0.0.2 reaches only a server listening on every interface, as a container's must.
        ready = httpx.get(f"http://127.0.0.2:{ports['HTTP']}/readyz", timeout=10)
        assert (ready.status_code, ready.json()) == (200, {"status": "SERVING"})
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()

    stopped = _run_health_check(env)
    assert stopped.returncode == 1
    (line,) = stopped.stderr.splitlines()
    assert line.startswith(f"coupon-service health: 127.0.0.1:{ports['GRPC']}: UNAVAILABLE")


def _replicas() -> dict[str, Any]:
    return {
        name: service
        for name, service in SERVICES.items()
        if service.get("depends_on", {}).get("migrate")
        == {"condition": "service_completed_successfully"}
    }


def test_compose_runs_postgresql_a_migration_two_replicas_and_one_entry_point() -> None:
    assert set(SERVICES) == {"postgres", "migrate", "gateway", *_replicas()}
    assert len(_replicas()) == 2
    postgres = SERVICES["postgres"]
    assert postgres["image"] == "postgres:15"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["coupon-service", "migrate"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"
    for name, replica in _replicas().items():
        assert replica["build"] == ".", name
        assert "command" not in replica, f"{name} must run the image's CMD"
        assert int(replica["stop_grace_period"].removesuffix("s")) > Settings().grace_seconds


def test_every_replica_and_the_migration_use_the_one_postgresql_database() -> None:
    postgres = SERVICES["postgres"]["environment"]
    urls = {
        name: SERVICES[name]["environment"]["COUPON_DB_URL"] for name in ["migrate", *_replicas()]
    }
    assert len(set(urls.values())) == 1, urls
    url = make_url(urls["migrate"])
    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.port, url.database) == ("postgres", 5432, postgres["POSTGRES_DB"])
    assert (url.username, url.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert Settings(db_url=urls["migrate"]).db_url == urls["migrate"]


Directive = tuple[str, list[str], list[Any] | None]


def _nginx(text: str) -> list[Directive]:
    """nginx's configuration as (name, arguments, block or None) trees."""
    tokens = re.findall(r'"[^"]*"|[{};]|[^\s{};"]+', re.sub(r"#[^\n]*", "", text))
    position = 0

    def block() -> list[Directive]:
        nonlocal position
        directives: list[Directive] = []
        words: list[str] = []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ";":
                directives.append((words[0], words[1:], None))
                words = []
            elif token == "{":
                directives.append((words[0], words[1:], block()))
                words = []
            elif token == "}":
                return directives
            else:
                words.append(token.strip('"'))
        return directives

    return block()


def _find(directives: list[Directive], name: str) -> list[Directive]:
    return [directive for directive in directives if directive[0] == name]


def _upstreams(http: list[Directive]) -> dict[str, set[str]]:
    return {
        args[0]: {server_args[0] for _, server_args, _ in _find(body or [], "server")}
        for _, args, body in _find(http, "upstream")
    }


def _server_listening_on(http: list[Directive], port: int) -> list[Directive]:
    (server,) = [
        body or []
        for _, _, body in _find(http, "server")
        if any(args[0] == str(port) for _, args, _ in _find(body or [], "listen"))
    ]
    return server


def _passed_to(server: list[Directive], directive: str) -> str:
    (location,) = [body or [] for _, args, body in _find(server, "location") if args == ["/"]]
    ((_, args, _),) = _find(location, directive)
    return args[0]


def test_the_entry_point_routes_grpc_and_http_to_both_replicas() -> None:
    gateway = SERVICES["gateway"]
    assert gateway["image"].startswith("nginx:")
    assert set(gateway["ports"]) == {"50051:50051", "8080:8080"}
    assert gateway["depends_on"] == {name: {"condition": "service_healthy"} for name in _replicas()}
    (mount,) = gateway["volumes"]
    source, target, _mode = mount.split(":")
    assert target == "/etc/nginx/nginx.conf"
    ((_, _, http),) = _find(_nginx((ROOT / source).read_text()), "http")
    assert http is not None
    upstreams = _upstreams(http)

    grpc_server = _server_listening_on(http, 50051)
    assert _find(grpc_server, "http2") == [("http2", ["on"], None)]
    grpc_upstream = _passed_to(grpc_server, "grpc_pass").removeprefix("grpc://")
    assert upstreams[grpc_upstream] == {f"{name}:50051" for name in _replicas()}

    http_upstream = _passed_to(_server_listening_on(http, 8080), "proxy_pass")
    assert upstreams[http_upstream.removeprefix("http://")] == {
        f"{name}:8080" for name in _replicas()
    }
