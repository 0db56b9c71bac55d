"""Both client flavours over TLS to a real service with certificates the test makes: a
ClientTls or any grpc.ChannelCredentials, mutual TLS, and a server the client does not trust;
and the credential helpers."""

from __future__ import annotations

import asyncio
import base64
import pathlib
import shutil
from collections.abc import AsyncIterator, Callable

import grpc
import pytest
from coupon_client import (
    ClientTls,
    CouponClient,
    SyncCouponClient,
    Unavailable,
    basic,
    bearer,
    customer_ref,
)

from coupon_service.app import RunningService, start
from coupon_service.config import Settings

from .certificates import CertificateAuthority
from .conftest import DEMO_AUTHORIZATION

DEMO = customer_ref(mobile="11223569865")


@pytest.fixture
def ca(tmp_path: pathlib.Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path)


@pytest.fixture
async def tls_service(
    tmp_path: pathlib.Path, demo_database: pathlib.Path, ca: CertificateAuthority
) -> AsyncIterator[Callable[..., object]]:
    """Starts the demo service speaking TLS only; `mtls=True` also wants client certificates."""
    running: list[RunningService] = []

    async def started(*, mtls: bool = False) -> str:
        server = ca.issue_server()
        database = tmp_path / f"tls-{len(running)}.db"
        shutil.copyfile(demo_database, database)
        settings = Settings(
            db_url=f"sqlite+aiosqlite:///{database}",
            grpc_port=0,
            http_port=0,
            metrics_port=0,
            tls_cert=str(server.cert),
            tls_key=str(server.key),
            tls_client_ca=str(ca.cert) if mtls else "",
        )
        running.append(await start(settings))
        return f"127.0.0.1:{running[-1].grpc_port}"

    yield started
    for service in running:
        await service.stop(0)


async def test_the_async_client_over_tls_with_client_tls(tls_service, ca):
    target = await tls_service()

    tls = ClientTls(root_certificates=ca.cert_pem)
    async with CouponClient(target, tls=tls, authorization=DEMO_AUTHORIZATION) as client:
        result = await client.issue_multiple(415446, DEMO)

    assert len(result.coupons) == 1


async def test_the_sync_client_over_tls_with_channel_credentials(tls_service, ca):
    target = await tls_service()
    credentials = grpc.ssl_channel_credentials(root_certificates=ca.cert_pem)

    def issue() -> int:
        with SyncCouponClient(target, tls=credentials, authorization=DEMO_AUTHORIZATION) as c:
            return len(c.issue_multiple(415446, DEMO, count=2).coupons)

    assert await asyncio.to_thread(issue) == 2


@pytest.mark.parametrize("flavour", ["async", "sync"])
async def test_mutual_tls_from_files(tls_service, ca, flavour):
    target = await tls_service(mtls=True)
    mine = ca.issue_client()
    tls = ClientTls.from_files(root=ca.cert, cert=mine.cert, key=mine.key)

    if flavour == "async":
        async with CouponClient(target, tls=tls, authorization=DEMO_AUTHORIZATION) as client:
            found = await client.get_series(18426)
    else:
        with SyncCouponClient(target, tls=tls, authorization=DEMO_AUTHORIZATION) as client:
            found = await asyncio.to_thread(client.get_series, 18426)

    assert found.generic_code == "DECATH10"


async def test_a_server_the_client_does_not_trust_is_unavailable(tls_service, tmp_path):
    target = await tls_service()
    stranger = CertificateAuthority(tmp_path, name="another CA")

    tls = ClientTls(root_certificates=stranger.cert_pem)
    async with CouponClient(target, tls=tls, authorization=DEMO_AUTHORIZATION) as client:
        with pytest.raises(Unavailable):
            await client.get_series(18426, timeout=2.0)


def test_client_tls_wants_a_certificate_and_its_key_together(ca):
    mine = ca.issue_client()

    with pytest.raises(ValueError, match="together"):
        ClientTls(certificate_chain=mine.cert_pem)
    with pytest.raises(ValueError, match="together"):
        ClientTls.from_files(key=mine.key)
    assert "private_key" not in repr(ClientTls.from_files(cert=mine.cert, key=mine.key))


def test_the_credential_helpers():
    assert basic("demo", "demo-secret") == DEMO_AUTHORIZATION
    assert base64.b64decode(basic("k", "s:x").split()[1]) == b"k:s:x"
    assert bearer("eyJ.a.b") == "Bearer eyJ.a.b"
