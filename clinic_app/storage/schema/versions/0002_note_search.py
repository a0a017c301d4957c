"""Full-text search over session notes and their addenda (SQLite FTS5).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000

Two FTS5 *external-content* indexes: ``session_note_fts`` over the note's written sections
and partner update, and ``note_addendum_fts`` over addendum text. External content means
the text itself is stored once, in ``session_note`` and ``note_addendum``; the indexes hold
only the terms (inside the same encrypted file, so encrypted like everything else) and
read the text back from those tables for excerpts.

Triggers keep the indexes in step with every write, whichever code path makes it (the
services, the demo loader, a record import). They use FTS5's ``'delete'`` command with the
*old* values, which is the documented pattern for external content. Note updates only
re-index when a text column is in the UPDATE, so signing or marking a note in error does
not touch the index. Addenda are append-only (0001 refuses updates and deletes), so they
need an insert trigger only.

Tokenizer: ``unicode61 remove_diacritics 2``, so "cafe" finds "café" and case never
matters. ``prefix='2 3'`` keeps short prefixes (typed as the user searches as they type)
fast. ``secure-delete`` makes FTS5 remove the terms of an edited or deleted draft from the
index straight away, as ``PRAGMA secure_delete`` does for table pages, instead of leaving
them behind until the next merge.

A later migration that rebuilds ``session_note`` or ``note_addendum`` (an Alembic batch
operation copies the table and drops the original) drops these triggers with it: it must
create them again and run ``'rebuild'`` on both indexes.

PostgreSQL sites: nothing here (note search there would use its own text search).
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The note's text columns, in the order a clinician writes them, then the partner update.
NOTE_TEXT_COLUMNS = (
    "risk_checkin",
    "agenda",
    "intervention_content",
    "homework",
    "risk_rerating",
    "actions",
    "partner_update",
)

# Written out in full (not assembled) so that what runs is what a reviewer reads.
UPGRADE = (
    """CREATE VIRTUAL TABLE session_note_fts USING fts5(
        risk_checkin, agenda, intervention_content, homework, risk_rerating, actions,
        partner_update,
        content = 'session_note', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')""",
    """CREATE VIRTUAL TABLE note_addendum_fts USING fts5(
        text,
        content = 'note_addendum', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')""",
    "INSERT INTO session_note_fts (session_note_fts, rank) VALUES ('secure-delete', 1)",
    "INSERT INTO note_addendum_fts (note_addendum_fts, rank) VALUES ('secure-delete', 1)",
    """CREATE TRIGGER session_note_fts_after_insert AFTER INSERT ON session_note BEGIN
        INSERT INTO session_note_fts (rowid, risk_checkin, agenda, intervention_content,
            homework, risk_rerating, actions, partner_update)
        VALUES (new.id, new.risk_checkin, new.agenda, new.intervention_content,
            new.homework, new.risk_rerating, new.actions, new.partner_update);
    END""",
    """CREATE TRIGGER session_note_fts_after_update
    AFTER UPDATE OF risk_checkin, agenda, intervention_content, homework, risk_rerating,
        actions, partner_update
    ON session_note BEGIN
        INSERT INTO session_note_fts (session_note_fts, rowid, risk_checkin, agenda,
            intervention_content, homework, risk_rerating, actions, partner_update)
        VALUES ('delete', old.id, old.risk_checkin, old.agenda, old.intervention_content,
            old.homework, old.risk_rerating, old.actions, old.partner_update);
        INSERT INTO session_note_fts (rowid, risk_checkin, agenda, intervention_content,
            homework, risk_rerating, actions, partner_update)
        VALUES (new.id, new.risk_checkin, new.agenda, new.intervention_content,
            new.homework, new.risk_rerating, new.actions, new.partner_update);
    END""",
    """CREATE TRIGGER session_note_fts_after_delete AFTER DELETE ON session_note BEGIN
        INSERT INTO session_note_fts (session_note_fts, rowid, risk_checkin, agenda,
            intervention_content, homework, risk_rerating, actions, partner_update)
        VALUES ('delete', old.id, old.risk_checkin, old.agenda, old.intervention_content,
            old.homework, old.risk_rerating, old.actions, old.partner_update);
    END""",
    """CREATE TRIGGER note_addendum_fts_after_insert AFTER INSERT ON note_addendum BEGIN
        INSERT INTO note_addendum_fts (rowid, text) VALUES (new.id, new.text);
    END""",
    # Index what is already there.
    "INSERT INTO session_note_fts (session_note_fts) VALUES ('rebuild')",
    "INSERT INTO note_addendum_fts (note_addendum_fts) VALUES ('rebuild')",
)

DOWNGRADE = (
    "DROP TRIGGER IF EXISTS note_addendum_fts_after_insert",
    "DROP TRIGGER IF EXISTS session_note_fts_after_delete",
    "DROP TRIGGER IF EXISTS session_note_fts_after_update",
    "DROP TRIGGER IF EXISTS session_note_fts_after_insert",
    "DROP TABLE IF EXISTS note_addendum_fts",
    "DROP TABLE IF EXISTS session_note_fts",
)


def _is_sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def upgrade() -> None:
    if not _is_sqlite():
        return
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    if not _is_sqlite():
        return
    for statement in DOWNGRADE:
        op.execute(statement)
