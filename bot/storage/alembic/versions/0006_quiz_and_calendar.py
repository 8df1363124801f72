"""Two tables for the socialisation kit (issue 17).

`quiz_answers`: how often each quiz scenario was answered, and wrongly, per day: counts only, never who answered,
so /stats can show where socialisation is most needed. `calendar_revisions`: the election calendar kept like
the rules, one revision per change with its author and note; the newest is served, knowledge/calendar.yaml
seeds an empty table.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DAY = sa.Date().with_variant(sa.Text(), "sqlite")  # ISO text on SQLite, as 0005 left every other day
TIME = sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quiz_answers",
        sa.Column("day", DAY, nullable=False),
        sa.Column("scenario", sa.Text, nullable=False),  # "<rule id>#<n>"
        sa.Column("answered", sa.Integer, nullable=False),
        sa.Column("wrong", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("day", "scenario"),
    )
    op.create_table(
        "calendar_revisions",
        sa.Column("revision", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("body", sa.Text, nullable=False),  # calendar.yaml as it was imported, comments and all
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("note", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("calendar_revisions")
    op.drop_table("quiz_answers")
