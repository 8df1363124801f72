"""Report numbers from a counter per year, not COUNT(*) + 1: two replicas filing at once got the same number.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_numbers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # the year
        sa.Column("last", sa.Integer, nullable=False),  # the last number given that year
    )
    # LPR-2026-000042: the year at characters 5-8, the number from character 10
    op.execute(
        "INSERT INTO report_numbers (id, last) SELECT CAST(substr(public_no, 5, 4) AS INTEGER), "
        "MAX(CAST(substr(public_no, 10) AS INTEGER)) FROM reports GROUP BY CAST(substr(public_no, 5, 4) AS INTEGER)"
    )
