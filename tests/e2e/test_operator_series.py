"""`coupon-service series` and `coupons list` in a subprocess, over gRPC to a real service and on
a copy of the demo database; and what every operator command shares: one target (a usage
error is exit status 2), one line for a failed call (exit status 1), --json, TLS.

The helpers the test_operator_* modules share are in tests/e2e/helpers/operator_cli.py, and the
`where` fixture in tests/e2e/conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import shutil

from coupon_client import CouponClient, customer_ref

from coupon_service.app import start
from coupon_service.config import Settings
from tests.e2e.helpers.operator_cli import (
    DEMO_KEY,
    SPRING_SALE,
    create_series,
    database_flags,
    grpc_flags,
    operator,
    service_database,
)

from .certificates import CertificateAuthority
from .conftest import DEMO_AUTHORIZATION


async def test_series_create_prints_the_series_and_show_counts_it(where, tmp_path):
    created = await create_series(where, tmp_path)

    shown, text = await asyncio.gather(
        operator("series", "show", created["id"], "--json", *where.flags),
        operator("series", "show", created["id"], *where.flags),
    )

    assert created["description"] == "Spring sale"
    assert created["codeSource"] == "CODE_SOURCE_UPLOADED"
    assert created["discountType"] == "DISCOUNT_TYPE_PERC"  # Given by its short name.
    assert shown.status == 0, shown.err
    assert shown.json()["series"]["id"] == created["id"]
    assert shown.json()["counts"] == {"issued": 0, "leftInPool": 0, "leftUnderMaxCreate": 1000}
    assert text.status == 0
    assert f"series {created['id']} (UPLOADED): Spring sale" in text.out
    assert "left under maxCreate  1000" in text.out


async def test_series_create_without_json_prints_the_series_itself_and_reads_stdin(where):
    body = json.dumps({"series": SPRING_SALE | {"description": "from stdin"}}).encode()

    ran = await operator("series", "create", "--file", "-", *where.flags, stdin=body)

    assert ran.status == 0, ran.err
    assert json.loads(ran.out)["description"] == "from stdin"


async def test_series_list_shows_every_series(where, tmp_path):
    created = await create_series(where, tmp_path)

    listed, text = await asyncio.gather(
        operator("series", "list", "--json", *where.flags),
        operator("series", "list", *where.flags),
    )

    ids = [series["id"] for series in listed.json()["series"]]
    assert {"415446", "18426", "700001", created["id"]} <= set(ids)
    assert ids == sorted(ids, key=int)
    assert text.out.splitlines()[0].split() == [
        "ID", "SOURCE", "ISSUED", "IN", "POOL", "UNDER", "MAX", "VALID", "TILL", "DESCRIPTION",
    ]  # fmt: skip
    assert any(line.startswith("700001 ") and " 100 " in line for line in text.out.splitlines())


async def test_coupons_list_shows_the_issuance_metadata(where, service):
    metadata = {
        "sourceType": "POS",
        "sourceId": "store-7",
        "sourceActivity": "checkout",
        "notes": "first visit",
        "reason": "welcome",
    }
    async with CouponClient(
        f"127.0.0.1:{service.grpc_port}", authorization=DEMO_AUTHORIZATION
    ) as c:
        await c.issue_multiple(415446, customer_ref(external_id="3873472"), metadata=metadata)
    customer = ("--customer", "externalId:3873472")

    listed, text = await asyncio.gather(
        operator("coupons", "list", *customer, "--json", *where.flags),
        operator("coupons", "list", *customer, *where.flags),
    )

    assert listed.status == 0, listed.err
    [coupon] = listed.json()["coupons"]
    assert coupon["seriesId"] == "415446"
    assert coupon["metadata"] == metadata
    assert text.status == 0
    assert text.out.splitlines()[0].split()[:3] == ["ID", "CODE", "SERIES"]
    assert all(value in text.out for value in ("POS", "store-7", "checkout", "welcome"))


USAGE_ERRORS = [
    ("series", "list"),  # No target at all.
    ("series", "list", "--server", "127.0.0.1:1", "--db-url", "sqlite+aiosqlite:///x.db"),
    ("series", "list", "--server", "127.0.0.1:1"),  # No key.
    ("series", "list", "--server", "127.0.0.1:1", "--key", "no-colon"),
    ("series", "list", "--server", "127.0.0.1", "--key", DEMO_KEY),  # No port.
    ("series", "list", "--server", "127.0.0.1:1", "--key", DEMO_KEY, "--org", "demo"),
    ("series", "list", "--server", "127.0.0.1:1", "--key", DEMO_KEY, "--tls-ca", "none.pem"),
    ("series", "list", "--server", "127.0.0.1:1", "--key", DEMO_KEY, "--tls-cert", "c.pem"),
    ("series", "list", "--db-url", "sqlite+aiosqlite:///x.db"),  # No --org.
    ("series", "list", "--db-url", "sqlite+aiosqlite:///x.db", "--org", "d", "--key", "a:b"),
    ("series", "list", "--db-url", "mysql://somewhere/db", "--org", "demo"),
    ("series", "show", "not-a-number", "--server", "127.0.0.1:1", "--key", DEMO_KEY),
    ("coupons", "list", "--customer", "phone:1", "--server", "127.0.0.1:1", "--key", DEMO_KEY),
]


async def test_usage_errors_exit_2_with_one_line():
    runs = await asyncio.gather(*(operator(*args, "--json") for args in USAGE_ERRORS))

    for args, ran in zip(USAGE_ERRORS, runs, strict=True):
        assert ran.status == 2, (args, ran)
        assert ran.err.strip().splitlines()[-1].startswith(("coupon-service", "usage")), args


async def test_the_key_and_the_database_may_come_from_the_environment(service):
    key_env = {"COUPON_KEY": DEMO_KEY}
    db_env = {"COUPON_DB_URL": f"sqlite+aiosqlite:///{service_database(service)}"}

    over_grpc, direct = await asyncio.gather(
        operator("series", "show", "415446", "--server", grpc_flags(service)[1], env=key_env),
        operator("series", "show", "415446", "--org", "demo", env=db_env),
    )

    assert over_grpc.status == 0, over_grpc.err
    assert direct.status == 0, direct.err
    assert over_grpc.out == direct.out


async def test_a_failed_call_is_one_line_naming_its_code_and_exit_1(where):
    text, as_json = await asyncio.gather(
        operator("series", "show", "1", *where.flags),
        operator("series", "show", "1", "--json", *where.flags),
    )

    assert text.status == as_json.status == 1
    assert text.err.strip() == "coupon-service: NOT_FOUND 707: Coupon Series ID is invalid"
    assert as_json.json()["error"] == {
        "message": "NOT_FOUND 707: Coupon Series ID is invalid",
        "status": "NOT_FOUND",
        "code": 707,
        "text": "Coupon Series ID is invalid",
    }


async def test_what_cannot_be_reached_is_exit_1(tmp_path):
    no_server, no_database = await asyncio.gather(
        operator("series", "list", "--server", "127.0.0.1:1", "--key", DEMO_KEY, "--timeout", "2"),
        operator(
            "series", "list", "--db-url", f"sqlite+aiosqlite:///{tmp_path}/none.db", "--org", "d"
        ),
    )

    assert no_server.status == 1
    assert no_server.err.startswith("coupon-service: UNAVAILABLE")
    assert no_database.status == 1
    assert len(no_database.err.strip().splitlines()) == 1
    assert not (tmp_path / "none.db").exists()


async def test_an_unknown_org_or_key_is_exit_1(service):
    unknown_org, wrong_key = await asyncio.gather(
        operator("series", "list", *database_flags(service)[:2], "--org", "nobody"),
        operator("series", "list", "--server", grpc_flags(service)[1], "--key", "demo:wrong"),
    )

    assert unknown_org.status == 1
    assert "no organisation is called 'nobody'" in unknown_org.err
    assert wrong_key.status == 1
    assert wrong_key.err.startswith("coupon-service: UNAUTHENTICATED")


async def test_series_show_over_mutual_tls(tmp_path, demo_database):
    ca = CertificateAuthority(tmp_path)
    server, client = ca.issue_server(), ca.issue_client()
    database = tmp_path / "tls.db"
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
        address = f"127.0.0.1:{running.grpc_port}"
        tls = (
            "--tls-ca",
            str(ca.cert),
            "--tls-cert",
            str(client.cert),
            "--tls-key",
            str(client.key),
        )
        server_flags = ("--server", address, "--key", DEMO_KEY)
        shown, without = await asyncio.gather(
            operator("series", "show", "18426", "--json", *server_flags, *tls),
            operator("series", "show", "18426", *server_flags, "--timeout", "2"),
        )
    finally:
        await running.stop(0)

    assert shown.status == 0, shown.err
    assert shown.json()["series"]["genericCode"] == "DECATH10"
    assert without.status == 1
