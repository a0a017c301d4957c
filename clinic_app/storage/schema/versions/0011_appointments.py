"""Appointments, the clinicians attending them, and a session note's start time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 07:00:00.000000

``appointment`` holds each booked contact with a client (each occurrence of a repeating
booking is its own row, sharing a series id); ``appointment_clinician`` who attends it.
``session_note`` gains ``start_time``, the time the session began; once a note is signed
the database keeps it fixed like the rest of the note (the trigger is made again with it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SIGNED_NOTE_COLUMNS = (
    "client_id",
    "author_id",
    "session_date",
    "duration_minutes",
    "modality",
    "attendance",
    "engagement",
    "plan_goal_key",
    "risk_checkin",
    "agenda",
    "intervention_content",
    "homework",
    "risk_rerating",
    "actions",
    "partner_update",
    "created_at",
    "updated_at",
    "signed_at",
    "signed_by",
    "content_sha256",
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _signed_note_trigger(columns: tuple[str, ...]) -> None:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    op.execute("DROP TRIGGER IF EXISTS session_note_signed_immutable")
    op.execute(
        "CREATE TRIGGER session_note_signed_immutable BEFORE UPDATE ON session_note "
        f"WHEN OLD.signed_at IS NOT NULL AND ({changed}) "
        "BEGIN SELECT RAISE(ABORT, 'signed session notes cannot be changed'); END"
    )


def upgrade() -> None:
    op.add_column("session_note", sa.Column("start_time", sa.Time(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        _signed_note_trigger((*SIGNED_NOTE_COLUMNS, "start_time"))
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.String(length=36), nullable=True),
        sa.Column(
            "repeat", _enum("repeat", "none", "weekly", "fortnightly", "monthly"), nullable=False
        ),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("modality", _enum("modality", "in_person", "video", "phone"), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("video_link", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            _enum("appointmentstatus", "booked", "attended", "did_not_attend", "cancelled"),
            nullable=False,
        ),
        sa.Column("cancelled_by", _enum("cancelledby", "client", "service"), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("booked_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("status_changed_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_appointment_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["session_note.id"], name=op.f("fk_appointment_note_id_session_note")
        ),
        sa.ForeignKeyConstraint(
            ["booked_by"], ["staff_user.id"], name=op.f("fk_appointment_booked_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["status_changed_by"],
            ["staff_user.id"],
            name=op.f("fk_appointment_status_changed_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    op.create_index(op.f("ix_appointment_client_id"), "appointment", ["client_id"])
    op.create_index(op.f("ix_appointment_series_id"), "appointment", ["series_id"])
    op.create_index(op.f("ix_appointment_note_id"), "appointment", ["note_id"])
    op.create_index("ix_appointment_day_start", "appointment", ["day", "start_time"])
    op.create_table(
        "appointment_clinician",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_appointment_clinician_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_user.id"],
            name=op.f("fk_appointment_clinician_staff_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_clinician")),
        sa.UniqueConstraint(
            "appointment_id", "staff_id", name=op.f("uq_appointment_clinician_appointment_id")
        ),
    )
    op.create_index(
        op.f("ix_appointment_clinician_appointment_id"),
        "appointment_clinician",
        ["appointment_id"],
    )
    op.create_index(
        op.f("ix_appointment_clinician_staff_id"), "appointment_clinician", ["staff_id"]
    )


def downgrade() -> None:
    op.drop_table("appointment_clinician")
    op.drop_table("appointment")
    if op.get_bind().dialect.name == "sqlite":
        _signed_note_trigger(SIGNED_NOTE_COLUMNS)
        # Dropped in place: rebuilding the table would lose its other triggers.
        op.execute("ALTER TABLE session_note DROP COLUMN start_time")
    else:
        op.drop_column("session_note", "start_time")
