"""SQL for the rules kept as revisions (rule_revisions), and the phrasings taught before revisions existed
(learned_phrasings, made by migration 4), which bot/editing/rules.py folds into revisions once: the first
start after the upgrade drops the table. `rules_version` counts the revisions saved (Alembic 0003).

Checking a change against the other rules is bot/editing/rules.py's; this module only stores and finds rows.
A change reads the current rules and writes its revisions inside one write transaction (`writing()`), so
no other change can land between what it checked and what it saved. On PostgreSQL each revision also
NOTIFYs `RULES_CHANNEL` when it commits, so the other replicas reload without waiting for their poll.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.storage.database import Database, Row, Tx, now_iso

RULES_CHANNEL = "netra_rules"


@dataclass(frozen=True)
class Revision:
    rule_id: str
    revision: int
    item: dict[str, Any]  # the rule in the YAML schema
    author: str  # an admin's Telegram id, or what else made it (knowledge/, kb import)
    created_at: str
    note: str | None

    @property
    def retired(self) -> bool:
        return bool(self.item.get("retired"))


@dataclass(frozen=True)
class LearnedPhrasing:
    rule_id: str
    text: str
    added_by: str


class RuleWriter:
    """The rule tables inside one write transaction: what it reads includes what it has written."""

    def __init__(self, db: Tx) -> None:
        self._db = db

    async def version(self) -> int:
        return _version(await self._db.one(VERSION))

    async def current(self) -> dict[str, Revision]:
        return _current(await self._db.all(CURRENT))

    async def insert(self, item: dict[str, Any], number: int, author: str, note: str | None) -> Revision:
        """`item` as revision `number` of its rule, stamped now."""
        created = now_iso()
        await self._db.run(
            "INSERT INTO rule_revisions (rule_id, revision, body, author, created_at, note) VALUES (?, ?, ?, ?, ?, ?)",
            (item["id"], number, json.dumps(item, ensure_ascii=False), author, created, note),
        )
        # bumped under the row's lock until this transaction commits: versions appear in commit order
        await self._db.run("UPDATE rules_version SET version = version + 1 WHERE id = 1")
        if self._db.dialect == "postgresql":  # delivered at commit: the other replicas reload at once
            await self._db.run(f"NOTIFY {RULES_CHANNEL}")
        return Revision(item["id"], number, item, author, created, note)

    async def learned_phrasings(self) -> list[LearnedPhrasing]:
        """Nothing once the table is gone (and nothing on PostgreSQL, which never had it)."""
        if self._db.dialect != "sqlite" or not await self._db.one(
            "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'learned_phrasings'"
        ):
            return []
        rows = await self._db.all("SELECT rule_id, text, added_by FROM learned_phrasings ORDER BY id")
        return [LearnedPhrasing(row["rule_id"], row["text"], str(row["added_by"])) for row in rows]

    async def drop_learned_phrasings(self) -> None:
        await self._db.run("DROP TABLE IF EXISTS learned_phrasings")


class RuleStore:
    def __init__(self, store: Database) -> None:
        self.store = store

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[RuleWriter]:
        """One write transaction: everything done through the writer is committed together, or nothing. It
        takes the version row's lock first, so on PostgreSQL too no other change lands between what this one
        checked and what it saves."""
        async with self.store.transaction() as db:
            await db.run("UPDATE rules_version SET version = version WHERE id = 1")
            yield RuleWriter(db)

    async def version(self) -> int:
        """Grows with every revision saved, by this process or another, in the order they were committed."""
        return _version(await self.store.fetchone(VERSION))

    async def current(self) -> dict[str, Revision]:
        return _current(await self.store.fetchall(CURRENT))

    async def latest(self, rule_id: str) -> Revision | None:
        rows = await self.store.fetchall(
            "SELECT * FROM rule_revisions WHERE rule_id = ? ORDER BY revision DESC LIMIT 1", (rule_id,)
        )
        return _revision(rows[0]) if rows else None

    async def history(self, rule_id: str) -> list[Revision]:
        """Every revision of a rule, newest first."""
        rows = await self.store.fetchall(
            "SELECT * FROM rule_revisions WHERE rule_id = ? ORDER BY revision DESC", (rule_id,)
        )
        return [_revision(row) for row in rows]

    async def revision(self, rule_id: str, number: int) -> Revision | None:
        row = await self.store.fetchone(
            "SELECT * FROM rule_revisions WHERE rule_id = ? AND revision = ?", (rule_id, number)
        )
        return _revision(row) if row else None


VERSION = "SELECT version FROM rules_version WHERE id = 1"
# the latest revision of every rule, in the order the rules were first added
CURRENT = (
    "SELECT r.* FROM rule_revisions r JOIN (SELECT rule_id, MAX(revision) AS last, MIN(id) AS first "
    "FROM rule_revisions GROUP BY rule_id) m ON r.rule_id = m.rule_id AND r.revision = m.last ORDER BY m.first"
)


def _version(row: Row | None) -> int:
    return int(row["version"]) if row else 0


def _current(rows: list[Row]) -> dict[str, Revision]:
    return {row["rule_id"]: _revision(row) for row in rows}


def _revision(row: Row) -> Revision:
    return Revision(
        row["rule_id"], row["revision"], json.loads(row["body"]), row["author"], row["created_at"], row["note"]
    )
