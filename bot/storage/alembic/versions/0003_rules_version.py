"""The rules' version as a counter bumped in the same transaction as each revision, not MAX(id): on PostgreSQL a
revision committed after one with a higher id would never be seen by a bot polling MAX(id).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rules_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO rules_version (id, version) SELECT 1, COALESCE(MAX(id), 0) FROM rule_revisions")
