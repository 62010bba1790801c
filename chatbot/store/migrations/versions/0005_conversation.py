"""Timed actions: when a confirmed action starts (issue 11).

Revision ID: 0005_conversation
Revises: 0005_incidents
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_conversation"
down_revision = "0005_incidents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_actions",
        sa.Column("action_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("requester", sa.String(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zone", sa.String(), nullable=False),
        sa.Column("said", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("action_id"),
    )
    with op.batch_alter_table("scheduled_actions", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_actions_requester", ["requester"], unique=False)
        batch_op.create_index("ix_scheduled_actions_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_actions_state")
        batch_op.drop_index("ix_scheduled_actions_requester")
    op.drop_table("scheduled_actions")
