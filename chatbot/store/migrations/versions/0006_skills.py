"""Skills: the hosts a manifest version carries, each replica's loaded registry state, and
manifests sent in chat that wait for their Add button.

Revision ID: 0006_skills
Revises: 0005_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_skills"
down_revision = "0006_jml"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("skill_versions") as batch:
        batch.add_column(sa.Column("hosts", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "skill_replicas",
        sa.Column("replica", sa.String(), nullable=False),
        sa.Column("registry_version", sa.Integer(), nullable=False),
        sa.Column("loaded", sa.Text(), nullable=False),
        sa.Column("skipped", sa.Text(), nullable=False),
        sa.Column("restart_needed", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("replica"),
    )
    op.create_table(
        "skill_drafts",
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("file", sa.String(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("skill_drafts")
    op.drop_table("skill_replicas")
    with op.batch_alter_table("skill_versions") as batch:
        batch.drop_column("hosts")
