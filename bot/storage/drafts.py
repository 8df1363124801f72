"""Where report drafts are kept: in the SQLite file, or, on PostgreSQL, only in memory (Redis).

A draft is the one record that names its author (under a keyed hash of the Telegram id) and holds what will
become a report. SQLite can forget it for good: the row is zeroed when deleted (secure_delete) and the WAL
truncated. PostgreSQL cannot: a deleted or updated row stays in the table's pages until a vacuum reuses the
space, and every version of it is in the WAL (and in any WAL archive or base backup), next to the report
inserted in the same second. So on PostgreSQL drafts go to the short-lived store, which never reaches a disk,
and the database only ever sees the report, never who wrote it (docs/deploy.md, "What is stored where").
"""

from __future__ import annotations

from typing import Protocol

from bot.storage.ephemeral import EphemeralStore
from bot.storage.tips import TipStore

KEPT_SECONDS = 2 * 86400  # untouched this long, a draft in memory expires (the SQLite purge: before yesterday)


class DraftStore(Protocol):
    in_database: bool  # True: the report's transaction replaces the draft's row with the receipt

    async def get(self, user_key: str) -> bytes | None: ...

    async def put(self, user_key: str, body: bytes) -> None: ...

    async def delete(self, user_key: str) -> None: ...

    async def every(self, updated_before: str | None = None) -> list[tuple[str, bytes]]:
        """Every draft (user key, sealed body), or those untouched since before that day."""
        ...


class DatabaseDrafts:
    """The SQLite file (bot/storage/tips.py has the SQL)."""

    in_database = True

    def __init__(self, store: TipStore) -> None:
        self._store = store

    async def get(self, user_key: str) -> bytes | None:
        return await self._store.draft(user_key)

    async def put(self, user_key: str, body: bytes) -> None:
        await self._store.save_draft(user_key, body)

    async def delete(self, user_key: str) -> None:
        await self._store.delete_draft(user_key)

    async def every(self, updated_before: str | None = None) -> list[tuple[str, bytes]]:
        return await self._store.drafts(updated_before)


class MemoryDrafts:
    """The short-lived store (Redis for replicas): a draft expires KEPT_SECONDS after its last step, so the
    purge has nothing stale to find; the orphan sweep reads them all to keep their evidence files."""

    in_database = False
    PURPOSE = "draft:"

    def __init__(self, store: EphemeralStore) -> None:
        self._store = store

    async def get(self, user_key: str) -> bytes | None:
        return await self._store.get(self.PURPOSE + user_key)

    async def put(self, user_key: str, body: bytes) -> None:
        await self._store.set(self.PURPOSE + user_key, body, KEPT_SECONDS)

    async def delete(self, user_key: str) -> None:
        await self._store.delete(self.PURPOSE + user_key)

    async def every(self, updated_before: str | None = None) -> list[tuple[str, bytes]]:
        if updated_before is not None:
            return []  # expired by their TTL
        return [(key.removeprefix(self.PURPOSE), body) for key, body in await self._store.scan(self.PURPOSE)]
