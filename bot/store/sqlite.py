"""SQLite storage through aiosqlite: one connection, WAL, a busy timeout, migrations at open.

The connection is in autocommit mode and shared by every coroutine, so writes take `_lock`: a statement of
one coroutine can never land inside (or be rolled back with) another's `transaction()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store import QuestionRecord
from bot.store.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 5000


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = aiosqlite.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys=ON",
            "PRAGMA secure_delete=ON",
            "PRAGMA synchronous=NORMAL",
        ):
            await self._db.execute(pragma)
        await self._migrate()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """All or nothing: the statements run inside are committed together, or none is."""
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement, committed on its own; returns the new row id (for an INSERT)."""
        async with self._lock:
            cur = await self.db.execute(sql, tuple(params))
            return int(cur.lastrowid or 0)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self.db.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self.db.execute(sql, tuple(params)) as cur:
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
            (now_iso(), query, status, rule_id, confidence, lang),
        )

    async def get_question(self, question_id: int) -> QuestionRecord | None:
        row = await self.fetchone("SELECT * FROM questions WHERE id = ?", (question_id,))
        return QuestionRecord(**dict(row)) if row else None

    async def record_vote(self, rule_id: str, question_id: int | None, vote: int) -> None:
        question = await self.get_question(question_id) if question_id else None
        await self.write(
            "INSERT INTO votes (voted_at, rule_id, question_id, query, vote) VALUES (?, ?, ?, ?, ?)",
            (now_iso(), rule_id, question.id if question else None, question.query if question else None, vote),
        )

    async def get_language(self, user_key: str) -> str | None:
        row = await self.fetchone("SELECT lang FROM user_settings WHERE user_key = ?", (user_key,))
        return row["lang"] if row else None

    async def set_language(self, user_key: str, lang: str) -> None:
        await self.write(
            "INSERT INTO user_settings (user_key, lang, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_key) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at",
            (user_key, lang, now_iso()),
        )
