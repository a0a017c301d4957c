"""At a site, a lockout made by the server's sign-in gate is in the audit trail.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:30:00.000000

On a workstation, the sign-in that locks an account appends a ``lockout`` event. At a site
the server's sign-in gate locks the account, on the connection of the gate's public role,
which is no member of staff: the trail's guard (``clinic_audit_append``, from 0010)
refused any event from it, so a lockout went unrecorded. The gate now appends the event
itself (``services.site_security``), in the locked account's name, as a workstation does.
This revision lets the guard accept exactly that: on the gate role's own connection
(``session_user`` is the gate role, which no SET ROLE changes and no other login has), a
``lockout`` event in the name of the account the gate function has marked, for this
transaction, as the one it is locking. The mark alone proves nothing (any connection can
set such a setting); the gate role has no right to add to the trail, so on its connection
an event can come only from the gate function. Everything else is as before: a member of
staff adds events in their own name only, and a connection that is no active member of
staff (a disabled account's session still open, say) adds none. A workstation database
needs nothing here.
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The same number as clinic_app.storage.site.AUDIT_CHAIN_LOCK.
AUDIT_CHAIN_LOCK = 0x636C696E6963
GENESIS = "0" * 64
# Set (transaction-local) by clinic_open_gate to the id of the account it is locking.
GATE_LOCKOUT_MARK = "clinic.gate_lockout"
# The sign-in gate's role (clinic_app.storage.site.GATE_ROLE).
GATE_ROLE = "clinic_gate"


def _append_guard(*, gate_lockout: bool) -> str:
    from_the_gate = (
        f"""
        ELSIF session_user = '{GATE_ROLE}' AND NEW.action = 'lockout'
              AND NEW.actor_id IS NOT NULL
              AND current_setting('{GATE_LOCKOUT_MARK}', true) = NEW.actor_id::text THEN
            NULL;  -- the sign-in gate, recording the lockout it has just made"""
        if gate_lockout
        else ""
    )
    return f"""CREATE OR REPLACE FUNCTION clinic_audit_append() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
        last_seq integer;
        last_hash text;
        me integer;
    BEGIN
        PERFORM pg_advisory_xact_lock({AUDIT_CHAIN_LOCK});
        SELECT seq, hash INTO last_seq, last_hash FROM audit_event ORDER BY seq DESC LIMIT 1;
        IF NEW.seq IS DISTINCT FROM coalesce(last_seq, 0) + 1
           OR NEW.prev_hash IS DISTINCT FROM coalesce(last_hash, '{GENESIS}') THEN
            RAISE EXCEPTION 'audit events are added at the end of the trail only'
                USING ERRCODE = 'restrict_violation';
        END IF;
        me := clinic_staff_id();
        IF me IS NOT NULL THEN
            IF NEW.actor_id IS DISTINCT FROM me THEN
                RAISE EXCEPTION 'an audit event names the member of staff signed in'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;{from_the_gate}
        ELSIF NOT clinic_is_owner() THEN
            RAISE EXCEPTION 'only signed-in staff add to the audit trail'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$"""  # noqa: S608 - constants only


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_append_guard(gate_lockout=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_append_guard(gate_lockout=False))
