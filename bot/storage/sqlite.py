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
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage import QuestionRecord
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

    async def record_question(self, query: str, status: str, rule_id: str | None, confidence: float, lang: str) -> int:
        return await self.write(
            "INSERT INTO questions (asked_at, query, status, rule_id, confidence, lang) VALUES (?, ?, ?, ?, ?, ?)",
            (today_iso(), query, status, rule_id, confidence, lang),
        )

    async def get_question(self, question_id: int) -> QuestionRecord | None:
        row = await self.fetchone("SELECT * FROM questions WHERE id = ?", (question_id,))
        return QuestionRecord(**dict(row)) if row else None

    async def record_vote(self, rule_id: str, question_id: int | None, vote: int) -> bool:
        """One vote per answered question, for a rule it was answered with (or offered, for a choice list);
        False for anything else, such as a forged or repeated press. A rule opened by browsing has no
        question: its vote counts for the rule alone."""
        question = await self.get_question(question_id) if question_id else None
        if question_id and (question is None or (question.status == "answer" and question.rule_id != rule_id)):
            return False
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT INTO votes (voted_at, rule_id, question_id, query, vote) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (today_iso(), rule_id, question_id or None, None, vote),  # the text stays with its question
            )
            return cur.rowcount == 1

    async def forget_questions(self, matching: Callable[[str], bool]) -> int:
        """Delete stored questions whose text `matching` flags (receipt codes recorded before that was
        refused)."""
        rows = await self.fetchall("SELECT id, query FROM questions")
        doomed = [(row["id"],) for row in rows if matching(row["query"])]
        if doomed:
            async with self.transaction() as db:
                await db.executemany("DELETE FROM votes WHERE question_id = ?", doomed)
                await db.executemany("DELETE FROM questions WHERE id = ?", doomed)
        return len(doomed)

    async def purge_questions(self, before: date) -> int:
        """Questions and votes older than the retention period: they served /unanswered and /stats."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM votes WHERE voted_at < ?", (before.isoformat(),))
            cur = await db.execute("DELETE FROM questions WHERE asked_at < ?", (before.isoformat(),))
            return cur.rowcount
