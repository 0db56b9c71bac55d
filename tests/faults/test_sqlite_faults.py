"""SQLite faults under load: another process holding the file's lock, and the file removed
while served. Callers see only clean answers, and health says what is true."""

from __future__ import annotations

import asyncio
import pathlib
import sqlite3
from collections import Counter

from .calls import SERIES, Tally, issue_over_grpc, issue_over_rest
from .conftest import StartService
from .health import NOT_SERVING, SERVING, health_becomes


def _issued_codes(database: pathlib.Path) -> list[str]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT code FROM coupons WHERE series_id = ?", (SERIES,)).fetchall()
    return [code for (code,) in rows]


async def _hold_lock(database: pathlib.Path, seconds: float) -> None:
    """Another process's writer: an exclusive lock on the file for `seconds`."""
    other = sqlite3.connect(database, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        await asyncio.sleep(seconds)
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_lock_held_past_the_busy_timeout_is_unavailable_then_recovers(
    demo_sqlite: pathlib.Path, start_service: StartService
) -> None:
    database = demo_sqlite
    service = await start_service(
        f"sqlite+aiosqlite:///{database}", sqlite_busy_timeout_seconds=0.3
    )
    target = f"127.0.0.1:{service.grpc_port}"
    base_url = f"http://127.0.0.1:{service.http_port}"
    grpc_tally, rest_tally = Tally(), Tally()

    lock = asyncio.create_task(_hold_lock(database, 2.0))
    await asyncio.sleep(0.1)
    await asyncio.gather(
        *(issue_over_grpc(target, grpc_tally, 5, worker) for worker in range(4)),
        issue_over_rest(base_url, rest_tally, 5, 0),
        health_becomes(target, NOT_SERVING),
    )
    await lock

    assert "UNAVAILABLE" in grpc_tally.statuses and "503" in rest_tally.statuses
    assert set(grpc_tally.statuses) <= {"OK", "UNAVAILABLE"}, Counter(grpc_tally.statuses)
    assert set(rest_tally.statuses) <= {"200", "503"}, Counter(rest_tally.statuses)
    issued = grpc_tally.codes + rest_tally.codes
    assert len(grpc_tally.codes_by_request) == 20 and len(rest_tally.codes_by_request) == 5
    assert sorted(_issued_codes(database)) == sorted(issued) and len(set(issued)) == 25
    await health_becomes(target, SERVING)


async def test_a_short_lock_only_makes_callers_wait(
    demo_sqlite: pathlib.Path, start_service: StartService
) -> None:
    database = demo_sqlite
    service = await start_service(f"sqlite+aiosqlite:///{database}")
    tally = Tally()

    lock = asyncio.create_task(_hold_lock(database, 0.5))
    await asyncio.sleep(0.05)
    await issue_over_grpc(f"127.0.0.1:{service.grpc_port}", tally, 5, 0)
    await lock

    assert tally.statuses == ["OK"] * 5


async def test_a_removed_file_is_unavailable_and_nothing_is_written_into_it(
    demo_sqlite: pathlib.Path, tmp_path: pathlib.Path, start_service: StartService
) -> None:
    database = demo_sqlite
    service = await start_service(f"sqlite+aiosqlite:///{database}")
    target = f"127.0.0.1:{service.grpc_port}"
    before = Tally()
    await issue_over_grpc(target, before, 2, 0)
    assert before.statuses == ["OK", "OK"]

    saved = tmp_path / "saved.db"
    await asyncio.to_thread(_backup, database, saved)
    await asyncio.to_thread(_remove, database)
    after = Tally()
    await asyncio.gather(issue_over_grpc(target, after, 1, 1), health_becomes(target, NOT_SERVING))

    assert set(after.statuses) == {"UNAVAILABLE"} and not after.codes_by_request
    assert not any(await asyncio.to_thread(_files_of, database)), "no new, empty database"
    assert sorted(_issued_codes(saved)) == sorted(before.codes)


def _remove(database: pathlib.Path) -> None:
    for path in _files_of(database):
        path.unlink()


def _files_of(database: pathlib.Path) -> list[pathlib.Path]:
    candidates = (pathlib.Path(f"{database}{suffix}") for suffix in ("", "-wal", "-shm"))
    return [path for path in candidates if path.exists()]


def _backup(source: pathlib.Path, target: pathlib.Path) -> None:
    with sqlite3.connect(source) as db, sqlite3.connect(target) as copy:
        db.backup(copy)
