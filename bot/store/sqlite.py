"""SQLite storage through aiosqlite: one connection, WAL, a busy timeout, migrations at open."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

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

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
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

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def _migrate(self) -> None:
        version = await self.schema_version()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")

    async def record_question(self, query: str, status: str, rule_id: str | None, confidence: float, lang: str) -> int:
        cur = await self.db.execute(
            "INSERT INTO questions (asked_at, query, status, rule_id, confidence, lang) VALUES (?, ?, ?, ?, ?, ?)",
            (now_iso(), query, status, rule_id, confidence, lang),
        )
        await self.db.commit()
        return int(cur.lastrowid or 0)

    async def get_question(self, question_id: int) -> QuestionRecord | None:
        async with self.db.execute("SELECT * FROM questions WHERE id = ?", (question_id,)) as cur:
            row = await cur.fetchone()
        return QuestionRecord(**dict(row)) if row else None

    async def record_vote(self, rule_id: str, question_id: int | None, vote: int) -> None:
        question = await self.get_question(question_id) if question_id else None
        await self.db.execute(
            "INSERT INTO votes (voted_at, rule_id, question_id, query, vote) VALUES (?, ?, ?, ?, ?)",
            (now_iso(), rule_id, question.id if question else None, question.query if question else None, vote),
        )
        await self.db.commit()

    async def get_language(self, user_key: str) -> str | None:
        async with self.db.execute("SELECT lang FROM user_settings WHERE user_key = ?", (user_key,)) as cur:
            row = await cur.fetchone()
        return row["lang"] if row else None

    async def set_language(self, user_key: str, lang: str) -> None:
        await self.db.execute(
            "INSERT INTO user_settings (user_key, lang, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_key) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at",
            (user_key, lang, now_iso()),
        )
        await self.db.commit()
