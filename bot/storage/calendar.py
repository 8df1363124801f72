"""SQL for the election calendar kept as revisions (calendar_revisions, Alembic 0006): each one the whole
calendar.yaml text as it was imported, so an export gives back the file with its comments. Checking a
calendar is bot/editing/calendar.py's; this module only stores and finds rows. A revision NOTIFYs the rules'
channel on PostgreSQL, so every replica reloads at once, as for a rule."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database, Row, now_iso
from bot.storage.rules import RULES_CHANNEL


@dataclass(frozen=True)
class CalendarRevision:
    revision: int
    text: str  # calendar.yaml
    author: str  # an admin's Telegram id, or what else made it (knowledge/, kb import)
    created_at: str
    note: str | None


class CalendarStore:
    def __init__(self, store: Database) -> None:
        self.store = store

    async def latest(self) -> CalendarRevision | None:
        row = await self.store.fetchone("SELECT * FROM calendar_revisions ORDER BY revision DESC LIMIT 1")
        return _revision(row) if row else None

    async def number(self) -> int:
        """The newest revision's number (0: none yet): a running bot compares it with the one it serves."""
        row = await self.store.fetchone("SELECT COALESCE(MAX(revision), 0) AS n FROM calendar_revisions")
        return int(row["n"]) if row else 0

    async def insert(
        self, text: str, author: str, note: str | None, unless_any: bool = False
    ) -> CalendarRevision | None:
        """`text` as the next revision; None if it is the newest already (or, with `unless_any`, if there is
        one at all: the seed). Under the rules' version lock, so two imports at once are one after the other."""
        async with self.store.transaction() as db:
            await db.run("UPDATE rules_version SET version = version WHERE id = 1")
            row = await db.one("SELECT * FROM calendar_revisions ORDER BY revision DESC LIMIT 1")
            if row is not None and (unless_any or row["body"] == text):
                return None
            number = int(row["revision"]) + 1 if row else 1
            created = now_iso()
            await db.run(
                "INSERT INTO calendar_revisions (revision, body, author, created_at, note) VALUES (?, ?, ?, ?, ?)",
                (number, text, author, created, note),
            )
            if db.dialect == "postgresql":  # delivered at commit: the other replicas reload at once
                await db.run(f"NOTIFY {RULES_CHANNEL}")
        return CalendarRevision(number, text, author, created, note)


def _revision(row: Row) -> CalendarRevision:
    return CalendarRevision(row["revision"], row["body"], row["author"], row["created_at"], row["note"])
