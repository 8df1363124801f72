"""Moving a bot's data from its SQLite file into an empty PostgreSQL database, for the step from one machine to
replicas (`python main.py db move`, docs/deploy.md).

Every table is copied row by row with its ids, in one transaction: either PostgreSQL has all of it or nothing.
Sealed values are copied as they are, so the same DATA_KEY opens them there (the key check row comes along).
Report drafts are not rows on PostgreSQL: they go to the short-lived store (Redis), still sealed, under the same
keyed hash. The SQLite file is left as it was; it is the operator's to keep or destroy.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database
from bot.storage.drafts import DraftStore
from bot.storage.tips import TipStore

SKIPPED = {"alembic_version", "tip_drafts"}  # the schema's own bookkeeping; drafts go to `drafts`
DATA = ("questions", "votes", "reports", "rule_revisions", "admin_roles", "audit")  # must be empty in the target
BATCH = 500


class MoveRefused(Exception):
    """The move cannot start; the message is one line that says why."""


@dataclass(frozen=True)
class Moved:
    rows: dict[str, int]  # per table
    drafts: int
    left: list[str]  # tables of the file with rows that PostgreSQL has no table for (an old version's)


async def move(source: Database, target: Database, drafts: DraftStore) -> Moved:
    """Both databases open (each brought to the newest schema by `open`); `drafts` is where the target's bot
    keeps report drafts."""
    if not target.postgres or source.postgres:
        raise MoveRefused("db move copies the SQLite file in DATA_DIR into the PostgreSQL database of DATABASE_URL")
    for table in DATA:
        if (row := await target.fetchone(f"SELECT COUNT(*) AS n FROM {table}")) and row["n"]:
            raise MoveRefused(
                f"the PostgreSQL database already holds data ({row['n']} rows in {table}): move into a new, "
                "empty database, before any bot has started on it"
            )
    shared = await source.table_names() - SKIPPED
    tables = [table for table in await target.tables_in_order() if table in shared]
    moved: dict[str, int] = {}
    async with target.transaction() as db:
        for table in tables:
            rows = await source.fetchall(f"SELECT * FROM {table}")
            await db.run(f"DELETE FROM {table}")  # what the migrations seeded (a counter row): the source's wins
            if rows:
                columns = list(rows[0].keys())
                insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                for start in range(0, len(rows), BATCH):
                    await db.many(insert, [[row[c] for c in columns] for row in rows[start : start + BATCH]])
                if "id" in columns:  # the identity goes on after the highest id copied
                    await db.run(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                    )
            moved[table] = len(rows)
    count = 0
    for user_key, body in await TipStore(source).drafts():
        await drafts.put(user_key, body)
        count += 1
    left = [t for t in sorted(shared - set(tables)) if (r := await source.fetchone(f"SELECT COUNT(*) AS n FROM {t}"))
            and r["n"]]  # fmt: skip
    return Moved(moved, count, left)
