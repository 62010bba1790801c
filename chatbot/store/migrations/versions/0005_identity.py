"""Identity: the directory in the database (people, groups, memberships) and chat links.

Revision ID: 0005_identity
Revises: 0005_conversation
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0005_identity"
down_revision = "0005_conversation"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "directory_people",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("user_name", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("manager_id", sa.String(), nullable=True),
        sa.Column("tz", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_name"),
    )
    for column in ("name", "email", "external_id", "version"):
        op.create_index(f"ix_directory_people_{column}", "directory_people", [column])
    op.create_table(
        "directory_groups",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("display_name", "external_id", "version"):
        op.create_index(f"ix_directory_groups_{column}", "directory_groups", [column])
    op.create_table(
        "directory_members",
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("person_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "person_id"),
    )
    op.create_index("ix_directory_members_person_id", "directory_members", ["person_id"])
    op.create_table(
        "directory_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "chat_links",
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("person_id", sa.String(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("platform", "tenant", "user_id"),
    )
    op.create_index("ix_chat_links_person_id", "chat_links", ["person_id"])


def downgrade() -> None:
    op.drop_table("chat_links")
    op.drop_table("directory_head")
    op.drop_table("directory_members")
    op.drop_table("directory_groups")
    op.drop_table("directory_people")
