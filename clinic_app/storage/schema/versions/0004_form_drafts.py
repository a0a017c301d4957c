"""Forms left open when the screen locked, with what was typed in them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00.000000

One row per open form (a plan revision, a risk event, an addendum...), written when the
screen locks and read back, then deleted, when the same user unlocks or next signs in.
The typed text is clinical, so it lives here, inside the encrypted database, and nowhere
else while the screen is locked.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("tab", sa.String(length=40), nullable=False),
        sa.Column("form", sa.String(length=60), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_form_draft_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_form_draft_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_draft")),
    )
    with op.batch_alter_table("form_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_draft_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("form_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_draft_staff_id"))
    op.drop_table("form_draft")
