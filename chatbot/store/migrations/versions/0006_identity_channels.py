"""Chat channel names: what Slack calls a channel, and the name a channel grant was resolved
from (so the grant is kept by id).

Revision ID: 0006_identity_channels
Revises: 0005_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_identity_channels"
down_revision = "0006_incidents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_channels",
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("pinned_as", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "channel_id"),
    )
    op.create_index("ix_chat_channels_name", "chat_channels", ["name"])
    op.create_index("ix_chat_channels_pinned_as", "chat_channels", ["pinned_as"])


def downgrade() -> None:
    op.drop_index("ix_chat_channels_pinned_as", table_name="chat_channels")
    op.drop_index("ix_chat_channels_name", table_name="chat_channels")
    op.drop_table("chat_channels")
