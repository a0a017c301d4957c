"""At a site, a writer takes the audit chain's lock and reads its end in one round trip.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 20:30:00.000000

Appending to the audit trail at a site took two statements before the event itself: the
transaction-scoped advisory lock that serialises writers, then a read of the chain's last
event. Each is a round trip across the trust's network, and every audited action (opening
a record, saving a note) waited for both. ``clinic_audit_chain_end()`` does the two in one
call. It is VOLATILE and in PL/pgSQL, so its read takes a new snapshot after the lock is
held and sees an event another writer committed while this one waited (a single
statement taking the lock would read the chain as it stood before the wait). It runs with
the caller's rights: reading the trail is open to every member of staff, as before. A
workstation database needs nothing here.
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The same number as clinic_app.storage.site.AUDIT_CHAIN_LOCK.
AUDIT_CHAIN_LOCK = 0x636C696E6963

CHAIN_END = f"""CREATE OR REPLACE FUNCTION clinic_audit_chain_end(OUT seq integer, OUT hash text)
    LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({AUDIT_CHAIN_LOCK});
        SELECT e.seq, e.hash INTO seq, hash FROM audit_event e ORDER BY e.seq DESC LIMIT 1;
    END $$"""  # noqa: S608 - constants only


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CHAIN_END)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS clinic_audit_chain_end()")
