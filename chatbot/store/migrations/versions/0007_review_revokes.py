"""Access reviews: the access.revoke request a reviewer's "revoke" became, on its item.

Revision ID: 0007_review_revokes
Revises: 0006_web
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_review_revokes"
down_revision = "0006_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("revoke_action_id", sa.Integer(), nullable=True))
        batch.create_index("ix_review_items_revoke_action_id", ["revoke_action_id"])


def downgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.drop_index("ix_review_items_revoke_action_id")
        batch.drop_column("revoke_action_id")
