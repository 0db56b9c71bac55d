"""TLS and mTLS on both doors, with certificates the test makes: calls with the right
credentials work, plaintext and calls without a client certificate are refused, and bad
certificate settings fail the start with one line naming the setting."""

from __future__ import annotations

import pathlib
import shutil
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from grpc_health.v1 import health_pb2, health_pb2_grpc

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.entrypoints.tls import load_tls

from .certificates import CertificateAuthority, Issued
from .conftest import DEMO_AUTHORIZATION, WithAuthorization

ISSUE = coupon_service_pb2.IssueMultipleRequest(
    seriesId=415446, count=1, customer={"mobile": "11223569865"}
)
ISSUE_JSON = {"seriesId": 415446, "count": 1, "customer": {"mobile": "11223569865"}}
StartTls = Callable[..., Awaitable[RunningService]]


@pytest.fixture
def ca(tmp_path: pathlib.Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path)


@pytest.fixture
def server_cert(ca: CertificateAuthority) -> Issued:
    return ca.issue_server()


@pytest.fixture
async def start_tls(tmp_path: pathlib.Path, demo_database: pathlib.Path) -> AsyncIterator[StartTls]:
    """Starts the service over a copy of the demo database with the given TLS settings."""
    running: list[RunningService] = []

    async def started(**tls: str) -> RunningService:
        database = tmp_path / f"tls-{len(running)}.db"
        shutil.copyfile(demo_database, database)
        settings = Settings(
            db_url=f"sqlite+aiosqlite:///{database}",
            grpc_port=0,
            http_port=0,
            metrics_port=0,
            **tls,
        )
        service = await start(settings)
        running.append(service)
        return service

    yield started
    for service in running:
        await service.stop(0)


def _tls_settings(cert: Issued, client_ca: pathlib.Path | None = None) -> dict[str, str]:
    settings = {"tls_cert": str(cert.cert), "tls_key": str(cert.key)}
    if client_ca is not None:
        settings["tls_client_ca"] = str(client_ca)
    return settings


async def _issue_over_grpc(
    service: RunningService, ca: CertificateAuthority, client: Issued | None = None
) -> coupon_service_pb2.IssueMultipleResponse:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca.cert_pem,
        private_key=client.key_pem if client else None,
        certificate_chain=client.cert_pem if client else None,
    )
    async with grpc.aio.secure_channel(
        f"127.0.0.1:{service.grpc_port}",
        credentials,
        interceptors=[WithAuthorization(DEMO_AUTHORIZATION)],
    ) as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        return await stub.IssueMultiple(ISSUE, timeout=10)


async def _issue_over_https(
    service: RunningService, ca: CertificateAuthority, client: Issued | None = None
) -> httpx.Response:
    context = ssl.create_default_context(cafile=ca.cert)
    if client is not None:
        context.load_cert_chain(client.cert, client.key)
    async with httpx.AsyncClient(
        base_url=f"https://127.0.0.1:{service.http_port}",
        verify=context,
        headers={"Authorization": DEMO_AUTHORIZATION},
        timeout=10,
    ) as http:
        return await http.post("/v2/coupon/issue/multiple", json=ISSUE_JSON)


async def test_both_doors_speak_tls_with_the_certificate_given(
    start_tls: StartTls, ca: CertificateAuthority, server_cert: Issued
) -> None:
    service = await start_tls(**_tls_settings(server_cert))

    issued = await _issue_over_grpc(service, ca)
    assert issued.successCount == 1
    response = await _issue_over_https(service, ca)
    assert response.status_code == 200
    assert response.json()["successCount"] == 1


async def test_plaintext_is_refused_on_both_doors(start_tls: StartTls, server_cert: Issued) -> None:
    service = await start_tls(**_tls_settings(server_cert))

    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    async with httpx.AsyncClient(timeout=5) as http:
        with pytest.raises(httpx.TransportError):
            await http.get(f"http://127.0.0.1:{service.http_port}/healthz")


async def test_a_certificate_from_another_ca_is_not_trusted(
    start_tls: StartTls, tmp_path: pathlib.Path, server_cert: Issued
) -> None:
    service = await start_tls(**_tls_settings(server_cert))
    stranger = CertificateAuthority(tmp_path, name="other CA")

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _issue_over_grpc(service, stranger)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await _issue_over_https(service, stranger)


