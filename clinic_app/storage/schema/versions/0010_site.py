"""Site mode (PostgreSQL): the database's own guards, note search, and who is acting.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:00:00.000000

A workstation database (SQLite) already has all of this from earlier migrations, as
SQLite triggers and FTS5 indexes; on SQLite this migration does nothing. On PostgreSQL:

- **History is kept by the database.** The tables that are append-only (the audit trail,
  the disclosure register, addenda, plan revisions ...) refuse UPDATE, DELETE and
  TRUNCATE with triggers; records that are never deleted refuse DELETE and TRUNCATE; a
  signed note refuses any change to what its signature covers, an entered-in-error mark is
  final, an imported measure definition never changes. The same rules, in the same words,
  as the SQLite triggers of 0001, 0003 and 0007 (whose lists are copied here, as a
  migration must not change when later code does).
- **The audit trail is appended at its end only, by the person acting.** A trigger takes
  the chain's advisory lock (the application takes it before reading the chain's end), and
  refuses an event that does not follow the last one, or whose actor is not the member of
  staff whose PostgreSQL role is signed in (``session_user``). Only the schema owner (the
  role that runs migrations and ``site init``) may write an event for someone else.
- **Note search** uses PostgreSQL full-text search: a generated ``tsvector`` column over
  the note's written sections and partner update, and one over addendum text, each with a
  GIN index. The ``simple`` configuration: every word is indexed as written, lower-cased,
  in any language, with accents folded (``clinic_fold``, through the ``unaccent``
  extension where the server has it), as the workstation's FTS5 index folds them.
- **An emergency grant is audited or not made**: a check at commit refuses an
  ``emergency_access`` row whose audit event (in the grantee's name) is not in the same
  transaction, so break-glass access from psql is refused rather than left unaudited.
- Two functions that row-level security builds on: ``clinic_staff_id()``, the staff id of
  the signed-in role, and ``clinic_can_see_client(id)``, whether that person is assigned to
  the client or holds an unexpired emergency-access grant for it. Both run with the
  owner's rights (``SECURITY DEFINER``) so that they read assignments whatever the
  caller may read, and both name the caller by ``session_user``, which no SET ROLE changes.

Row-level security, the group roles and the column privileges are generated from the
models' privacy classes by ``clinic_app.services.site_security`` and applied by
``clinic-app site init`` after this migration.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Append-only tables (0001 and 0007): never updated, never deleted.
APPEND_ONLY = (
    "audit_event",
    "disclosure",
    "note_addendum",
    "risk_share_decision",
    "referral_status_change",
    "plan_revision",
    "plan_goal",
    "planned_intervention",
    "typology_assessment",
    "goal_progress",
    "emergency_access",
    "critical_item_review",
)
# Records never deleted (0001, 0003 and 0007).
NEVER_DELETED = (
    "client",
    "risk_event",
    "referral",
    "staff_user",
    "intervention_plan",
    "third_party",
    "protective_measure",
    "measure_definition",
)
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
ERROR_MARK_COLUMNS = ("entered_in_error_at", "entered_in_error_by", "entered_in_error_reason")
DEFINITION_FIXED_COLUMNS = ("measure_id", "version", "content", "content_sha256", "imported_by")
NOTE_TEXT_COLUMNS = (
    "risk_checkin",
    "agenda",
    "intervention_content",
    "homework",
    "risk_rerating",
    "actions",
    "partner_update",
)
# The same number as clinic_app.storage.site.AUDIT_CHAIN_LOCK.
AUDIT_CHAIN_LOCK = 0x636C696E6963
GENESIS = "0" * 64


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)


def _refuse(name: str, when: str, table: str, message: str, *, condition: str = "") -> None:
    where = f" WHEN ({condition})" if condition else ""
    level = "STATEMENT" if when.endswith("TRUNCATE") else "ROW"
    op.execute(
        f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {level}{where} "
        f"EXECUTE FUNCTION clinic_refuse('{message}')"
    )


UPGRADE_FUNCTIONS = (
    # The one refusal every guard uses: its message is the trigger's argument.
    """CREATE FUNCTION clinic_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
    END $$""",
    """CREATE FUNCTION clinic_staff_id() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
        SELECT id FROM staff_user
        WHERE username = session_user::text AND disabled_at IS NULL
    $$""",
    """CREATE FUNCTION clinic_is_owner() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
        SELECT session_user::text = pg_get_userbyid(d.datdba)::text
            OR coalesce((SELECT r.rolsuper FROM pg_roles r
                         WHERE r.rolname = session_user::text), false)
        FROM pg_database d WHERE d.datname = current_database()
    $$""",
    """CREATE FUNCTION clinic_can_see_client(target integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
        SELECT EXISTS (
            SELECT 1 FROM client_assignment a
            WHERE a.client_id = target AND a.staff_id = clinic_staff_id()
              AND a.ended_at IS NULL)
        OR EXISTS (
            SELECT 1 FROM emergency_access e
            WHERE e.client_id = target AND e.staff_id = clinic_staff_id()
              AND e.expires_at > (now() AT TIME ZONE 'UTC'))
    $$""",
    """CREATE FUNCTION clinic_client_has_team(target integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
        SELECT EXISTS (SELECT 1 FROM client_assignment a WHERE a.client_id = target)
    $$""",
    f"""CREATE FUNCTION clinic_audit_append() RETURNS trigger
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
            END IF;
        ELSIF NOT clinic_is_owner() THEN
            RAISE EXCEPTION 'only signed-in staff add to the audit trail'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$""",  # noqa: S608 - constants only
    # A row that must be audited in the same transaction (checked at commit): an
    # emergency grant made from psql without its audit event is refused.
    """CREATE FUNCTION clinic_require_audit_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    BEGIN
        IF clinic_is_owner() THEN
            RETURN NULL;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM audit_event
                       WHERE entity = TG_TABLE_NAME AND entity_id = NEW.id
                         AND action = TG_ARGV[0] AND actor_id = clinic_staff_id()) THEN
            RAISE EXCEPTION '% rows are recorded only with their audit event', TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END $$""",
)


# Accents folded for search ("cafe" finds "café"), with the unaccent extension where the
# server has it (a trusted extension: the database owner may create it); elsewhere words
# are indexed as written. Immutable, so a generated column may use it; its own search
# path and rights, so a restore (empty search path) and any caller compute the same.
FOLD_FUNCTION = """DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
        CREATE EXTENSION IF NOT EXISTS unaccent;
        CREATE FUNCTION clinic_fold(words text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SECURITY DEFINER
        SET search_path FROM CURRENT
        AS 'SELECT unaccent(''unaccent''::regdictionary, words)';
    ELSE
        CREATE FUNCTION clinic_fold(words text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT words';
    END IF;
END $$"""


def _search_vector(columns: tuple[str, ...]) -> str:
    joined = " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)
    return f"to_tsvector('simple'::regconfig, clinic_fold({joined}))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UPGRADE_FUNCTIONS:
        op.execute(statement)
    for table in APPEND_ONLY:
        message = f"append-only: {table} rows cannot be changed"
        _refuse(f"{table}_no_update", "BEFORE UPDATE", table, message)
        _refuse(f"{table}_no_delete", "BEFORE DELETE", table, message)
        _refuse(f"{table}_no_truncate", "BEFORE TRUNCATE", table, message)
    for table in NEVER_DELETED:
        message = f"records in {table} are never deleted"
        _refuse(f"{table}_no_delete", "BEFORE DELETE", table, message)
        _refuse(f"{table}_no_truncate", "BEFORE TRUNCATE", table, message)
    _refuse(
        "session_note_signed_immutable",
        "BEFORE UPDATE",
        "session_note",
        "signed session notes cannot be changed",
        condition=f"OLD.signed_at IS NOT NULL AND ({_changed(SIGNED_NOTE_COLUMNS)})",
    )
    _refuse(
        "session_note_error_mark_final",
        "BEFORE UPDATE",
        "session_note",
        "an entered-in-error mark cannot be changed",
        condition=f"OLD.entered_in_error_at IS NOT NULL AND ({_changed(ERROR_MARK_COLUMNS)})",
    )
    _refuse(
        "session_note_signed_no_delete",
        "BEFORE DELETE",
        "session_note",
        "signed session notes are never deleted",
        condition="OLD.signed_at IS NOT NULL",
    )
    _refuse(
        "session_note_no_truncate",
        "BEFORE TRUNCATE",
        "session_note",
        "session notes are never removed wholesale",
    )
    _refuse(
        "measure_definition_fixed",
        "BEFORE UPDATE",
        "measure_definition",
        "an imported measure definition cannot be changed",
        condition=_changed(DEFINITION_FIXED_COLUMNS),
    )
    op.execute(
        "CREATE TRIGGER audit_event_append BEFORE INSERT ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION clinic_audit_append()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER emergency_access_audited AFTER INSERT ON emergency_access "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION clinic_require_audit_event('emergency_access')"
    )
    op.execute(FOLD_FUNCTION)
    op.execute(
        "ALTER TABLE session_note ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({_search_vector(NOTE_TEXT_COLUMNS)}) STORED"
    )
    op.execute(
        "ALTER TABLE note_addendum ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({_search_vector(('text',))}) STORED"
    )
    op.execute("CREATE INDEX ix_session_note_search ON session_note USING gin (search_vector)")
    op.execute("CREATE INDEX ix_note_addendum_search ON note_addendum USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_note_addendum_search")
    op.execute("DROP INDEX IF EXISTS ix_session_note_search")
    op.execute("ALTER TABLE note_addendum DROP COLUMN IF EXISTS search_vector")
    op.execute("ALTER TABLE session_note DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP FUNCTION IF EXISTS clinic_fold(text)")
    op.execute("DROP TRIGGER IF EXISTS audit_event_append ON audit_event")
    op.execute("DROP TRIGGER IF EXISTS emergency_access_audited ON emergency_access")
    names = [
        ("session_note_signed_immutable", "session_note"),
        ("session_note_error_mark_final", "session_note"),
        ("session_note_signed_no_delete", "session_note"),
        ("session_note_no_truncate", "session_note"),
        ("measure_definition_fixed", "measure_definition"),
    ]
    for table in APPEND_ONLY:
        names += [(f"{table}_no_{a}", table) for a in ("update", "delete", "truncate")]
    for table in NEVER_DELETED:
        names += [(f"{table}_no_{a}", table) for a in ("delete", "truncate")]
    for name, table in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for function in (
        # Made by the generated security (services.site_security), not by this revision;
        # its policies go with it.
        "clinic_visible_clients()",
        "clinic_require_audit_event()",
        "clinic_audit_append()",
        "clinic_client_has_team(integer)",
        "clinic_can_see_client(integer)",
        "clinic_is_owner()",
        "clinic_staff_id()",
        "clinic_refuse()",
    ):
        # CASCADE: a secured site's row-level security policies use these; without
        # them the tables stay forced and show staff nothing (closed, not open).
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
