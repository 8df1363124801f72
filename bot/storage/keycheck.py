"""What the key check needs from the database before the store opens (bot/privacy/keys.py decides).

Read synchronously at start-up, with the standard library's sqlite3 or, for PostgreSQL, asyncpg on a thread of
its own: the keys must be known before the store, and everything sealed in it, is opened.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bot.storage.migrations import MIGRATIONS


@dataclass(frozen=True)
class KeyFacts:
    check: tuple[int, bytes] | None  # (scheme, sealed check value), once stored
    schema_version: int
    has_reports_table: bool
    sample: tuple[bytes, str] | None  # a sealed value and its purpose, to try a key on
    holds_rows: bool  # any report or draft at all


def read_key_facts(database: Path, url: str | None = None) -> KeyFacts | None:
    """None for a database that does not exist yet. PostgreSQL (`url`) never held the schemes before the key
    check: only its check value matters."""
    if url is not None:
        with ThreadPoolExecutor(1) as thread:
            check = thread.submit(asyncio.run, _postgres_check(url)).result()
        return KeyFacts(check, len(MIGRATIONS), True, None, check is not None)
    if not database.exists():
        return None
    db = sqlite3.connect(database)
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        check = None
        if "key_check" in tables and (row := db.execute("SELECT scheme, value FROM key_check").fetchone()):
            check = (int(row[0]), bytes(row[1]))
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        sample, rows = None, False
        for table, purpose in (("reports", "report"), ("tip_drafts", "draft")):
            if table not in tables:
                continue
            rows = rows or db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
            found = db.execute(f"SELECT body FROM {table} WHERE body IS NOT NULL LIMIT 1").fetchone()
            if found and sample is None:
                sample = (bytes(found[0]), purpose)
        return KeyFacts(check, version, "reports" in tables, sample, rows)
    finally:
        db.close()


async def _postgres_check(url: str) -> tuple[int, bytes] | None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        if await conn.fetchval("SELECT to_regclass('key_check')") is None:
            return None
        row = await conn.fetchrow("SELECT scheme, value FROM key_check WHERE id = 1")
        return (int(row["scheme"]), bytes(row["value"])) if row else None
    finally:
        await conn.close()
