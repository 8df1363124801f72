"""SQLite storage through aiosqlite: a write connection and a read connection, WAL, migrations at open.

The write connection is in autocommit mode and shared by every coroutine, so writes take `_lock`: a
statement of one coroutine can never land inside (or be rolled back with) another's `transaction()`. Reads
go through their own connection, so they see only committed data, never another coroutine's open
transaction.

Deleted rows must not outlive their deletion on disk (a tip's draft, above all): `secure_delete` zeroes
them in the database file, and `wipe()` moves every commit into that file and truncates the WAL, which
would otherwise keep older copies of the pages for hundreds of commits. The files are private (0600 in a
0700 folder).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 5000
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
    "PRAGMA synchronous=NORMAL",  # FULL for the commits that precede a receipt: durable_transaction()
    "PRAGMA journal_size_limit=0",  # every checkpoint that can truncates the WAL
)
WIPE_TRIES, WIPE_BUSY_MS = 10, 50


def now_iso() -> str:
    """For staff actions (audit, rule revisions): to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def today_iso() -> str:
    """For everything users do: the day only, so no row marks the moment someone used the bot."""
    return date.today().isoformat()


def make_private(folder: Path) -> None:
    """DATA_DIR and what is in it readable by the bot's own user only."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.wipe_pending = False  # a wipe found the WAL busy; jobs.wipe_if_pending tries again

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    async def open(self) -> None:
        make_private(self.path.parent)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite gives -wal/-shm this mode
        os.chmod(self.path, 0o600)
        self._db = await self._connect()
        await self._migrate()
        self._reader = await self._connect()
        await self.wipe()  # what a crash left in the WAL goes now

    async def _connect(self) -> aiosqlite.Connection:
        db = await aiosqlite.connect(self.path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await db.execute(pragma)
        return db

    async def close(self) -> None:
        for db in (self._reader, self._db):
            if db is not None:
                await db.close()
        self._db = self._reader = None

    async def wipe(self) -> bool:
        """Checkpoint the WAL into the database and truncate it to nothing. False if a reader (another
        process, say an operator's sqlite3 shell) kept it busy for every try: `wipe_pending` is then set,
        and a job tries again (bot/tg/jobs.py). Writers wait only for one try at a time."""
        for attempt in range(WIPE_TRIES):
            async with self._lock:
                await self.db.execute(f"PRAGMA busy_timeout={WIPE_BUSY_MS}")
                try:
                    async with self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                        busy = (await cur.fetchone())[0]
                finally:
                    await self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not busy:
                self.wipe_pending = False
                return True
            await asyncio.sleep(0.01 * (attempt + 1))
        self.wipe_pending = True
        return False

    @asynccontextmanager
    async def transaction(self, durable: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """All or nothing: the statements run inside are committed together, or none is. `durable`: the
        commit survives a power loss too (synchronous=FULL), for what a user is told about at once, such
        as a report whose receipt is shown next."""
        async with self._lock:
            if durable:
                await self.db.execute("PRAGMA synchronous=FULL")
            try:
                await self.db.execute("BEGIN IMMEDIATE")
                try:
                    yield self.db
                except BaseException:
                    await self.db.execute("ROLLBACK")
                    raise
                await self.db.execute("COMMIT")
            finally:
                if durable:
                    await self.db.execute("PRAGMA synchronous=NORMAL")

    def durable_transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        return self.transaction(durable=True)

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement, committed on its own; returns the new row id (for an INSERT)."""
        async with self._lock:
            cur = await self.db.execute(sql, tuple(params))
            return int(cur.lastrowid or 0)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self.reader.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self.reader.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def _migrate(self) -> None:
        version = await self.schema_version()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
