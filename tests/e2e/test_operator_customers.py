"""`coupon-service customers import` in a subprocess over gRPC and on the database: a CSV imported
twice leaves no duplicate (counted in the database itself), an existing customer is found by
any identifier and updated, rejects are named by line, and a file without a proper header is a
usage error; once on PostgreSQL too."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid

import pytest

from tests.e2e.helpers.operator_cli import database_flags, operator, service_database

CUSTOMERS_CSV = """\
mobile,email,externalId,firstName,lastName
447700900001,ann@example.org,,Ann,Able
,bob@example.org,crm-2,Bob,
447700900003,,,Cy,Clay
,abijith.gupta@example.com,,Abi,
447700900001,,,Twice,
12,,,Short,
,,,No,Identifier
919900000001,abijith.gupta@example.net,crm-9,Load,Tester
919900000002,,3873472,Two,Customers
"""
# Line 5 finds the demo customer by email and renames him; 6 repeats line 2's mobile; 7's
# mobile is too short; 8 has no identifier; 9 finds a load-test customer by mobile and adds an
# email and an externalId; 10's mobile is one customer and its externalId another.
REJECTED_LINES = {6: "its mobile repeats line 2", 7: "mobile is not valid", 10: "two customers"}


def customers_in(database: object) -> dict[tuple[str | None, str | None, str | None], str]:
    """(mobile, email, externalId) -> first name of every demo customer, read from the file."""
    with contextlib.closing(sqlite3.connect(str(database))) as connection:
        rows = connection.execute(
            "SELECT c.mobile, c.email, c.external_id, c.first_name FROM customers c"
            " JOIN orgs o ON o.id = c.org_id WHERE o.name = 'demo'"
        ).fetchall()
    return {(mobile, email, external): first for mobile, email, external, first in rows}


async def test_a_customers_csv_imported_twice_leaves_no_duplicate(where, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS_CSV)
    before = customers_in(where.database)

    first = await operator("customers", "import", str(path), "--json", *where.flags)
    after_first = customers_in(where.database)
    again = await operator("customers", "import", str(path), *where.flags)
    after_again = customers_in(where.database)

    assert first.status == 1, first.err  # Some rows were rejected.
    report = first.json()
    assert {k: report[k] for k in ("read", "created", "updated", "unchanged", "rejected")} == {
        "read": 9, "created": 3, "updated": 2, "unchanged": 0, "rejected": 4,
    }  # fmt: skip
    rejects = {reject["line"]: reject["reason"] for reject in report["rejects"]}
    assert set(rejects) == {6, 7, 8, 10}
    for line, reason in REJECTED_LINES.items():
        assert reason in rejects[line]
    assert len(after_first) == len(before) + 3
    assert after_first[("447700900001", "ann@example.org", None)] == "Ann"
    assert after_first[(None, "bob@example.org", "crm-2")] == "Bob"
    assert after_first[("11223569865", "abijith.gupta@example.com", "3873472")] == "Abi"
    assert after_first[("919900000001", "abijith.gupta@example.net", "crm-9")] == "Load"
    assert again.status == 1
    assert again.out.strip() == "read 9, created 0, updated 0, unchanged 5, rejected 4"
    assert again.err.splitlines()[0] == "line 6: its mobile repeats line 2"
    assert after_again == after_first


async def test_records_reaching_one_customer_by_different_identifiers_apply_in_file_order(
    where, tmp_path
):
    path = tmp_path / "customers.csv"
    path.write_text("mobile,email,externalId\n447700900009,ann@example.org,\n")
    made = await operator("customers", "import", str(path), *where.flags)
    lines = [
        "firstName,mobile,email,externalId",
        "First,447700900009,,",
        "Second,,ann@example.org,",
    ]
    lines += [f"Other{n},4477009001{n:02d},," for n in range(40)]  # Enough to run at once.
    path.write_text("\n".join(lines) + "\n")

    ran = await operator("customers", "import", str(path), *where.flags)

    assert made.status == 0, made.err
    assert ran.out.strip() == "read 42, created 40, updated 2, unchanged 0, rejected 0"
    assert customers_in(where.database)[("447700900009", "ann@example.org", None)] == "Second"


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("", "needs a header line"),
        ("447700900001,ann@example.org\n", "'447700900001' is not a column"),
        ("mobile,phone\n447700900001,1\n", "'phone' is not a column"),
        ("firstName,lastName\nAnn,Able\n", "needs a mobile, an email or an externalId column"),
        ("mobile,Mobile\n1,2\n", "named twice"),
    ],
)
async def test_a_file_without_a_proper_header_is_a_usage_error(
    service, tmp_path, content, complaint
):
    path = tmp_path / "customers.csv"
    path.write_text(content)
    before = customers_in(service_database(service))

    ran = await operator("customers", "import", str(path), *database_flags(service))

    assert ran.status == 2
    assert complaint in ran.err
    assert len(ran.err.strip().splitlines()) == 1
    assert customers_in(service_database(service)) == before


async def test_a_clean_import_exits_0_with_json_and_columns_in_any_order(where, tmp_path):
    path = tmp_path / "customers.csv"
    tag = uuid.uuid4().hex[:8]
    path.write_text(f"lastName,externalId\nOne,{tag}-1\nTwo,{tag}-2\n")

    ran = await operator("customers", "import", str(path), "--json", *where.flags)

    assert ran.status == 0, ran.err
    assert ran.json() == {
        "read": 2, "created": 2, "updated": 0, "unchanged": 0, "rejected": 0, "rejects": [],
    }  # fmt: skip


@pytest.mark.postgres
async def test_import_and_upload_on_postgresql_directly(postgres_url, tmp_path):
    org = f"operator-{uuid.uuid4().hex[:10]}"
    made = await operator("org", "create", org, "--db-url", postgres_url)
    assert made.status == 0, made.err
    flags = ("--db-url", postgres_url, "--org", org)
    customers = tmp_path / "customers.csv"
    customers.write_text("mobile,email\n447700900001,ann@example.org\n,bob@example.org\n")
    series = tmp_path / "series.json"
    series.write_text('{"description": "pg", "codeSource": "UPLOADED"}')
    codes = tmp_path / "codes.txt"
    codes.write_text("".join(f"PG-{n}\n" for n in range(12_000)) + "PG-5\n")

    imported, created = await asyncio.gather(
        operator("customers", "import", str(customers), *flags),
        operator("series", "create", "--file", str(series), "--json", *flags),
    )
    reimported = await operator("customers", "import", str(customers), *flags)
    series_id = created.json()["series"]["id"]
    uploaded = await operator("codes", "upload", "--series", series_id, str(codes), *flags)
    shown = await operator("series", "show", series_id, "--json", *flags)

    assert imported.out.strip() == "read 2, created 2, updated 0, unchanged 0, rejected 0"
    assert reimported.out.strip() == "read 2, created 0, updated 0, unchanged 2, rejected 0"
    assert uploaded.out.strip() == "read 12001, added 12000, already present 0, rejected 1"
    assert uploaded.err.strip() == "line 12001: duplicate of line 6: 'PG-5'"
    assert shown.json()["counts"]["leftInPool"] == 12_000
