"""Chat channels: platform messages per action, and conversation references per person.

Revision ID: 0004
Revises: 0001 (the lead re-chains this at merge)
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posted_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("conversation", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("posted_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_posted_messages_action_id"), ["action_id"], unique=False
        )
    op.create_table(
        "channel_references",
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("person", sa.String(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "person"),
    )


def downgrade() -> None:
    op.drop_table("channel_references")
    with op.batch_alter_table("posted_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posted_messages_action_id"))
    op.drop_table("posted_messages")
