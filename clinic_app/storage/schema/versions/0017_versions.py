"""An edit counter (``version``) on every row that is changed after it is written.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00.000000

``client``, ``session_note``, ``referral``, ``appointment`` and ``staff_user`` already have
one. This adds it to the plans (moved on by each saved revision), third parties and their
protective measures, the service directory, subject access requests and measure
schedules, so that a save over a change the user had not seen is refused, on a
workstation and at a site alike. Existing rows start at 1.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLES = (
    "intervention_plan",
    "third_party",
    "protective_measure",
    "specialist_service",
    "subject_access_request",
    "measure_schedule",
)


def upgrade() -> None:
    for table in TABLES:
        # A plain ADD COLUMN on both engines (no table rebuild on SQLite, so the tables'
        # triggers stay as they are); the server default fills the rows already there.
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in TABLES:
        # Dropped in place on both engines: rebuilding a table would lose its triggers.
        op.execute(f"ALTER TABLE {table} DROP COLUMN version")