async def test_mtls_refuses_callers_without_a_client_certificate_on_both_doors(
    start_tls: StartTls, ca: CertificateAuthority, server_cert: Issued
) -> None:
    service = await start_tls(**_tls_settings(server_cert, client_ca=ca.cert))

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _issue_over_grpc(service, ca)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(httpx.TransportError):
        await _issue_over_https(service, ca)


async def test_mtls_refuses_a_client_certificate_the_client_ca_did_not_sign(
    start_tls: StartTls, tmp_path: pathlib.Path, ca: CertificateAuthority, server_cert: Issued
) -> None:
    service = await start_tls(**_tls_settings(server_cert, client_ca=ca.cert))
    impostor = CertificateAuthority(tmp_path, name="impostor CA").issue_client("impostor")

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _issue_over_grpc(service, ca, impostor)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(httpx.TransportError):
        await _issue_over_https(service, ca, impostor)


async def test_mtls_serves_callers_with_a_client_certificate_on_both_doors(
    start_tls: StartTls, ca: CertificateAuthority, server_cert: Issued
) -> None:
    service = await start_tls(**_tls_settings(server_cert, client_ca=ca.cert))
    client = ca.issue_client()

    issued = await _issue_over_grpc(service, ca, client)
    assert issued.successCount == 1
    response = await _issue_over_https(service, ca, client)
    assert response.status_code == 200
    assert response.json()["successCount"] == 1


def _refusal(cert: str, key: str, client_ca: str = "") -> str:
    with pytest.raises(ValueError) as failure:
        load_tls(cert, key, client_ca)
    return str(failure.value)


def test_off_without_a_certificate_and_a_key() -> None:
    assert load_tls("", "", "") is None


def test_a_certificate_needs_its_key_and_a_key_its_certificate(server_cert: Issued) -> None:
    cert, key = str(server_cert.cert), str(server_cert.key)
    assert _refusal(cert, "") == "COUPON_TLS_CERT needs COUPON_TLS_KEY as well"
    assert _refusal("", key) == "COUPON_TLS_KEY needs COUPON_TLS_CERT as well"
    assert _refusal("", "", cert) == "COUPON_TLS_CLIENT_CA needs COUPON_TLS_CERT and COUPON_TLS_KEY"


def test_a_file_that_cannot_be_read_is_named_with_its_setting(
    tmp_path: pathlib.Path, server_cert: Issued
) -> None:
    missing = str(tmp_path / "nosuch.pem")
    cert, key = str(server_cert.cert), str(server_cert.key)
    assert _refusal(missing, key) == (
        f"COUPON_TLS_CERT: cannot read {missing}: No such file or directory"
    )
    assert _refusal(cert, str(tmp_path)) == (
        f"COUPON_TLS_KEY: cannot read {tmp_path}: Is a directory"
    )
    assert _refusal(cert, key, missing) == (
        f"COUPON_TLS_CLIENT_CA: cannot read {missing}: No such file or directory"
    )


def test_files_that_hold_no_certificate_or_no_key_are_named(
    tmp_path: pathlib.Path, server_cert: Issued
) -> None:
    cert, key = str(server_cert.cert), str(server_cert.key)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    # The key where the certificate belongs, and the other way round.
    assert _refusal(key, key) == f"COUPON_TLS_CERT: {key} holds no PEM certificate"
    assert _refusal(cert, cert) == f"COUPON_TLS_KEY: {cert} holds no PEM private key"
    assert _refusal(cert, key, str(garbage)) == (
        f"COUPON_TLS_CLIENT_CA: {garbage} holds no PEM certificate"
    )


def test_an_encrypted_key_is_refused_without_asking_for_its_passphrase(
    tmp_path: pathlib.Path, server_cert: Issued
) -> None:
    key = serialization.load_pem_private_key(server_cert.key_pem, password=None)
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    assert _refusal(str(server_cert.cert), str(encrypted)) == (
        f"COUPON_TLS_KEY: {encrypted} is encrypted; give the key without a passphrase"
    )


async def test_a_key_that_is_not_the_certificates_stops_the_start_before_anything_listens(
    start_tls: StartTls, ca: CertificateAuthority, server_cert: Issued
) -> None:
    other = ca.issue_server("other")
    with pytest.raises(ValueError) as failure:
        await start_tls(tls_cert=str(server_cert.cert), tls_key=str(other.key))
    assert str(failure.value) == (
        f"COUPON_TLS_KEY: {other.key} is not the key of the certificate in COUPON_TLS_CERT"
        f" ({server_cert.cert})"
    )
    assert "\n" not in str(failure.value)
