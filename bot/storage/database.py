"""The database, through SQLAlchemy's async engine: the embedded SQLite file in DATA_DIR (aiosqlite), or
PostgreSQL when DATABASE_URL names one (asyncpg).

Statements are SQL text with `?` placeholders, bound by name underneath, written to read the same on both
databases; rows come back as mappings (`row["column"]`, `dict(row)`). The schema is Alembic's
(bot/storage/alembic/): SQLite databases made before it are first brought up by the scripts in migrations.py.

PostgreSQL: every transaction takes a pooled connection of its own; PostgreSQL keeps them apart.

SQLite: a write connection and a read connection, WAL, migrations at open. The write connection is in
autocommit mode and shared by every coroutine, so writes take `_lock`: a statement of one coroutine can never
land inside (or be rolled back with) another's `transaction()`. Reads go through their own connection, so
they see only committed data, never another coroutine's open transaction.

Deleted rows must not outlive their deletion on disk (a tip's draft, above all): `secure_delete` zeroes them in
the database file, and `wipe()` moves every commit into that file and truncates the WAL, which would otherwise
keep older copies of the pages for hundreds of commits. The files are private (0600 in a 0700 folder).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData, event, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage.migrations import MIGRATIONS

Row = Mapping[str, Any]
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
LOCK_SLOTS = 10  # PostgreSQL: connections for advisory locks, so as many updates at once per replica
ALEMBIC_DIR = Path(__file__).resolve().parent / "alembic"
_PLACEHOLDER = re.compile(r"\?")


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


def _bound(sql: str, params: Iterable[Any]) -> tuple[Any, dict[str, Any]]:
    """`?` placeholders as named ones (:p0, :p1, ...), the values as the matching dict."""
    values = list(params)
    names = iter(range(len(values) + 1))
    named = _PLACEHOLDER.sub(lambda _m: f":p{next(names)}", sql)
    return text(named), {f"p{i}": v for i, v in enumerate(values)}


class Tx:
    """Statements inside one transaction (or, outside one, on the write connection as they come)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    @property
    def dialect(self) -> str:
        """sqlite or postgresql."""
        return self._conn.dialect.name

    async def run(self, sql: str, params: Iterable[Any] = ()) -> int:
        """A statement; the number of rows it changed."""
        statement, values = _bound(sql, params)
        return (await self._conn.execute(statement, values)).rowcount

    async def insert(self, sql: str, params: Iterable[Any] = (), returning: str = "id") -> int:
        """An INSERT of one row; the new row's id (or the integer column `returning`)."""
        statement, values = _bound(f"{sql} RETURNING {returning}", params)
        return int((await self._conn.execute(statement, values)).scalar_one())

    async def many(self, sql: str, rows: Sequence[Iterable[Any]]) -> None:
        """One statement for each parameter row."""
        if rows:
            bound = [_bound(sql, r) for r in rows]
            await self._conn.execute(bound[0][0], [values for _s, values in bound])

    async def all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        statement, values = _bound(sql, params)
        return list((await self._conn.execute(statement, values)).mappings().all())

    async def one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


# PostgreSQL sessions of the bot: times in UTC and ISO dates, so the text the codecs below read is ISO too
PG_SESSION = {"server_settings": {"timezone": "UTC", "datestyle": "ISO, YMD"}}


def _iso_codecs(dbapi_connection: Any, _record: Any) -> None:
    """The bot passes and reads days and times as ISO strings on both databases; on PostgreSQL the columns are
    DATE and TIMESTAMPTZ (Alembic 0005). These codecs let asyncpg take and give the strings in their place."""

    def day(value: Any) -> str:
        return value if isinstance(value, str) else value.isoformat()

    def moment(text_value: str) -> str:  # "2026-12-02 15:38:17+00" -> "2026-12-02T15:38:17+00:00", as now_iso()
        return datetime.fromisoformat(text_value).isoformat()

    async def install(conn: Any) -> None:
        await conn.set_type_codec("date", encoder=day, decoder=str, schema="pg_catalog", format="text")
        await conn.set_type_codec("timestamptz", encoder=day, decoder=moment, schema="pg_catalog", format="text")

    dbapi_connection.run_async(install)


