"""Clinic-supplied measure definitions and administrators' audience policies.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00.000000

``measure_definition`` holds instrument definitions a clinic imports (licensed measures we
do not ship), one row per version. A definition's text, identity and hash never change
once imported, so every administration keeps scoring by the version it was given with;
only ``active`` may be switched, to stop offering a version.

``audience_profile`` holds an administrator's replacement for one partner audience's
built-in policy. The application refuses any policy that would reach CLINICAL or
THIRD_PARTY data, both when it is saved and when it is used.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DEFINITION_FIXED_COLUMNS = ("measure_id", "version", "content", "content_sha256", "imported_by")


def upgrade() -> None:
    op.create_table(
        "measure_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(length=60), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by"],
            ["staff_user.id"],
            name=op.f("fk_measure_definition_imported_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_definition")),
        sa.UniqueConstraint("measure_id", "version", name=op.f("uq_measure_definition_measure_id")),
    )
    with op.batch_alter_table("measure_definition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measure_definition_measure_id"), ["measure_id"], unique=False
        )
    op.create_table(
        "audience_profile",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["staff_user.id"],
            name=op.f("fk_audience_profile_updated_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_audience_profile")),
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in DEFINITION_FIXED_COLUMNS)
    op.execute(
        "CREATE TRIGGER measure_definition_fixed BEFORE UPDATE ON measure_definition "
        f"WHEN {changed} "
        "BEGIN SELECT RAISE(ABORT, 'an imported measure definition cannot be changed'); END"
    )
    op.execute(
        "CREATE TRIGGER measure_definition_no_delete BEFORE DELETE ON measure_definition "
        "BEGIN SELECT RAISE(ABORT, 'measure definitions are never deleted'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # the triggers exist only there
        op.execute("DROP TRIGGER IF EXISTS measure_definition_no_delete")
        op.execute("DROP TRIGGER IF EXISTS measure_definition_fixed")
    op.drop_table("audience_profile")
    with op.batch_alter_table("measure_definition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_definition_measure_id"))
    op.drop_table("measure_definition")
