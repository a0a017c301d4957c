"""Live refresh at a site: a notice on channel ``clinic_change`` when a record changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:00:00.000000

On PostgreSQL, triggers send ``pg_notify('clinic_change', '{"client_id": N, "kind": K}')``
when someone records an urgent risk event (any risk event), a share decision, signs a note
or adds an addendum to one, or registers or changes a referral. A notice is sent by the
server only when the transaction commits (NOTIFY is transactional), so a listener never
hears of a change that was rolled back; identical notices in one transaction are sent once.

The payload holds ids and a kind, **never clinical text**: every role that can connect to
the database may LISTEN on the channel and hears every notice, including those about
clients it may not read. What a notice tells is "client N has a new risk event", no more;
the application then reads through row-level security as the signed-in member of staff.

The function runs with the owner's rights (``SECURITY DEFINER``, fixed ``search_path``) so
that it can find the client of a share decision, a referral or an addendum whatever the
writer's row-level security lets them read at that moment.

A workstation database (SQLite) needs none of this: in one process the count of committed
changes (``services.changes``) already tells each screen what is stale. On SQLite this
migration does nothing.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION clinic_notify_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    found_client integer;
BEGIN
    IF TG_TABLE_NAME = 'risk_share_decision' THEN
        SELECT client_id INTO found_client FROM risk_event WHERE id = NEW.risk_event_id;
    ELSIF TG_TABLE_NAME = 'note_addendum' THEN
        SELECT client_id INTO found_client FROM session_note WHERE id = NEW.note_id;
    ELSIF TG_TABLE_NAME = 'referral_status_change' THEN
        SELECT client_id INTO found_client FROM referral WHERE id = NEW.referral_id;
    ELSE
        found_client := NEW.client_id;
    END IF;
    IF found_client IS NOT NULL THEN
        PERFORM pg_notify(
            'clinic_change',
            json_build_object('client_id', found_client, 'kind', TG_ARGV[0])::text
        );
    END IF;
    RETURN NULL;
END
$$
"""

# (trigger, table, events, condition, kind)
TRIGGERS = (
    ("risk_event_notify", "risk_event", "INSERT OR UPDATE", None, "risk_event"),
    ("risk_share_decision_notify", "risk_share_decision", "INSERT", None, "share_decision"),
    (
        "session_note_signed_notify",
        "session_note",
        "UPDATE",
        "NEW.signed_at IS NOT NULL AND OLD.signed_at IS NULL",
        "signed_note",
    ),
    (
        "session_note_inserted_signed_notify",
        "session_note",
        "INSERT",
        "NEW.signed_at IS NOT NULL",
        "signed_note",
    ),
    ("note_addendum_notify", "note_addendum", "INSERT", None, "signed_note"),
    ("referral_notify", "referral", "INSERT OR UPDATE", None, "referral"),
    ("referral_status_change_notify", "referral_status_change", "INSERT", None, "referral"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(NOTIFY_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION clinic_notify_change() FROM PUBLIC")
    for name, table, events, condition, kind in TRIGGERS:
        when = f"WHEN ({condition}) " if condition else ""
        op.execute(
            f"CREATE TRIGGER {name} AFTER {events} ON {table} FOR EACH ROW {when}"
            f"EXECUTE FUNCTION clinic_notify_change('{kind}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS clinic_notify_change()")
