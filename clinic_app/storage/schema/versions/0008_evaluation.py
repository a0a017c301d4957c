"""Service-evaluation projects: the pseudonym key each evaluation's exports share.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:00:00.000000

``evaluation_project`` keeps, inside the encrypted database, the secret under which an
evaluation export's keyed pseudonyms (HMAC-SHA-256) are made. Rows are never changed or
deleted, so a project's pseudonyms stay stable across its exports.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluation_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_user.id"],
            name=op.f("fk_evaluation_project_created_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_project")),
        sa.UniqueConstraint("name", name=op.f("uq_evaluation_project_name")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER evaluation_project_no_{action.lower()} BEFORE {action} "
                "ON evaluation_project BEGIN SELECT RAISE(ABORT, 'append-only: "
                "evaluation_project rows cannot be changed'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS evaluation_project_no_{action}")
    op.drop_table("evaluation_project")
