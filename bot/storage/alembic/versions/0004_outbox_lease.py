"""The admin-notice outbox claimed with a lease, its retry time on the row: with several replicas, a delivery run
claims a batch (FOR UPDATE SKIP LOCKED on PostgreSQL) until `lease_until`, so no other replica sends it meanwhile,
and a claim whose replica died is due again when its lease runs out. Both are epoch seconds set at delivery time
(a batch runs every NOTICE_INTERVAL), never the moment the report was sent.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("due_at", sa.Float, nullable=False, server_default="0"))
    op.add_column("outbox", sa.Column("lease_until", sa.Float, nullable=False, server_default="0"))
