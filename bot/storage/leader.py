"""Which replica runs the periodic sweeps (retention, WAL wipes): the one holding a PostgreSQL advisory lock.

The lock is held on a connection of its own for as long as the replica lives; if the replica or the connection
dies, the server drops the lock and the next replica to ask takes it over. With SQLite there is one process per
file (the DATA_DIR lock), which is always the leader.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import Database

log = logging.getLogger(__name__)

LEADER_KEY = 0x4E455452_4131  # "NETRA1": the one lock of its kind in the database


class Leader:
    def __init__(self, store: Database) -> None:
        self._store = store
        self._conn: AsyncConnection | None = None

    async def is_leader(self) -> bool:
        """Asked at the top of each sweep: still holding the lock, or taking it now if nobody holds it."""
        if not self._store.postgres:
            return True
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection broke: the server has dropped the lock with it
                log.warning("lost the lead for the periodic jobs (its database connection broke)")
                await self._drop()
        self._conn = await self._store.try_hold(LEADER_KEY)
        return self._conn is not None

    async def _drop(self) -> None:
        """Closed for real, not returned to the pool: a pooled connection would keep holding the lock."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.invalidate()
            await conn.close()

    async def close(self) -> None:
        await self._drop()
