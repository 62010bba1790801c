"""Incidents: where each incident's card was posted, so replies in its thread reach it; and
an index that finds the incidents following a deploy (service, env, start) for the KPIs.

Revision ID: 0006_incidents
Revises: 0005_identity (the lead re-chains this at merge)
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_incidents"
down_revision = "0005_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("conversation", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform", "message_id", "conversation", name="uq_incident_posts"),
    )
    op.create_index("ix_incident_posts_incident_id", "incident_posts", ["incident_id"])
    op.create_index(
        "ix_incidents_service_env_started", "incidents", ["service", "env", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_service_env_started", table_name="incidents")
    op.drop_table("incident_posts")
