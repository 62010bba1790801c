"""The web chat: each person's stored conversation, and thumbs up/down on answers.

Revision ID: 0006_web
Revises: 0005_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_web"
down_revision = "0006_skills"
branch_labels = None
depends_on = None


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "web_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("change", sa.String(), nullable=False),
        sa.Column("speaker", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("skill", sa.String(), nullable=True),
        sa.Column("card", sa.Text(), nullable=False),
        _when("at"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("person", "ref", "action_id"):
        op.create_index(f"ix_web_entries_{column}", "web_entries", [column])
    op.create_table(
        "feedback_votes",
        sa.Column("person", sa.String(), nullable=False),
        sa.Column("reply_id", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("skill", sa.String(), nullable=True),
        _when("at"),
        sa.PrimaryKeyConstraint("person", "reply_id"),
    )
    op.create_index("ix_feedback_votes_at", "feedback_votes", ["at"])


def downgrade() -> None:
    op.drop_table("feedback_votes")
    op.drop_table("web_entries")
