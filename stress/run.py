"""The command line: the stores, their servers, the scenarios, then one table.

    python -m stress                          # PostgreSQL (two replicas), then SQLite (one)
    python -m stress --quick                  # a few seconds per scenario
    python -m stress --store sqlite --only pool,kills --seed 7

PostgreSQL: --pg-url, or COUPON_STRESS_PG_URL (default postgresql://postgres@127.0.0.1:5432/
postgres), is the admin URL; the run creates a fresh database there and drops it at the end.
SQLite gets a file in a temporary directory. The servers are `make bench`'s, with the demo data
and its key. The terminated-backends scenario runs on PostgreSQL only. Exit status 0 when every
scenario ran without a breach; 1 for any breach, or a store that could not be stressed
(PostgreSQL unreachable included: use --store sqlite to leave it out).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from benchmarks.run import DEFAULT_PG_URL, print_logs
from benchmarks.servers import postgres_database, postgres_unreachable

from .profiles import FULL, QUICK, Profile
from .replicas import replica_set
from .report import Row, print_report
from .scenarios import POSTGRES_ONLY, SCENARIOS, Store

STORES = ("postgres", "sqlite")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m stress",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, seconds each")
    parser.add_argument("--store", choices=(*STORES, "all"), default="all")
    parser.add_argument("--only", help=f"comma-separated, of: {' '.join(SCENARIOS)}")
    parser.add_argument("--seed", type=int, help="repeats a run's random choices")
    parser.add_argument(
        "--pg-url", default=os.environ.get("COUPON_STRESS_PG_URL") or DEFAULT_PG_URL
    )
    args = parser.parse_args(argv)
    only = [name.strip() for name in (args.only or "").split(",") if name.strip()]
    if unknown := sorted(set(only) - set(SCENARIOS)):
        parser.error(f"unknown scenarios {unknown}; choose from {', '.join(SCENARIOS)}")
    args.scenarios = only or list(SCENARIOS)
    args.stores = list(STORES) if args.store == "all" else [args.store]
    if args.seed is None:
        args.seed = random.randrange(10**6)
    return args


async def stress_store(
    store: str, args: argparse.Namespace, workdir: Path, rows: list[Row]
) -> None:
    profile: Profile = QUICK if args.quick else FULL
    rng = random.Random(f"{args.seed}-{store}")
    scenarios = [
        name for name in args.scenarios if store == "postgres" or name not in POSTGRES_ONLY
    ]
    if store == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'stress.db'}"
        async with replica_set(url, 1, workdir, store) as replicas:
            await _run(Store("sqlite", url, replicas, profile, rng), scenarios, rows)
        return
    if reason := await postgres_unreachable(args.pg_url):
        raise RuntimeError(reason)
    plain = make_url(args.pg_url).set(drivername="postgresql")  # the form asyncpg takes
    admin = plain.render_as_string(hide_password=False)
    async with (
        postgres_database(args.pg_url) as url,
        replica_set(url, 2, workdir, store) as replicas,
    ):
        await _run(Store("postgres x2", url, replicas, profile, rng, admin), scenarios, rows)


async def _run(store: Store, scenarios: list[str], rows: list[Row]) -> None:
    for name in scenarios:
        began = time.perf_counter()
        print(f"{store.name}: {name}")
        rows.append(await SCENARIOS[name](store))
        print(f"{store.name}: {name} done in {time.perf_counter() - began:.0f} s")


async def main_async(args: argparse.Namespace) -> tuple[list[Row], dict[str, str]]:
    rows: list[Row] = []
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="coupon-stress-") as tmp:
        workdir = Path(tmp)
        for store in args.stores:
            first_row = len(rows)
            try:
                await stress_store(store, args, workdir, rows)
            except Exception as error:  # Reported; the next store still runs.
                first_line = str(error).partition("\n")[0]
                failures[store] = f"{type(error).__name__}: {first_line}"
                print(f"{store} FAILED: {failures[store]}")
            if store in failures or any(row.breaches() for row in rows[first_row:]):
                print_logs(workdir, store)
    return rows, failures


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # Progress shows as it happens, even in a log.
    began = time.perf_counter()
    profile = QUICK if args.quick else FULL
    print(f"coupon-service stress, {profile.name} run, seed {args.seed}, {os.cpu_count()} cores")
    try:
        rows, failures = asyncio.run(main_async(args))
    except KeyboardInterrupt:
        sys.exit("interrupted: servers stopped, databases dropped")
    clean = print_report(rows, failures)
    print(f"{time.perf_counter() - began:.0f} s")
    sys.exit(0 if clean else 1)
