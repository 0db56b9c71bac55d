"""`python -m stress --quick` end to end against real servers on PostgreSQL and SQLite, and the
audit it ends with finding the breaches it exists to find."""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import text

from benchmarks.servers import postgres_unreachable
from coupon_service.adapters.database import create_engine
from stress.audit import audit
from stress.calls import Answer, Call, Tally
from stress.report import Row
from tests.conftest import PG_ADMIN_URL

ROOT = pathlib.Path(__file__).absolute().parents[2]
EXPECTED_ROWS = {
    ("pool race", "postgres x2"),
    ("limits", "postgres x2"),
    ("kills", "postgres x2"),
    ("terminated backends", "postgres x2"),
    ("pool race", "sqlite"),
    ("limits", "sqlite"),
    ("kills", "sqlite"),
}
LIMITED_SERIES = 700002  # demo: maxVouchersPerUser 5
DEMO_CUSTOMER = 555567088


@pytest.mark.postgres
def test_the_quick_stress_run_ends_with_a_clean_table() -> None:
    if reason := asyncio.run(postgres_unreachable(PG_ADMIN_URL)):
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    command = [sys.executable, "-m", "stress", "--quick", "--pg-url", PG_ADMIN_URL]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=90)

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    table = run.stdout.split("\n\n")[-1].splitlines()
    header, *lines = [line for line in table if "  " in line]
    assert header.split()[:3] == ["scenario", "store", "faults"]
    cells = [re.split(r"\s{2,}", line) for line in lines]
    assert {(row[0], row[1]) for row in cells} == EXPECTED_ROWS
    for row in cells:
        calls, coupons, duplicates, limits_exceeded = row[3:7]
        assert int(calls.replace(",", "")) > 0 and int(coupons.replace(",", "")) > 0
        assert (duplicates, limits_exceeded) == ("0", "0")
    assert "SIGKILLs" in run.stdout and "no breach" in run.stdout


async def test_the_audit_finds_what_the_database_and_the_answers_show(
    tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> None:
    database = tmp_path / "breached.db"
    shutil.copyfile(demo_database, database)
    url = f"sqlite+aiosqlite:///{database}"
    engine = create_engine(url)
    async with engine.begin() as connection:
        org = (await connection.execute(text("SELECT id FROM orgs WHERE name = 'demo'"))).scalar()
        await connection.execute(
            text(
                "INSERT INTO coupons (org_id, series_id, customer_id, code, issued_at, request_id)"
                " VALUES (:org, :series, :customer, :code, CURRENT_TIMESTAMP, 'key-1')"
            ),
            [
                {"org": org, "series": LIMITED_SERIES, "customer": DEMO_CUSTOMER, "code": code}
                for code in ("C1", "C2", "C3", "C4", "C5", "C6")
            ],
        )
    await engine.dispose()
    tally = Tally()
    for key in ("key-1", "key-2"):
        call = Call(key, LIMITED_SERIES, 1, "11223569865", rest=False, replica=0)
        tally.answers[key] = (call, Answer("OK", ("C1",)))
    tally.statuses.update({"OK": 2, "INTERNAL": 1, "UNAVAILABLE": 1})

    found = await audit(url, [LIMITED_SERIES], tally)

    assert set(found.findings) == {
        "customers over their limit",  # six coupons where five are allowed
        "counters off",  # the counter shards never heard of them
        "coupons under a key beyond its answer",  # key-1 holds six, was told of one
        "codes answered to several keys",  # C1 answered to key-1 and key-2
        "answered coupons not stored under their key",  # key-2's C1 is key-1's
    }
    assert (found.issued, found.duplicates, found.limits_exceeded) == (6, 6, 2)
    breaches = Row("made up", "sqlite", "", tally, found).breaches()
    assert breaches[0] == "INTERNAL: 1 calls"
    assert not any(line.startswith("UNAVAILABLE") for line in breaches)
