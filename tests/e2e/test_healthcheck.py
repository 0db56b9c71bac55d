"""`coupon_service.healthcheck.check`, the container's health check, against real servers: True
when SERVING, otherwise False and one line on stderr; over TLS and mTLS from the server's own
settings."""

from __future__ import annotations

import asyncio
import pathlib
import shutil
import socket

import pytest

from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.healthcheck import ClientTls, check, client_tls

from .certificates import CertificateAuthority


async def _check(address: str, **options: object) -> bool:
    return await asyncio.to_thread(check, address, **options)  # type: ignore[arg-type]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _start(tmp_path: pathlib.Path, demo_database: pathlib.Path, **tls: str) -> RunningService:
    database = tmp_path / "healthcheck.db"
    shutil.copyfile(demo_database, database)
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{database}", grpc_port=0, http_port=0, metrics_port=0, **tls
    )
    return await start(settings)


async def test_serving_is_healthy(service: RunningService) -> None:
    address = f"127.0.0.1:{service.grpc_port}"
    assert await _check(address)
    assert await _check(address, service="coupon.v1.CouponService")


async def test_not_serving_is_unhealthy_with_one_line(
    service: RunningService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert service.readiness is not None
    await service.readiness.stop()  # As on shutdown.

    assert not await _check(f"127.0.0.1:{service.grpc_port}")
    assert capsys.readouterr().err.splitlines() == [
        f"coupon-service health: 127.0.0.1:{service.grpc_port}: the server is NOT_SERVING"
    ]


async def test_an_unknown_service_is_unhealthy(
    service: RunningService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not await _check(f"127.0.0.1:{service.grpc_port}", service="no.such.Service")
    assert capsys.readouterr().err.splitlines() == [
        f"coupon-service health: 127.0.0.1:{service.grpc_port}: NOT_FOUND:"
        " no service named 'no.such.Service'"
    ]


async def test_nothing_listening_is_unhealthy_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    assert not await _check(address, timeout_seconds=3)
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"coupon-service health: {address}: UNAVAILABLE: ")


def test_plaintext_unless_a_certificate_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUPON_TLS_CERT", raising=False)
    assert client_tls() is None


async def test_tls_trusts_the_servers_own_certificate_under_the_name_it_carries(
    tmp_path: pathlib.Path, demo_database: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A certificate for a name only, as in production: 127.0.0.1 is not among its names.
    server = CertificateAuthority(tmp_path).issue_server(dns_names=("coupon.internal",))
    service = await _start(
        tmp_path, demo_database, tls_cert=str(server.cert), tls_key=str(server.key)
    )
    try:
        monkeypatch.setenv("COUPON_TLS_CERT", str(server.cert))
        monkeypatch.setenv("COUPON_TLS_KEY", str(server.key))
        monkeypatch.delenv("COUPON_TLS_CLIENT_CA", raising=False)
        tls = client_tls()
        assert tls == ClientTls(root_certificates=server.cert_pem, server_name="coupon.internal")
        assert await _check(f"127.0.0.1:{service.grpc_port}", tls=tls)
        assert not await _check(f"127.0.0.1:{service.grpc_port}")  # Plaintext is refused.
    finally:
        await service.stop(0)


async def test_mtls_needs_a_client_certificate_the_client_ca_signed(
    tmp_path: pathlib.Path,
    demo_database: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ca = CertificateAuthority(tmp_path)
    server, client = ca.issue_server(), ca.issue_client()
    service = await _start(
        tmp_path,
        demo_database,
        tls_cert=str(server.cert),
        tls_key=str(server.key),
        tls_client_ca=str(ca.cert),
    )
    address = f"127.0.0.1:{service.grpc_port}"
    try:
        monkeypatch.delenv("COUPON_TLS_CLIENT_CA", raising=False)
        monkeypatch.setenv("COUPON_TLS_CERT", str(server.cert))
        without_client_cert = client_tls(ca=str(ca.cert))
        assert not await _check(address, tls=without_client_cert)
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"coupon-service health: {address}: UNAVAILABLE: ")

        with_client_cert = client_tls(ca=str(ca.cert), cert=str(client.cert), key=str(client.key))
        assert await _check(address, tls=with_client_cert)
    finally:
        await service.stop(0)


async def test_under_mtls_it_presents_the_servers_own_certificate_by_default(
    tmp_path: pathlib.Path, demo_database: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = CertificateAuthority(tmp_path)
    server = ca.issue_server(client_auth=True)
    settings = {
        "tls_cert": str(server.cert),
        "tls_key": str(server.key),
        "tls_client_ca": str(ca.cert),
    }
    service = await _start(tmp_path, demo_database, **settings)
    try:
        for name, value in settings.items():
            monkeypatch.setenv(f"COUPON_{name.upper()}", value)
        tls = client_tls()
        assert tls is not None
        assert (tls.certificate_chain, tls.private_key) == (server.cert_pem, server.key_pem)
        assert await _check(f"127.0.0.1:{service.grpc_port}", tls=tls)
    finally:
        await service.stop(0)


def test_a_file_it_cannot_read_is_named(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COUPON_TLS_CERT", raising=False)
    with pytest.raises(ValueError) as failure:
        client_tls(ca=str(tmp_path / "nosuch.pem"))
    assert str(failure.value) == (
        f"cannot read the CA file {tmp_path / 'nosuch.pem'}: No such file or directory"
    )
