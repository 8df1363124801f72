"""The PostgreSQL server the tests use: the one `.ci/run` starts with Debian's `pg_virtualenv`, which sets
PGHOST, PGPORT, PGUSER and PGPASSWORD. NETRA_REQUIRE_POSTGRES=1 (CI sets it) turns "no server" from a skip into
a failure; NETRA_TEST_DATABASE=postgresql runs every bot of the suite on PostgreSQL instead of SQLite."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

KEYS = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD")


def server() -> str | None:
    """postgresql://user:password@host:port of the test server, or None (after the checks above)."""
    if not all(os.environ.get(k) for k in KEYS):
        if os.environ.get("NETRA_REQUIRE_POSTGRES") == "1":
            pytest.fail("NETRA_REQUIRE_POSTGRES=1 but PGHOST/PGPORT/PGUSER/PGPASSWORD are not set")
        return None
    env = {k: os.environ[k] for k in KEYS}
    return f"postgresql://{env['PGUSER']}:{env['PGPASSWORD']}@{env['PGHOST']}:{env['PGPORT']}"


def bots_on_postgres() -> bool:
    return os.environ.get("NETRA_TEST_DATABASE") == "postgresql"


async def create(name: str) -> str:
    """The URL of database `name` on the test server, created if it does not exist."""
    base = server()
    assert base is not None, "no PostgreSQL server"
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{base}/{name}"


@asynccontextmanager
async def fresh() -> AsyncIterator[str]:
    """The URL of a new, empty database on the test server, dropped afterwards; the test is skipped without
    a server (and fails instead under NETRA_REQUIRE_POSTGRES=1)."""
    if server() is None:
        pytest.skip("no PostgreSQL server (run the tests through .ci/run, which starts one)")
    name = f"netra_test_{secrets.token_hex(6)}"
    try:
        yield await create(name)
    finally:
        await drop(name)


async def drop(name: str) -> None:
    base = server()
    assert base is not None
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def name_for(data_dir: Path) -> str:
    """One database per DATA_DIR, so a bot restarted on the same folder finds its data again."""
    return "netra_" + hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]


def dump(data_dir: Path, into: Path) -> Path:
    """What a copy of the PostgreSQL database of `data_dir`'s bot holds: a plain pg_dump, as an attacker with the
    server's credentials (or a backup) would read it; bytea columns appear there as hex."""
    import subprocess

    base = server()
    assert base is not None
    subprocess.run(["pg_dump", "--format=plain", "--file", str(into), f"{base}/{name_for(data_dir)}"], check=True)
    return into


SQLITE_ONLY = pytest.mark.skipif(
    bots_on_postgres(),
    reason="reads the SQLite file in DATA_DIR; PostgreSQL keeps the data elsewhere (README, Privacy)",
)


async def fetch(data_dir: Path, sql: str) -> list[tuple]:
    """Rows of `sql` from the database of the bot that ran on `data_dir`, whichever database that was."""
    if not bots_on_postgres():
        import sqlite3

        db = sqlite3.connect(data_dir / "netra.sqlite3")
        try:
            return [tuple(row) for row in db.execute(sql)]
        finally:
            db.close()
    conn = await asyncpg.connect(f"{server()}/{name_for(data_dir)}")
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


async def cluster_files() -> list[Path]:
    """Every file of the test server's data directory (tables, WAL, everything), after a checkpoint: what a
    copy of the server's disk, or a base backup with its WAL, holds. Needs the server's superuser, as
    pg_virtualenv's is."""
    conn = await asyncpg.connect(f"{server()}/postgres")
    try:
        await conn.execute("CHECKPOINT")
        await conn.execute("SELECT pg_switch_wal()")
        root = Path(await conn.fetchval("SHOW data_directory"))
    finally:
        await conn.close()
    return [p for p in root.rglob("*") if p.is_file()]