def _alembic_upgrade(conn: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def postgres_url(url: str) -> str:
    """postgresql://… (what operators write) as SQLAlchemy's asyncpg URL."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must start with postgresql:// (or be unset, for SQLite in DATA_DIR)")


class Database:
    def __init__(self, path: Path, url: str | None = None) -> None:
        """SQLite at `path`, or the PostgreSQL database at `url` (postgresql://…) when it is given."""
        self.path = path
        self.url = postgres_url(url) if url else None
        self._engine: AsyncEngine | None = None
        self._writer: AsyncConnection | None = None
        self._reader: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self._locks: AsyncEngine | None = None  # PostgreSQL: a pool of its own, so a held lock never starves work
        self._listener: Any = None  # PostgreSQL: the asyncpg connection LISTENing for other processes' changes
        self.wipe_pending = False  # a wipe found the WAL busy; jobs.wipe_if_pending tries again

    def _conn(self, conn: AsyncConnection | None) -> AsyncConnection:
        if conn is None:
            raise RuntimeError("store is not open")
        return conn

    @property
    def postgres(self) -> bool:
        return self.url is not None

    @property
    def db(self) -> Tx:
        """The write connection, outside any transaction (each statement commits on its own)."""
        return Tx(self._conn(self._writer))

    async def open(self) -> None:
        if self.url is not None:
            # hide_parameters: a database error's message would otherwise carry its values (a draft's key) into logs
            self._engine = create_async_engine(
                self.url, pool_size=5, max_overflow=5, pool_pre_ping=True, hide_parameters=True, connect_args=PG_SESSION
            )
            event.listen(self._engine.sync_engine, "connect", _iso_codecs)
            self._locks = create_async_engine(
                self.url, pool_size=LOCK_SLOTS, max_overflow=0, pool_pre_ping=True, hide_parameters=True,
                isolation_level="AUTOCOMMIT",  # a lock held is not a transaction left open
            )  # fmt: skip
            async with self._engine.begin() as conn:
                await conn.run_sync(_alembic_upgrade)
            return
        make_private(self.path.parent)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite gives -wal/-shm this mode
        os.chmod(self.path, 0o600)
        # autocommit underneath: BEGIN and COMMIT are this class's, never the driver's or SQLAlchemy's
        self._engine = create_async_engine(
            f"sqlite+aiosqlite:///{self.path}", poolclass=NullPool, isolation_level="AUTOCOMMIT", hide_parameters=True
        )
        event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)  # on every connection, reconnects too
        self._writer = await self._connect()
        await self._migrate()
        self._reader = await self._connect()
        await self.wipe()  # what a crash left in the WAL goes now

    async def _connect(self) -> AsyncConnection:
        assert self._engine is not None
        return await self._engine.connect()

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        """PostgreSQL: call `callback` whenever any process NOTIFYs `channel` (a rule saved on another replica).
        If the connection breaks, callers still have their polling; SQLite: nothing to do."""
        if self.url is None:
            return
        import asyncpg

        self._listener = await asyncpg.connect(self.url.replace("postgresql+asyncpg://", "postgresql://", 1))
        await self._listener.add_listener(channel, lambda *_args: callback())

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._writer = self._reader = None
        for engine in (self._locks, self._engine):
            if engine is not None:
                await engine.dispose()
        self._engine = self._locks = None

    async def ping(self) -> bool:
        """The database answers (the health check)."""
        try:
            await self.fetchone("SELECT 1 AS one")
        except Exception:  # whatever the failure, the answer is "not reachable"
            return False
        return True

    @asynccontextmanager
    async def advisory_lock(self, key: int) -> AsyncIterator[None]:
        """PostgreSQL: one holder of `key` at a time across every process on the database, until the block
        ends or the holder's connection dies (a killed replica's locks go with it). The lock lives in the
        server's memory only. SQLite has one process per file: nothing to do."""
        if self._locks is None:
            yield
            return
        async with self._locks.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                try:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                except Exception:  # the connection broke: the server has released the lock already
                    await conn.invalidate()

    async def _pragma(self, pragma: str) -> Any:
        result = await self._conn(self._writer).exec_driver_sql(pragma)
        row = result.first()
        return row[0] if row is not None else None

    async def wipe(self) -> bool:
        """SQLite: checkpoint the WAL into the database and truncate it to nothing. False if a reader (another
        process, say an operator's sqlite3 shell) kept it busy for every try: `wipe_pending` is then set,
        and a job tries again (bot/tg/jobs.py). Writers wait only for one try at a time. PostgreSQL keeps its
        own write-ahead log and reclaims deleted rows by vacuuming (docs/deploy.md): nothing to do here."""
        if self.url is not None:
            return True
        for attempt in range(WIPE_TRIES):
            async with self._lock:
                await self._pragma(f"PRAGMA busy_timeout={WIPE_BUSY_MS}")
                try:
                    busy = await self._pragma("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    await self._pragma(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not busy:
                self.wipe_pending = False
                return True
            await asyncio.sleep(0.01 * (attempt + 1))
        self.wipe_pending = True
        return False

    @asynccontextmanager
    async def transaction(self, durable: bool = False) -> AsyncIterator[Tx]:
        """All or nothing: the statements run inside are committed together, or none is. `durable`: the
        commit survives a power loss too (synchronous=FULL), for what a user is told about at once, such
        as a report whose receipt is shown next (PostgreSQL commits durably anyway)."""
        if self.url is not None:
            assert self._engine is not None, "store is not open"
            async with self._engine.begin() as pg:
                yield Tx(pg)
            return
        conn = self._conn(self._writer)
        async with self._lock:
            if durable:
                await conn.exec_driver_sql("PRAGMA synchronous=FULL")
            try:
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield Tx(conn)
                except BaseException:
                    await conn.exec_driver_sql("ROLLBACK")
                    raise
                await conn.exec_driver_sql("COMMIT")
            finally:
                if durable:
                    await conn.exec_driver_sql("PRAGMA synchronous=NORMAL")

    def durable_transaction(self) -> AbstractAsyncContextManager[Tx]:
        return self.transaction(durable=True)

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement, committed on its own; the number of rows it changed."""
        if self.url is not None:
            async with self.transaction() as tx:
                return await tx.run(sql, params)
        async with self._lock:
            return await self.db.run(sql, params)

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One INSERT, committed on its own; the new row's id."""
        if self.url is not None:
            async with self.transaction() as tx:
                return await tx.insert(sql, params)
        async with self._lock:
            return await self.db.insert(sql, params)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        if self.url is not None:
            assert self._engine is not None, "store is not open"
            async with self._engine.connect() as conn:
                return await Tx(conn).all(sql, params)
        return await Tx(self._conn(self._reader)).all(sql, params)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def table_names(self) -> set[str]:
        assert self._engine is not None, "store is not open"
        async with self._engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))

    async def tables_in_order(self) -> list[str]:
        """Every table, each after the tables its foreign keys point at."""
        assert self._engine is not None, "store is not open"

        def sorted_names(sync: Connection) -> list[str]:
            metadata = MetaData()
            metadata.reflect(sync)
            return [table.name for table in metadata.sorted_tables]

        async with self._engine.connect() as conn:
            return await conn.run_sync(sorted_names)

    async def schema_version(self) -> int:
        return int(await self._pragma("PRAGMA user_version"))

    async def _migrate(self) -> None:
        """The scripts of migrations.py that this file lacks, then Alembic's revisions."""
        writer = self._conn(self._writer)
        version = await self.schema_version()
        raw = await writer.get_raw_connection()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await raw.driver_connection.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
        await writer.exec_driver_sql("BEGIN IMMEDIATE")  # Alembic's revisions all at once, or none of them
        try:
            await writer.run_sync(_alembic_upgrade)
        except BaseException:
            await writer.exec_driver_sql("ROLLBACK")
            raise
        await writer.exec_driver_sql("COMMIT")
