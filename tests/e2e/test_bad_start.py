"""Every bad setting and every start-up failure ends in one line naming the setting or the
resource: exit status 2 for a bad setting, 1 for a resource, never a traceback. The admin
commands refuse a database that is not there or not migrated, and say nothing of migrations."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL

BAD_SETTING, RESOURCE_FAILED = 2, 1


def coupon_service(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs the real command with only the given COUPON_* variables."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COUPON_")}
    environment.update({"COUPON_GRPC_PORT": "0", "COUPON_HTTP_PORT": "0"})
    environment.update({"COUPON_METRICS_PORT": "0"})
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "coupon_service", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line_failure(finished: subprocess.CompletedProcess[str], status: int) -> str:
    """The single line a failed start printed; asserts the status and that nothing else came."""
    lines = finished.stderr.strip().splitlines()
    assert finished.returncode == status, finished.stderr
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith("coupon-service: "), lines[0]
    assert "Traceback" not in finished.stderr
    return lines[0]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        yield listening.getsockname()[1]


@pytest.fixture
def db_file_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/service.db"


def test_a_taken_grpc_port_is_named(taken_port: int, db_file_url: str) -> None:
    finished = coupon_service(
        "serve", env={"COUPON_GRPC_PORT": str(taken_port), "COUPON_DB_URL": db_file_url}
    )
    line = one_line_failure(finished, RESOURCE_FAILED)
    assert f"could not listen for gRPC on 127.0.0.1:{taken_port}: Address already in use" in line


@pytest.mark.parametrize("setting", ["COUPON_HTTP_PORT", "COUPON_METRICS_PORT"])
def test_a_taken_http_or_metrics_port_is_named(
    setting: str, taken_port: int, db_file_url: str
) -> None:
    finished = coupon_service("serve", env={setting: str(taken_port), "COUPON_DB_URL": db_file_url})
    line = one_line_failure(finished, RESOURCE_FAILED)
    assert f"127.0.0.1:{taken_port}" in line and "could not listen" in line


@pytest.mark.parametrize(
    ("env", "named", "says"),
    [
        ({"COUPON_DB_URL": "mysql://root@127.0.0.1/test"}, "COUPON_DB_URL", "'mysql' is not"),
        ({"COUPON_DB_URL": "not a url"}, "COUPON_DB_URL", "not a database URL"),
        ({"COUPON_GRPC_PORT": "abc"}, "COUPON_GRPC_PORT", "a valid integer"),
        ({"COUPON_HTTP_PORT": "99999"}, "COUPON_HTTP_PORT", "less than or equal to 65535"),
        ({"COUPON_GRACE_SECONDS": "-1"}, "COUPON_GRACE_SECONDS", "greater than or equal to 0"),
        ({"COUPON_LOG_LEVEL": "loud"}, "COUPON_LOG_LEVEL", "'DEBUG', 'INFO', 'WARNING'"),
        ({"COUPON_LOG_FORMAT": "xml"}, "COUPON_LOG_FORMAT", "'auto', 'json' or 'console'"),
        ({"COUPON_TLS_CERT": "/etc/hostname"}, "COUPON_TLS_CERT", "needs COUPON_TLS_KEY"),
        ({"COUPON_TLS_CERT": "/nonexistent.pem"}, "COUPON_TLS_CERT", "no such file"),
        ({"COUPON_OTEL_EXPORTER": "zipkin"}, "COUPON_OTEL_EXPORTER", "'console' or 'otlp'"),
    ],
)
def test_a_bad_variable_is_named_with_status_2(
    env: dict[str, str], named: str, says: str, db_file_url: str
) -> None:
    line = one_line_failure(coupon_service("serve", env={"COUPON_DB_URL": db_file_url, **env}), 2)
    assert line.startswith(f"coupon-service: {named}"), line
    assert says in line, line


def test_a_bad_flag_is_named_as_the_flag(db_file_url: str) -> None:
    finished = coupon_service("serve", "--grpc-port", "abc", env={"COUPON_DB_URL": db_file_url})
    assert one_line_failure(finished, BAD_SETTING).startswith("coupon-service: --grpc-port: ")


def test_help_and_version_work_whatever_the_environment_holds() -> None:
    for args in (("--help",), ("serve", "--help"), ("--version",)):
        finished = coupon_service(*args, env={"COUPON_GRPC_PORT": "abc"})
        assert finished.returncode == 0, finished.stderr
    assert coupon_service("--version").stdout.startswith("coupon-service 0.")
    serve_help = coupon_service("serve", "--help").stdout
    # Every setting, with its variable and its default.
    assert "[env COUPON_GRPC_PORT; default '50051']" in " ".join(serve_help.split())
    assert "--request-id-window-hours" in serve_help and "COUPON_TLS_CLIENT_CA" in serve_help


@pytest.mark.parametrize("content", ["{}", "not json"])
def test_an_unusable_jwks_file_is_named(content: str, tmp_path: Path, db_file_url: str) -> None:
    jwks = tmp_path / "keys.json"
    jwks.write_text(content)
    env = {"COUPON_DB_URL": db_file_url, "COUPON_JWT_JWKS": str(jwks)}
    env |= {"COUPON_JWT_ISSUER": "https://id.example", "COUPON_JWT_AUDIENCE": "coupons"}
    line = one_line_failure(coupon_service("serve", env=env), BAD_SETTING)
    assert f"COUPON_JWT_JWKS: {jwks} is not a JWK Set" in line


def test_a_sqlite_path_in_a_missing_folder_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/service.db"
    line = one_line_failure(coupon_service("serve", env={"COUPON_DB_URL": url}), 1)
    assert f"the folder {tmp_path}/missing does not exist" in line


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("these are notes, not a database\n")
    url = f"sqlite:///{tmp_path}/notes.db"
    for command in (("serve",), ("migrate",), ("key", "list", "--org", "acme")):
        line = one_line_failure(coupon_service(*command, env={"COUPON_DB_URL": url}), 1)
        assert f"{tmp_path}/notes.db is not a SQLite database" in line


@pytest.mark.postgres
def test_a_missing_postgres_database_is_named() -> None:
    url = make_url(PG_ADMIN_URL).set(database="coupon_no_such_database").render_as_string(False)
    for command in (("serve",), ("key", "list", "--org", "acme")):
        line = one_line_failure(coupon_service(*command, env={"COUPON_DB_URL": url}), 1)
        assert "'coupon_no_such_database'" in line and "does not exist" in line


def test_admin_commands_refuse_a_missing_database_and_create_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/typo.db"
    line = one_line_failure(coupon_service("key", "list", "--org", "acme", "--db-url", url), 1)
    assert f"no database at {tmp_path}/typo.db" in line
    assert not (tmp_path / "typo.db").exists()


def test_admin_commands_refuse_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE notes (line TEXT)").close()
    url = f"sqlite:///{tmp_path}/other.db"
    line = one_line_failure(coupon_service("org", "create", "acme", "--db-url", url), 1)
    assert "has no coupon-service tables" in line


def test_migrate_creates_the_database_and_the_admin_commands_are_quiet(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new.db"
    migrated = coupon_service("migrate", "--db-url", url)
    created = coupon_service("org", "create", "acme", "--db-url", url)
    listed = coupon_service("key", "list", "--org", "acme", "--db-url", url)
    assert (migrated.returncode, migrated.stdout) == (0, "database is at the newest schema\n")
    assert (created.returncode, listed.returncode) == (0, 0)
    for finished in (migrated, created, listed):
        assert finished.stderr == "", finished.stderr  # No Alembic lines, no INFO.
