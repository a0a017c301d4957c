"""An index for the dashboard's "notes left unsigned for more than a day".

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 09:00:00.000000

A partial index on the drafts only (``signed_at IS NULL``), by author and session date,
so finding a user's unsigned notes reads a few index entries instead of every note in
the service; signed notes, the great majority, are not in it at all.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_session_note_unsigned_by_author",
        "session_note",
        ["author_id", "session_date"],
        unique=False,
        sqlite_where=sa.text("signed_at IS NULL"),
        postgresql_where=sa.text("signed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_session_note_unsigned_by_author", table_name="session_note")
