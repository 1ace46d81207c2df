"""Shared projects, class mixes for rebalanced tables, sign-in failures in the database.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_projects_owner_id", "projects", ["owner_id"])
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "user_id"),
    )
    op.create_index("ix_project_members_user_id", "project_members", ["user_id"])
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signin_failures_key", "signin_failures", ["key"])
    op.create_index("ix_signin_failures_failed_at", "signin_failures", ["failed_at"])
    # Batch mode: SQLite adds a foreign key only by rebuilding the table.
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("project_id", sa.String(length=32), nullable=True))
        batch.create_foreign_key(
            "fk_datasets_project_id_projects",
            "projects",
            ["project_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_datasets_project_id", ["project_id"])
    with op.batch_alter_table("synthetic_tables") as batch:
        batch.add_column(sa.Column("ratios", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("synthetic_tables") as batch:
        batch.drop_column("ratios")
    with op.batch_alter_table("datasets") as batch:
        batch.drop_index("ix_datasets_project_id")
        batch.drop_constraint("fk_datasets_project_id_projects", type_="foreignkey")
        batch.drop_column("project_id")
    op.drop_index("ix_signin_failures_failed_at", table_name="signin_failures")
    op.drop_index("ix_signin_failures_key", table_name="signin_failures")
    op.drop_table("signin_failures")
    op.drop_index("ix_project_members_user_id", table_name="project_members")
    op.drop_table("project_members")
    op.drop_index("ix_projects_owner_id", table_name="projects")
    op.drop_table("projects")
