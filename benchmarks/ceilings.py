"""The raw driver ceilings: what aiosqlite and asyncpg do with no service in the way.

Both run in the harness process against a scratch table with the columns, indexes and foreign
keys of the service's `coupons` table (read from `coupon_service.adapters.tables`; the keys
point at scratch parents holding the one org, series and 100 customers the rows name): a
scratch SQLite file beside the service's, or scratch tables in the run's PostgreSQL database.
The foreign keys are part of the database's own work for every coupon the service writes (on
PostgreSQL they are two thirds of an insert's cost), so the ceiling pays them too. Two rates:

- one-row transaction: BEGIN (IMMEDIATE on SQLite) / INSERT one row / COMMIT, in a closed
  loop; on one connection (SQLite has one writer), and on PostgreSQL also with 16 connections.
- 500-row insert: BEGIN / executemany of 500 coupon-shaped rows / COMMIT, on one connection;
  rows/s is the ceiling of IssueMultiple count=500.

The SQLite connection gets the service's own pragmas (WAL, synchronous=NORMAL).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import aiosqlite
import asyncpg
from sqlalchemy import Column, DefaultClause, Index, MetaData, Table
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.schema import CreateIndex, CreateTable

from coupon_service.adapters.tables import coupons

from .harness import Call, LoopResult, Result, closed_loop, load_result

SCRATCH = "bench_raw_coupons"
BATCH = 500
# The columns an issued coupon row fills, in order; the rest keep their defaults.
COLUMNS = ("org_id", "series_id", "customer_id", "code", "shared_code", "issued_at", "reason")


def _parent(name: str) -> str:
    return f"{SCRATCH}_{name}"


def _parents_ddl() -> tuple[list[str], list[str]]:
    """The scratch parents of the scratch coupons' foreign keys, with the rows they name."""
    tables, rows = [], []
    for constraint in sorted(coupons.foreign_key_constraints, key=lambda c: c.referred_table.name):
        parent = _parent(constraint.referred_table.name)
        columns = [element.column.name for element in constraint.elements]
        tables.append(
            f"CREATE TABLE {parent} ({', '.join(f'{c} BIGINT NOT NULL' for c in columns)},"
            f" PRIMARY KEY ({', '.join(columns)}))"
        )
        values = {"orgs": "(1)", "series": "(1, 1)"}.get(constraint.referred_table.name)
        many = ", ".join(f"(1, {number})" for number in range(1, 101))
        rows.append(f"INSERT INTO {parent} VALUES {values or many}")
    return tables, rows


def _foreign_keys() -> str:
    clauses = []
    for constraint in coupons.foreign_key_constraints:
        mine = ", ".join(column.name for column in constraint.columns)
        theirs = ", ".join(element.column.name for element in constraint.elements)
        clauses.append(
            f"FOREIGN KEY ({mine}) REFERENCES {_parent(constraint.referred_table.name)} ({theirs})"
        )
    return ", ".join(clauses)


def scratch_ddl(dialect: Dialect) -> list[str]:
    """CREATE TABLE and CREATE INDEX statements for a copy of `coupons` and its parents."""
    parents, parent_rows = _parents_ddl()
    columns = []
    for column in coupons.columns:
        default = column.server_default
        columns.append(
            Column(
                column.name,
                column.type,
                primary_key=column.primary_key,
                nullable=column.nullable,
                autoincrement=column.autoincrement,
                server_default=cast(Any, default.arg)
                if isinstance(default, DefaultClause)
                else None,
            )
        )
    table = Table(SCRATCH, MetaData(), *columns)
    created = str(CreateTable(table).compile(dialect=dialect)).rstrip().removesuffix(")")
    statements = [*parents, *parent_rows, f"{created}, {_foreign_keys()})"]
    for number, index in enumerate(sorted(coupons.indexes, key=lambda i: str(i.name))):
        copy = Index(
            f"{SCRATCH}_{number}",
            *(table.c[column.name] for column in index.columns),
            unique=index.unique,
            **index.dialect_kwargs,
        )
        statements.append(str(CreateIndex(copy).compile(dialect=dialect)))
    return statements


