"""At a site, an audited action appends its event in one round trip.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 03:00:00.000000

Appending to the audit trail at a site took two round trips: ``clinic_audit_chain_end()``
(the chain's lock, then its end), then the event and the chain's recorded end in one
statement, once the application had hashed the event. Every audited action (opening a
record, saving a note) waited for both across the trust's network.

``clinic_audit_append_event(...)`` does it all in one call (named apart from the trail's
guard, the trigger function ``clinic_audit_append()``). The application sends the event
and its canonical JSON without the two parts only the chain's end decides (the event's
position, first, and the previous event's hash, last); the function takes the lock,
reads the end with a snapshot taken after the lock is held (it is VOLATILE and in
PL/pgSQL, as the function it replaces), completes the JSON, hashes it with SHA-256 as
``services.audit`` does, writes the event and moves the recorded end. It runs with the
caller's rights, so the trail's guards (the actor is the member of staff signed in;
nothing is changed or removed) apply as they do to the application's own statements, and
``audit verify`` checks every hash from the stored columns, trusting nothing the
function was sent. ``clinic_audit_chain_end()`` is dropped. A workstation database
needs nothing here.
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# The same values as clinic_app.storage.site.AUDIT_CHAIN_LOCK, services.audit.GENESIS and
# services.audit.HEAD_SETTING.
AUDIT_CHAIN_LOCK = 0x636C696E6963
GENESIS = "0" * 64
HEAD_SETTING = "audit_chain_head"

APPEND = f"""CREATE OR REPLACE FUNCTION clinic_audit_append_event(
        at timestamp, actor integer, what text, about text, about_id integer,
        of_client integer, detail text, canonical_middle text,
        OUT appended_seq integer, OUT appended_hash text, OUT previous_hash text)
    LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({AUDIT_CHAIN_LOCK});
        SELECT e.seq, e.hash INTO appended_seq, previous_hash
            FROM audit_event e ORDER BY e.seq DESC LIMIT 1;
        appended_seq := coalesce(appended_seq, 0) + 1;
        previous_hash := coalesce(previous_hash, '{GENESIS}');
        appended_hash := encode(sha256(convert_to(
            '[' || appended_seq || ',' || canonical_middle || ',"' || previous_hash || '"]',
            'UTF8')), 'hex');
        INSERT INTO audit_event (seq, occurred_at, actor_id, action, entity, entity_id,
                                 client_id, detail, prev_hash, hash)
            VALUES (appended_seq, at, actor, what, about, about_id, of_client,
                    detail::json, previous_hash, appended_hash);
        UPDATE app_setting SET value = appended_seq || ':' || appended_hash
            WHERE key = '{HEAD_SETTING}';
        IF NOT FOUND THEN
            INSERT INTO app_setting (key, value)
                VALUES ('{HEAD_SETTING}', appended_seq || ':' || appended_hash);
        END IF;
    END $$"""  # noqa: S608 - constants only

CHAIN_END = f"""CREATE OR REPLACE FUNCTION clinic_audit_chain_end(OUT seq integer, OUT hash text)
    LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({AUDIT_CHAIN_LOCK});
        SELECT e.seq, e.hash INTO seq, hash FROM audit_event e ORDER BY e.seq DESC LIMIT 1;
    END $$"""  # noqa: S608 - constants only (as revision 0019 made it)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(APPEND)
    op.execute("DROP FUNCTION IF EXISTS clinic_audit_chain_end()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CHAIN_END)
    op.execute(
        "DROP FUNCTION IF EXISTS clinic_audit_append_event(timestamp, integer, text, text, "
        "integer, integer, text, text)"
    )
