"""A joiner's start date on the directory person (SCIM extension chatops startDate), so
onboarding is planned for it.

Revision ID: 0008_start_dates
Revises: 0007_review_revokes
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_start_dates"
down_revision = "0007_review_revokes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("directory_people") as batch:
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("directory_people") as batch:
        batch.drop_column("start_date")
