"""SQLite checkpoints off the writer's path: a thread with a connection of its own copies the
WAL back into the database file a few times a second.

Left to itself SQLite checkpoints inside the COMMIT that crosses `wal_autocheckpoint` pages, so
one issuing batch in a few thousand paid for copying and syncing the whole WAL, and every call
waiting behind it saw that in its latency. A PASSIVE checkpoint from another connection runs
beside the writer without blocking it, its disk syncs release the GIL, and once it has copied
everything the next transaction starts the WAL from the beginning again. The writer's own
`wal_autocheckpoint` stays as the bound for when this thread is not running.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 0.2


class WalCheckpointer:
    def __init__(self, path: str, *, interval_seconds: float = INTERVAL_SECONDS) -> None:
        self._path = path
        self._interval = interval_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=True)
        try:
            db.execute("PRAGMA busy_timeout=1000")
            while not self._stopping.wait(self._interval):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:  # Busy or a disk error: the writer still can.
                    logger.warning("a background SQLite checkpoint failed: %s", error)
        finally:
            db.close()


def start_checkpoints(engine: AsyncEngine) -> WalCheckpointer | None:
    """Starts background checkpoints for a SQLite file; None for any other database."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return WalCheckpointer(url.database).start()
