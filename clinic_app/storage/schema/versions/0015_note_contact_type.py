"""A session note's contact type: the kind of contact it records, which sets its template.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:00:00.000000

``session_note`` gains ``contact_type`` (assessment, intervention session, telephone
contact, professionals' meeting, did not attend), null on notes written before it was
recorded. Once a note is signed the database keeps it fixed like the rest of the note, so
the signed-note trigger is made again with it, on SQLite and on PostgreSQL (there with the
start time too, as the site history guards have it).
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CONTACT_TYPES = (
    "assessment",
    "intervention_session",
    "telephone_contact",
    "professionals_meeting",
    "did_not_attend",
)
# The columns a signature fixes, as 0011 left them (copied: a migration must not change
# when later code does).
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
    "start_time",
)


def _sqlite_trigger(columns: tuple[str, ...]) -> None:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    op.execute("DROP TRIGGER IF EXISTS session_note_signed_immutable")
    op.execute(
        "CREATE TRIGGER session_note_signed_immutable BEFORE UPDATE ON session_note "
        f"WHEN OLD.signed_at IS NOT NULL AND ({changed}) "
        "BEGIN SELECT RAISE(ABORT, 'signed session notes cannot be changed'); END"
    )


def _postgresql_trigger(columns: tuple[str, ...]) -> None:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    op.execute("DROP TRIGGER IF EXISTS session_note_signed_immutable ON session_note")
    op.execute(
        "CREATE TRIGGER session_note_signed_immutable BEFORE UPDATE ON session_note "
        f"FOR EACH ROW WHEN (OLD.signed_at IS NOT NULL AND ({changed})) "
        "EXECUTE FUNCTION clinic_refuse('signed session notes cannot be changed')"
    )


def upgrade() -> None:
    allowed = ", ".join(f"'{value}'" for value in CONTACT_TYPES)
    op.execute(
        "ALTER TABLE session_note ADD COLUMN contact_type VARCHAR(40) "
        "CONSTRAINT ck_session_note_contacttype "
        f"CHECK (contact_type IN ({allowed}))"
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_trigger((*SIGNED_NOTE_COLUMNS, "contact_type"))
    else:
        _postgresql_trigger((*SIGNED_NOTE_COLUMNS, "contact_type"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_trigger(SIGNED_NOTE_COLUMNS)
    else:
        # As a site's guard stands without the contact type (start time included, as the
        # site history guards give it).
        _postgresql_trigger(SIGNED_NOTE_COLUMNS)
    # Dropped in place: rebuilding the table would lose its other triggers.
    op.execute("ALTER TABLE session_note DROP COLUMN contact_type")
