"""Joiners, movers, leavers and access reviews: bundle grants, review campaigns and items.

Revision ID: 0006_jml
Revises: 0005_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_jml"
down_revision = "0006_identity_channels"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "jml_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(), nullable=False),
        sa.Column("bundle", sa.String(), nullable=False),
        sa.Column("resource", sa.String(), nullable=False),
        sa.Column("backend", sa.String(), nullable=False),
        sa.Column("grant", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("person", "resource", "state", "action_id"):
        op.create_index(f"ix_jml_grants_{column}", "jml_grants", [column])
    op.create_table(
        "review_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("resource", sa.String(), nullable=False),
        sa.Column("started_by", sa.String(), nullable=False),
        sa.Column("reviewers", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        _when("started_at"),
        _when("closed_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("resource", "state"):
        op.create_index(f"ix_review_campaigns_{column}", "review_campaigns", [column])
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(), nullable=False),
        sa.Column("resource", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        _when("decided_at", nullable=True),
        _when("reminded_at", nullable=True),
        sa.Column("escalated_to", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("campaign_id", "decision"):
        op.create_index(f"ix_review_items_{column}", "review_items", [column])


def downgrade() -> None:
    op.drop_table("review_items")
    op.drop_table("review_campaigns")
    op.drop_table("jml_grants")
