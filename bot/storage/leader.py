"""Which replica runs the periodic sweeps (retention, WAL wipes): the one holding a PostgreSQL advisory lock.

The lock is session-level (`pg_try_advisory_lock`), held on a connection of its own for as long as the replica
lives; if the replica or that connection dies, the server drops the lock, and whichever replica asks next (at the
top of its next sweep) takes it. The connection is opened outside the database's pools, so holding it never takes
a slot that per-chat locks or queries need. With SQLite there is one process per file (the DATA_DIR lock), which
is always the leader.

Leadership is checked when a sweep starts, not while it runs: if the holder's connection breaks mid-sweep, another
replica may start the same sweep before the first has noticed. The sweeps are idempotent, so that costs only work.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage.database import Database

log = logging.getLogger(__name__)

LEADER_KEY = 0x4E455452_4131  # "NETRA1": the one lock of its kind in the database


class Leader:
    def __init__(self, store: Database) -> None:
        self._store = store
        self._engine: AsyncEngine | None = None  # PostgreSQL: unpooled, so a closed connection really closes
        self._conn: AsyncConnection | None = None  # the session holding the lock, while this replica leads
        self._asking = asyncio.Lock()  # two jobs asking at once must not race over one connection

    async def is_leader(self) -> bool:
        """Asked at the top of each sweep: still holding the lock, or taking it now if nobody holds it."""
        if self._store.url is None:
            return True
        async with self._asking:
            if self._conn is not None:
                try:
                    await self._conn.execute(text("SELECT 1"))
                    return True
                except Exception:  # the connection broke: the server has dropped the lock with it
                    log.warning("lost the lead for the periodic jobs (its database connection broke)")
                    await self._drop()
            self._conn = await self._try_lock()
            return self._conn is not None

    async def _try_lock(self) -> AsyncConnection | None:
        if self._engine is None:
            assert self._store.url is not None
            self._engine = create_async_engine(
                self._store.url, poolclass=NullPool, isolation_level="AUTOCOMMIT", hide_parameters=True
            )  # AUTOCOMMIT: a lock held is not a transaction left open
        conn = await self._engine.connect()
        try:
            if (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_KEY})).scalar_one():
                return conn
        except BaseException:
            await conn.close()
            raise
        await conn.close()
        return None

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()  # NullPool: the session ends, and the lock with it
            except Exception:  # already broken; the server ended the session
                log.debug("the leader's connection was already gone")

    async def close(self) -> None:
        """At shutdown: hand the lead over at once rather than when the server notices the process is gone."""
        async with self._asking:
            await self._drop()
            if self._engine is not None:
                await self._engine.dispose()
                self._engine = None
