"""Alert intake answers first and processes after: the accepted deliveries not processed yet.

Revision ID: 0009_alert_deliveries
Revises: 0008_start_dates
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_alert_deliveries"
down_revision = "0008_start_dates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("notices", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alert_deliveries")
