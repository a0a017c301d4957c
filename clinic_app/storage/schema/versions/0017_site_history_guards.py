"""At a site, the history rules that later workstation migrations added.

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-07 12:30:00.000000

Migrations 0008, 0009 and 0011 gave the workstation engine triggers that a site did not
get: an evaluation project (and its pseudonym secret) is never changed or deleted; a
serious-harm review is never changed or deleted and a subject access request never
deleted; a signed note's start time is as fixed as the rest of it. This revision gives a
site the same rules as PostgreSQL triggers. A workstation database needs nothing here.
"""

from alembic import op

revision = "0017"
down_revision = "0012"
branch_labels = None
depends_on = None

APPEND_ONLY = ("evaluation_project", "subject_access_review")
NEVER_DELETED = ("subject_access_request",)
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
SIGNED_NOTE_MESSAGE = "signed session notes cannot be changed"


def _refuse(name: str, when: str, table: str, message: str, *, condition: str = "") -> None:
    where = f" WHEN ({condition})" if condition else ""
    level = "STATEMENT" if when.endswith("TRUNCATE") else "ROW"
    op.execute(
        f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {level}{where} "
        f"EXECUTE FUNCTION clinic_refuse('{message}')"
    )


def _signed_note_guard(columns: tuple[str, ...]) -> None:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    op.execute("DROP TRIGGER IF EXISTS session_note_signed_immutable ON session_note")
    _refuse(
        "session_note_signed_immutable",
        "BEFORE UPDATE",
        "session_note",
        SIGNED_NOTE_MESSAGE,
        condition=f"OLD.signed_at IS NOT NULL AND ({changed})",
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in APPEND_ONLY:
        message = f"append-only: {table} rows cannot be changed"
        _refuse(f"{table}_no_update", "BEFORE UPDATE", table, message)
        _refuse(f"{table}_no_delete", "BEFORE DELETE", table, message)
        _refuse(f"{table}_no_truncate", "BEFORE TRUNCATE", table, message)
    for table in NEVER_DELETED:
        message = f"records in {table} are never deleted"
        _refuse(f"{table}_no_delete", "BEFORE DELETE", table, message)
        _refuse(f"{table}_no_truncate", "BEFORE TRUNCATE", table, message)
    _signed_note_guard((*SIGNED_NOTE_COLUMNS, "start_time"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _signed_note_guard(SIGNED_NOTE_COLUMNS)
    for table in APPEND_ONLY:
        for action in ("update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action} ON {table}")
    for table in NEVER_DELETED:
        for action in ("delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action} ON {table}")
