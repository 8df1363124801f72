"""Days and times in PostgreSQL's own types: a day column (`*_on`, the questions' and votes' days, `denied.day`)
becomes DATE, a staff action's time TIMESTAMPTZ. SQLite keeps its ISO text, which sorts and compares the same.
The bot still reads and writes ISO strings on both: on PostgreSQL the connection's codecs turn them into these
types and back (bot/storage/database.py, `_iso_codecs`), so no statement changes.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DAYS = {
    "questions": ("asked_at",),
    "votes": ("voted_at",),
    "tip_drafts": ("updated_on",),
    "reports": ("submitted_on", "status_on", "purged_on"),
    "report_events": ("on_date",),
    "evidence": ("added_on",),
    "outbox": ("created_on",),
    "denied": ("day",),
}
TIMES = {"admin_roles": ("granted_at",), "audit": ("at",), "rule_revisions": ("created_at",)}


def _retype(kind: str, columns: dict[str, tuple[str, ...]], back: bool = False) -> None:
    for table, names in columns.items():
        changes = ", ".join(
            f"ALTER COLUMN {n} TYPE {'TEXT' if back else kind} USING "
            + (f"to_char({n}, 'YYYY-MM-DD')" if back and kind == "DATE" else f"{n}::{'TEXT' if back else kind}")
            for n in names
        )
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _retype("DATE", DAYS)
    _retype("TIMESTAMPTZ", TIMES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _retype("DATE", DAYS, back=True)
    _retype("TIMESTAMPTZ", TIMES, back=True)