def rows(count: int, as_sqlite: bool) -> list[tuple[Any, ...]]:
    """Coupon-shaped rows with random 12-character codes (48 bits, as unique as the service's)."""
    now: Any = datetime.now().replace(microsecond=0)
    if as_sqlite:
        now = now.isoformat(sep=" ") + ".000000"
    return [
        (1, 1, number % 100 + 1, secrets.token_hex(6), False, now, "") for number in range(count)
    ]


def _result(store: str, key: str, label: str, conc: int, unit: str, loop: LoopResult) -> Result:
    result = load_result(store, key, label, conc, unit, [loop])
    result.notes.append("raw driver, scratch table shaped like coupons, with its foreign keys")
    return result


async def sqlite_ceilings(path: Path, store: str, time_cap_s: float) -> list[Result]:
    insert = f"INSERT INTO {SCRATCH} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 7)})"
    batches = [rows(BATCH, True) for _ in range(200)]
    singles = rows(50_000, True)
    async with aiosqlite.connect(path, isolation_level=None) as db:
        pragmas = (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=10000",
            "foreign_keys=ON",
        )
        for pragma in pragmas:
            await db.execute(f"PRAGMA {pragma}")
        for statement in scratch_ddl(make_url("sqlite+aiosqlite://").get_dialect()()):
            await db.execute(statement)

        async def one_row(_caller: int, ticket: int) -> int:
            await db.execute("BEGIN IMMEDIATE")
            await db.execute(insert, singles[ticket])
            await db.execute("COMMIT")
            return 1

        async def batch(_caller: int, ticket: int) -> int:
            await db.execute("BEGIN IMMEDIATE")
            await db.executemany(insert, batches[ticket])
            await db.execute("COMMIT")
            return BATCH

        tx = await closed_loop(one_row, range(len(singles)), concurrency=1, time_cap_s=time_cap_s)
        many = await closed_loop(batch, range(len(batches)), concurrency=1, time_cap_s=time_cap_s)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    return [
        _result(store, "raw.tx1", "raw one-row transaction", 1, "tx", tx),
        _result(store, "raw.insert500", "raw 500-row insert", 1, "rows", many),
    ]


async def postgres_ceilings(dsn: str, store: str, time_cap_s: float) -> list[Result]:
    insert = f"INSERT INTO {SCRATCH} ({', '.join(COLUMNS)}) VALUES ({_params(7)})"
    batches = [rows(BATCH, False) for _ in range(200)]
    singles = rows(50_000, False)
    connections = [await asyncpg.connect(dsn) for _ in range(16)]
    try:
        for statement in scratch_ddl(make_url("postgresql+asyncpg://").get_dialect()()):
            await connections[0].execute(statement)

        def one_row(pool: Sequence[asyncpg.Connection]) -> Call:
            async def call(caller: int, ticket: int) -> int:
                connection = pool[caller]
                async with connection.transaction():
                    await connection.execute(insert, *singles[ticket])
                return 1

            return call

        async def batch(_caller: int, ticket: int) -> int:
            async with connections[0].transaction():
                await connections[0].executemany(insert, batches[ticket])
            return BATCH

        cap = time_cap_s
        tx1 = await closed_loop(
            one_row(connections), range(0, len(singles), 2), concurrency=1, time_cap_s=cap
        )
        tx16 = await closed_loop(
            one_row(connections), range(1, len(singles), 2), concurrency=16, time_cap_s=cap
        )
        many = await closed_loop(batch, range(len(batches)), concurrency=1, time_cap_s=cap)
        await connections[0].execute(f"DROP TABLE {SCRATCH}")
        for constraint in coupons.foreign_key_constraints:
            parent = _parent(constraint.referred_table.name)
            await connections[0].execute(f"DROP TABLE IF EXISTS {parent}")
    finally:
        for connection in connections:
            await connection.close()
    return [
        _result(store, "raw.tx1", "raw one-row transaction", 1, "tx", tx1),
        _result(store, "raw.tx1", "raw one-row transaction", 16, "tx", tx16),
        _result(store, "raw.insert500", "raw 500-row insert", 1, "rows", many),
    ]


def _params(count: int) -> str:
    return ", ".join(f"${number}" for number in range(1, count + 1))
