"""Who may read and write what at a site, enforced by PostgreSQL itself.

Generated from the models, so a new table or column is covered the day it is added:

- **Group roles**, one per application role (``psychologist``, ``clinician``,
  ``administrator``); every member of staff's login role is a member of exactly one.
- **Row-level security, forced** (the table owner is bound too) on every table that holds
  client data: ``client`` itself, every table with a ``client_id`` column, and every table
  that reaches one through its foreign key (a plan revision through its plan, an item
  answer through its administration ...). A clinical user reads and writes only rows of
  clients they are assigned to, or hold an unexpired emergency-access grant for
  (``clinic_can_see_client``, migration ``0010_site``). Administrators may read the rows,
  but only the columns below.
- **Column privileges from the privacy classes.** Administrators get SELECT on OPERATIONAL,
  IDENTIFYING and SHAREABLE columns only: SELECT of any CLINICAL or THIRD_PARTY column (or
  of the search vector made from note text) is refused by the server, even from psql.
  Nobody but the owner reads ``staff_user.password_hash``.
- **The audit trail** may be read and appended to, never changed: no UPDATE, DELETE or
  TRUNCATE is granted on it to anyone (and triggers refuse them from the owner too).

:func:`security_statements` returns the SQL; :func:`apply_security` runs it on the
owner's connection. Running it again (after an upgrade) brings a site up to date.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Column, Connection, Table, text

from clinic_app.config import FAILED_SIGN_INS_BEFORE_LOCKOUT, LOCKOUT_MINUTES
from clinic_app.models import Base, Privacy, privacy_of
from clinic_app.models.enums import Role
from clinic_app.services.audit import GENESIS, Action
from clinic_app.storage.site import AUDIT_CHAIN_LOCK, GATE_PASSWORD, GATE_ROLE

GROUP_ROLES: dict[Role, str] = {role: role.value for role in Role}
CLINICAL_GROUPS = tuple(GROUP_ROLES[r] for r in Role if r.is_clinical)
ADMIN_GROUP = GROUP_ROLES[Role.ADMINISTRATOR]

# Classes an administrator may never read.
PRIVATE_CLASSES = frozenset({Privacy.CLINICAL, Privacy.THIRD_PARTY})
# Columns no group may read, whatever their class: secrets.
SECRET_COLUMNS = frozenset({("staff_user", "password_hash")})

# Tables administrators keep (staff, settings, the service directory, audience policies,
# measure definitions): they may add and change rows here, in the columns they may read.
ADMIN_TABLES = frozenset(
    {"staff_user", "app_setting", "specialist_service", "audience_profile", "measure_definition"}
)
ADMIN_DELETES = frozenset({"audience_profile", "app_setting"})
# Administrators put clients on caseloads and take them off (an assignment is ended, never
# deleted): they add assignments, and change nothing in one but its end.
ASSIGNMENTS = "client_assignment"
ASSIGNMENT_END = "ended_at"
# Tables clinical staff delete rows from (their own autosaved drafts).
CLINICAL_DELETES = frozenset({"note_draft", "form_draft"})
# Drafts belong to the person who typed them, not to the whole team.
OWN_ROWS_ONLY = frozenset({"note_draft", "form_draft"})
AUDIT_TABLE = "audit_event"
AUDIT_HEAD_KEY = "audit_chain_head"  # services.audit.HEAD_SETTING
# Migration 0021's function: an audited action appends its event in one round trip.
AUDIT_APPEND_SIGNATURE = (
    "clinic_audit_append_event(timestamp, integer, text, text, integer, integer, text, text)"
)
MAX_EMERGENCY_HOURS = 72  # config.EMERGENCY_ACCESS_HOURS's maximum
POLICY_PREFIX = "clinic_"

# The sign-in gate (see "Sign-in gate" below). Its role's name and password
# (``storage.site``) are public by design: all it may do is call ``clinic_open_gate``.
GATE_SECONDS = 15  # how long one opening lets a member of staff's password be tried
GATE_CLOSED = "1970-01-01 00:00:00+00"  # a staff role's VALID UNTIL while its gate is shut
# Set for one transaction by the gate to the account it is locking, so that the audit
# trail's guard accepts that account's lockout event (the name migration 0018 checks).
GATE_LOCKOUT_MARK = "clinic.gate_lockout"
LOCKOUT = Action.LOCKOUT.value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class ClientTable:
    """A table holding client data, and the SQL expression naming a row's client."""

    name: str
    client_expr: str
    nullable: bool = False


def _tables() -> list[Table]:
    """Every mapped table (the audit trail holds ids only and stays readable whole, so
    that anyone can check the chain)."""
    return [t for t in Base.metadata.sorted_tables if t.name != "alembic_version"]


def client_tables() -> list[ClientTable]:
    """Every table with client data, found from the models' columns and foreign keys."""
    found: dict[str, ClientTable] = {}
    pending = _tables()
    while True:
        progress = False
        for table in pending:
            if table.name in found or table.name == AUDIT_TABLE:
                continue
            entry = _client_table(table, found)
            if entry is not None:
                found[table.name] = entry
                progress = True
        if not progress:
            break
    return [found[t.name] for t in _tables() if t.name in found]


def _client_table(table: Table, found: dict[str, ClientTable]) -> ClientTable | None:
    if table.name == "client":
        return ClientTable("client", "id")
    if "client_id" in table.c:
        return ClientTable(table.name, "client_id", bool(table.c.client_id.nullable))
    for fk in table.foreign_keys:
        parent = fk.column.table.name
        if parent in found and parent != "client":
            column = fk.parent
            return ClientTable(
                table.name, f"clinic_client_of_{parent}({column.name})", bool(column.nullable)
            )
    return None


def _parents() -> set[str]:
    return {
        entry.client_expr.split("(")[0].removeprefix("clinic_client_of_")
        for entry in client_tables()
        if entry.client_expr.startswith("clinic_client_of_")
    }


def admin_readable(column: Column[object]) -> bool:
    """Whether an administrator may read the column: decided by its privacy class."""
    privacy = privacy_of(column)
    if privacy is None or privacy in PRIVATE_CLASSES:
        return False
    return (column.table.name, column.name) not in SECRET_COLUMNS


def private_columns() -> list[tuple[str, str]]:
    """Every (table, column) an administrator must be refused: CLINICAL and THIRD_PARTY."""
    return [
        (table.name, column.name)
        for table in _tables()
        for column in table.columns
        if privacy_of(column) in PRIVATE_CLASSES
    ]


def _columns(names: Iterable[str]) -> str:
    return ", ".join(_quote(n) for n in names)


def _group_roles() -> Iterator[str]:
    for name in GROUP_ROLES.values():
        yield (
            "DO $$ BEGIN "  # noqa: S608 - names from the Role enum
            f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN "
            f"CREATE ROLE {_quote(name)} NOLOGIN; END IF; END $$"
        )


def _grants() -> Iterator[str]:
    everyone = ", ".join(_quote(g) for g in GROUP_ROLES.values())
    clinical = ", ".join(_quote(g) for g in CLINICAL_GROUPS)
    admin = _quote(ADMIN_GROUP)
    yield (
        "DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', "
        "current_database()); END $$"
    )
    yield (
        "DO $$ BEGIN EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO "
        + everyone.replace("%", "%%")
        + "', current_database()); END $$"
    )
    yield "REVOKE CREATE ON SCHEMA public FROM PUBLIC"
    yield f"GRANT USAGE ON SCHEMA public TO {everyone}"
    yield f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, {everyone}"
    yield f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {everyone}"
    # Which schema revision the site is at: anyone signed in may ask.
    yield f"GRANT SELECT ON alembic_version TO {everyone}"
    client_names = {entry.name for entry in client_tables()}
    for table in _tables():
        name = _quote(table.name)
        readable = [c.name for c in table.columns if admin_readable(c)]
        if table.name == AUDIT_TABLE:
            yield f"GRANT SELECT, INSERT ON {name} TO {everyone}"
            continue
        if table.name == "staff_user":
            yield f"GRANT SELECT ({_columns(readable)}) ON {name} TO {clinical}"
        elif table.name in client_names:
            # Clinical staff: every column; which rows, row-level security decides.
            yield f"GRANT SELECT, INSERT, UPDATE ON {name} TO {clinical}"
            if table.name in CLINICAL_DELETES:
                yield f"GRANT DELETE ON {name} TO {clinical}"
        else:
            yield f"GRANT SELECT ON {name} TO {clinical}"
            if table.name == "app_setting":
                # Only the audit chain's recorded end (row-level security keeps it so).
                yield f"GRANT INSERT, UPDATE ON {name} TO {clinical}"
        if readable:
            yield f"GRANT SELECT ({_columns(readable)}) ON {name} TO {admin}"
        if table.name in ADMIN_TABLES and readable:
            writable = readable + [c for t, c in SECRET_COLUMNS if t == table.name]
            yield f"GRANT INSERT ({_columns(writable)}) ON {name} TO {admin}"
            yield f"GRANT UPDATE ({_columns(writable)}) ON {name} TO {admin}"
            if table.name in ADMIN_DELETES:
                yield f"GRANT DELETE ON {name} TO {admin}"
        if table.name == ASSIGNMENTS:
            yield f"GRANT INSERT ({_columns(readable)}) ON {name} TO {admin}"
            yield f"GRANT UPDATE ({ASSIGNMENT_END}) ON {name} TO {admin}"


VISIBLE_CLIENTS = """CREATE OR REPLACE FUNCTION clinic_visible_clients() RETURNS SETOF integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
        me integer := clinic_staff_id();
    BEGIN
        RETURN QUERY
            SELECT a.client_id FROM client_assignment a
            WHERE a.staff_id = me AND a.ended_at IS NULL
            UNION ALL
            SELECT e.client_id FROM emergency_access e
            WHERE e.staff_id = me AND e.expires_at > (now() AT TIME ZONE 'UTC');
    END $$"""
"""The clients the signed-in member of staff may see now, as a set the planner reads once
per statement for each table it reads (a policy calling a function for each row would cost
a round of subqueries per row).

PL/pgSQL, not SQL: the server keeps a PL/pgSQL function's plan for the session, where a
SQL function that cannot be inlined (this one runs as its owner) is planned again at every
call. With a dozen calls in opening a record that was about half of the site's time.

UNION ALL: a client both assigned and under an emergency grant comes twice, which ``IN``
does not mind; removing duplicates cost each call a hash of the whole set (a 400-client
caseload: about 0.1 ms per call, a dozen calls in opening a record)."""


def _visible(entry: ClientTable) -> str:
    """The policy condition that a row's client is visible to the signed-in clinician.

    A row that names its client is checked against :data:`VISIBLE_CLIENTS`; a row that
    reaches its client through a parent row is visible when that parent is (its table's
    own policy decides), the parent found by its key.
    """
    if entry.client_expr.startswith("clinic_client_of_"):
        parent = entry.client_expr.split("(")[0].removeprefix("clinic_client_of_")
        column = entry.client_expr.split("(")[1].rstrip(")")
        # Correlated, so that the parent is looked up by its key for each row read. "column
        # IN (SELECT id FROM parent)" read every row of the parent the person may see,
        # whatever the statement asked for: a record's addenda took 7 ms with 20,000 notes
        # at the site, and the time grew with the whole site's notes.
        return (
            f"EXISTS (SELECT 1 FROM {_quote(parent)} clinic_parent "  # noqa: S608 - model names
            f"WHERE clinic_parent.id = {_quote(entry.name)}.{_quote(column)})"
        )
    return f"{entry.client_expr} IN (SELECT clinic_visible_clients())"


def _functions() -> Iterator[str]:
    """``clinic_client_of_<table>(id)``: the client of a row that names no client itself;
    and :data:`VISIBLE_CLIENTS`."""
    yield VISIBLE_CLIENTS
    by_name = {entry.name: entry for entry in client_tables()}
    # Parents before children: a child's function calls its parent's.
    for table in _tables():
        if table.name not in _parents():
            continue
        entry = by_name[table.name]
        yield (
            "CREATE OR REPLACE FUNCTION"  # noqa: S608 - names from the models
            f" clinic_client_of_{table.name}(row_id integer) "
            "RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT "
            f"AS $$ SELECT {entry.client_expr} FROM {_quote(table.name)} WHERE id = row_id $$"
        )


def _policy(table: str, name: str, command: str, roles: str, using: str, check: str) -> str:  # noqa: PLR0917 - reads as the SQL does
    clauses = f" USING ({using})" if using else ""
    clauses += f" WITH CHECK ({check})" if check else ""
    return (
        f"CREATE POLICY {POLICY_PREFIX}{name} ON {_quote(table)} FOR {command} TO {roles}" + clauses
    )


def _row_security() -> Iterator[str]:
    clinical = ", ".join(_quote(g) for g in CLINICAL_GROUPS)
    admin = _quote(ADMIN_GROUP)
    me = "clinic_staff_id()"
    for entry in client_tables():
        table = entry.name
        visible = _visible(entry)
        if entry.nullable:
            visible = f"({entry.client_expr} IS NULL OR {visible})"
        yield from _reset_policies(table)
        yield f"ALTER TABLE {_quote(table)} ENABLE ROW LEVEL SECURITY"
        yield f"ALTER TABLE {_quote(table)} FORCE ROW LEVEL SECURITY"
        # The owner (migrations, site init, imports) is bound by FORCE too, and allowed all.
        yield _policy(table, "owner", "ALL", "CURRENT_USER", "true", "true")
        yield _policy(table, "administrator_read", "SELECT", admin, "true", "")
        if table == "client":
            # A client just registered has no team yet: its registrant sees it until the
            # same unit of work makes them its lead (a client always has a team after).
            seen = f"({visible} OR NOT clinic_client_has_team(id))"
            yield _policy(table, "clinical_read", "SELECT", clinical, seen, "")
            yield _policy(table, "clinical_register", "INSERT", clinical, "", "true")
            yield _policy(table, "clinical_change", "UPDATE", clinical, visible, visible)
        elif table == ASSIGNMENTS:
            own = f"staff_id = {me}"
            first = f"({own} AND NOT clinic_client_has_team(client_id))"
            yield _policy(table, "clinical_read", "SELECT", clinical, f"{own} OR {visible}", "")
            yield _policy(table, "clinical_assign", "INSERT", clinical, "", f"{visible} OR {first}")
            yield _policy(table, "clinical_change", "UPDATE", clinical, visible, visible)
            yield _policy(table, "administrator_assign", "INSERT", admin, "", "true")
            yield _policy(table, "administrator_end", "UPDATE", admin, "true", "true")
        elif table == "emergency_access":
            own = f"staff_id = {me}"
            limited = (
                f"{own} AND expires_at <= (now() AT TIME ZONE 'UTC') "
                f"+ interval '{MAX_EMERGENCY_HOURS} hours'"
            )
            yield _policy(table, "clinical_read", "SELECT", clinical, f"{own} OR {visible}", "")
            yield _policy(table, "clinical_grant", "INSERT", clinical, "", limited)
        elif table in OWN_ROWS_ONLY:
            mine = f"staff_id = {me} AND {visible}"
            yield _policy(table, "clinical_own", "ALL", clinical, mine, mine)
        else:
            yield _policy(table, "clinical", "ALL", clinical, visible, visible)
    # Settings: everyone reads; clinical staff write only the audit chain's recorded end.
    yield from _reset_policies("app_setting")
    yield "ALTER TABLE app_setting ENABLE ROW LEVEL SECURITY"
    yield "ALTER TABLE app_setting FORCE ROW LEVEL SECURITY"
    head = f"key = '{AUDIT_HEAD_KEY}'"
    yield _policy("app_setting", "owner", "ALL", "CURRENT_USER", "true", "true")
    yield _policy("app_setting", "administrator", "ALL", admin, "true", "true")
    yield _policy("app_setting", "clinical_read", "SELECT", clinical, "true", "")
    yield _policy("app_setting", "clinical_head_add", "INSERT", clinical, "", head)
    yield _policy("app_setting", "clinical_head_move", "UPDATE", clinical, head, head)


def _reset_policies(table: str) -> Iterator[str]:
    yield (
        "DO $$ DECLARE p record; BEGIN "  # noqa: S608 - names from the models
        "FOR p IN SELECT policyname FROM pg_policies "
        f"WHERE tablename = '{table}' AND policyname LIKE '{POLICY_PREFIX}%' LOOP "
        f"EXECUTE format('DROP POLICY %I ON %I', p.policyname, '{table}'); "
        "END LOOP; END $$"
    )


# Account management: administrators create, re-password, disable and enable staff login
# roles only through these functions, which run with the owner's right to create roles and
# touch nothing but staff roles (never the owner, a superuser or a role of another kind).
_STAFF_LOGIN_CHECKS = """
        IF NOT (pg_has_role(session_user, 'administrator', 'MEMBER') OR clinic_is_owner()) THEN
            RAISE EXCEPTION 'only administrators manage accounts'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM staff_user WHERE username = account_name) THEN
            RAISE EXCEPTION 'there is no staff account of that name'
                USING ERRCODE = 'insufficient_privilege';
        END IF;"""
_IS_STAFF_ROLE = """
        IF NOT EXISTS (
            SELECT 1 FROM pg_roles r WHERE r.rolname = account_name AND NOT r.rolsuper
              AND NOT r.rolcreaterole
              AND (pg_has_role(account_name, 'psychologist', 'MEMBER')
                   OR pg_has_role(account_name, 'clinician', 'MEMBER')
                   OR pg_has_role(account_name, 'administrator', 'MEMBER'))) THEN
            RAISE EXCEPTION 'that database role is not a staff login'
                USING ERRCODE = 'insufficient_privilege';
        END IF;"""
_VERIFIER_CHECK = """
        IF verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
            RAISE EXCEPTION 'a password reaches the server only as a SCRAM-SHA-256 verifier'
                USING ERRCODE = 'invalid_password';
        END IF;"""
ACCOUNT_FUNCTIONS = {
    "clinic_create_login(account_name text, verifier text, grp text)": f"""
        {_STAFF_LOGIN_CHECKS}{_VERIFIER_CHECK}
        IF grp NOT IN ('psychologist', 'clinician', 'administrator') THEN
            RAISE EXCEPTION 'not a staff group' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = account_name) THEN
            RAISE EXCEPTION 'a database role of that name exists already'
                USING ERRCODE = 'duplicate_object';
        END IF;
        -- Created with its password expired: it opens only through the sign-in gate.
        EXECUTE format('CREATE ROLE %I LOGIN INHERIT PASSWORD %L VALID UNTIL %L IN ROLE %I',
                       account_name, verifier, CLOSED, grp);""",  # noqa: S608 - constant SQL
    "clinic_set_login_password(account_name text, verifier text)": f"""
        {_STAFF_LOGIN_CHECKS}{_IS_STAFF_ROLE}{_VERIFIER_CHECK}
        EXECUTE format('ALTER ROLE %I PASSWORD %L', account_name, verifier);""",
    "clinic_set_login_enabled(account_name text, enabled boolean)": f"""
        {_STAFF_LOGIN_CHECKS}{_IS_STAFF_ROLE}
        IF enabled THEN
            EXECUTE format('ALTER ROLE %I LOGIN', account_name);
        ELSE
            EXECUTE format('ALTER ROLE %I NOLOGIN', account_name);
        END IF;""",
    "clinic_set_login_group(account_name text, grp text)": f"""
        {_STAFF_LOGIN_CHECKS}{_IS_STAFF_ROLE}
        IF grp NOT IN ('psychologist', 'clinician', 'administrator') THEN
            RAISE EXCEPTION 'not a staff group' USING ERRCODE = 'insufficient_privilege';
        END IF;
        EXECUTE format('REVOKE psychologist, clinician, administrator FROM %I', account_name);
        EXECUTE format('GRANT %I TO %I', grp, account_name);""",
}


def _account_functions() -> Iterator[str]:
    admin = _quote(ADMIN_GROUP)
    for signature, body in ACCOUNT_FUNCTIONS.items():
        yield (
            f"CREATE OR REPLACE FUNCTION {signature} RETURNS void LANGUAGE plpgsql "
            "SECURITY DEFINER SET search_path FROM CURRENT AS $$ "
            f"DECLARE CLOSED CONSTANT text := '{GATE_CLOSED}';\n    BEGIN {body}\n    END $$"
        )
        types = ", ".join(part.split()[-1] for part in signature.split("(")[1][:-1].split(", "))
        name = signature.split("(")[0]
        yield f"REVOKE ALL ON FUNCTION {name}({types}) FROM PUBLIC"
        yield f"GRANT EXECUTE ON FUNCTION {name}({types}) TO {admin}"


# Sign-in gate: server-side lockout. A staff login role's password is expired (VALID
# UNTIL in the past) except for GATE_SECONDS after ``clinic_open_gate`` opened it; every
# opening counts as a failed attempt until the member of staff, signed in, calls
# ``clinic_gate_passed``. After ``failed_sign_ins_before_lockout`` openings with no
# sign-in the account is locked for ``lockout_minutes`` (the administrator's settings,
# the same as a workstation's) and the gate stays shut; an administrator's unlock (which
# clears ``staff_user.locked_until`` and ``failed_attempts``) lets it open again. A
# client that skips the gate meets an expired password: PostgreSQL refuses it, right or
# wrong, with the same message as a wrong one.
_SETTING_VALUE = (
    "(SELECT NULLIF(regexp_replace(value, '[^0-9]', '', 'g'), '')::integer "
    "FROM app_setting WHERE key = '{key}')"
)
_ATTEMPTS = _SETTING_VALUE.format(key=FAILED_SIGN_INS_BEFORE_LOCKOUT.key)
_MINUTES = _SETTING_VALUE.format(key=LOCKOUT_MINUTES.key)
GATE_FUNCTIONS = {
    "clinic_open_gate(account_name text)": f"""
    RETURNS timestamp LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
        account staff_user%ROWTYPE;
        now_utc timestamp := now() AT TIME ZONE 'UTC';
        attempts integer := coalesce({_ATTEMPTS}, {FAILED_SIGN_INS_BEFORE_LOCKOUT.default});
        minutes integer := coalesce({_MINUTES}, {LOCKOUT_MINUTES.default});
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM pg_roles r WHERE r.rolname = account_name AND r.rolcanlogin
              AND NOT r.rolsuper AND NOT r.rolcreaterole
              AND (pg_has_role(r.oid, 'psychologist', 'MEMBER')
                   OR pg_has_role(r.oid, 'clinician', 'MEMBER')
                   OR pg_has_role(r.oid, 'administrator', 'MEMBER'))) THEN
            RETURN NULL;  -- not a staff login: nothing opens, nothing is said
        END IF;
        SELECT * INTO account FROM staff_user WHERE username = account_name
            FOR NO KEY UPDATE;
        IF NOT FOUND OR account.disabled_at IS NOT NULL THEN
            RETURN NULL;
        END IF;
        IF account.locked_until IS NOT NULL AND account.locked_until > now_utc THEN
            RETURN account.locked_until;
        END IF;
        IF account.failed_attempts >= attempts THEN
            UPDATE staff_user SET failed_attempts = 0,
                locked_until = now_utc + make_interval(mins => minutes)
                WHERE id = account.id RETURNING locked_until INTO account.locked_until;
            EXECUTE format('ALTER ROLE %I VALID UNTIL %L', account_name, '{GATE_CLOSED}');
            BEGIN  -- the lock holds even if its audit event cannot be written
                PERFORM clinic_audit_lockout(account.id, now_utc);
            EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'the lockout of % was not written to the audit trail: %',
                    account_name, SQLERRM;
            END;
            RETURN account.locked_until;
        END IF;
        UPDATE staff_user SET failed_attempts = failed_attempts + 1, locked_until = NULL
            WHERE id = account.id;
        EXECUTE format('ALTER ROLE %I VALID UNTIL %L', account_name,
                       (now() + make_interval(secs => {GATE_SECONDS}))::text);
        RETURN NULL;
    END $$""",  # noqa: S608 - constant SQL
    # The lockout's audit event, in the locked account's name as on a workstation: the
    # chain's next link, hashed as services.audit hashes it (canonical JSON, SHA-256, the
    # time as the application reads it back: whole seconds, UTC), and the chain's
    # recorded end moved on. Run only by clinic_open_gate (no one may
    # call it); the mark lets the trail's guard (migration 0018) accept this one event.
    "clinic_audit_lockout(account integer, moment timestamp)": f"""
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
        last_seq integer;
        last_hash text;
        at timestamp := date_trunc('second', moment);
        canonical text;
        digest text;
    BEGIN
        PERFORM pg_advisory_xact_lock({AUDIT_CHAIN_LOCK});
        SELECT seq, hash INTO last_seq, last_hash FROM audit_event ORDER BY seq DESC LIMIT 1;
        last_seq := coalesce(last_seq, 0) + 1;
        last_hash := coalesce(last_hash, '{GENESIS}');
        canonical := format('[%s,"%s",%s,"{LOCKOUT}","",null,null,{{}},"%s"]',
            last_seq, to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'), account, last_hash);
        digest := encode(sha256(convert_to(canonical, 'UTF8')), 'hex');
        PERFORM set_config('{GATE_LOCKOUT_MARK}', account::text, true);
        INSERT INTO audit_event (seq, occurred_at, actor_id, action, entity, entity_id,
                                 client_id, detail, prev_hash, hash)
            VALUES (last_seq, at, account, '{LOCKOUT}', '', NULL, NULL, '{{}}', last_hash,
                    digest);
        PERFORM set_config('{GATE_LOCKOUT_MARK}', '', true);
        INSERT INTO app_setting (key, value) VALUES ('{AUDIT_HEAD_KEY}', last_seq || ':' || digest)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    END $$""",  # noqa: S608 - constant SQL
    "clinic_gate_passed()": """
    RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
        UPDATE staff_user SET failed_attempts = 0, locked_until = NULL
        WHERE username = session_user $$""",
    # A member of staff's own new password (as a verifier); done with having to change it.
    "clinic_set_own_password(verifier text)": """
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    BEGIN
        IF verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
            RAISE EXCEPTION 'a password reaches the server only as a SCRAM-SHA-256 verifier'
                USING ERRCODE = 'invalid_password';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM staff_user WHERE username = session_user
                       AND disabled_at IS NULL) THEN
            RAISE EXCEPTION 'not an active member of staff'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        EXECUTE format('ALTER ROLE %I PASSWORD %L', session_user, verifier);
        UPDATE staff_user SET must_change_password = false,
            password_changed_at = now() AT TIME ZONE 'UTC'
            WHERE username = session_user;
    END $$""",
}


def _gate() -> Iterator[str]:
    everyone = ", ".join(_quote(g) for g in GROUP_ROLES.values())
    gate = _quote(GATE_ROLE)
    yield (
        "DO $$ BEGIN "  # noqa: S608 - constant names
        f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{GATE_ROLE}') THEN "
        f"CREATE ROLE {gate} LOGIN NOINHERIT PASSWORD '{GATE_PASSWORD}'; END IF; END $$"
    )
    yield (
        "DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO "
        f"{gate}', current_database()); END $$"
    )
    yield f"GRANT USAGE ON SCHEMA public TO {gate}"
    for signature, body in GATE_FUNCTIONS.items():
        yield f"CREATE OR REPLACE FUNCTION {signature} {body}"
    yield "REVOKE ALL ON FUNCTION clinic_open_gate(text) FROM PUBLIC"
    yield "REVOKE ALL ON FUNCTION clinic_audit_lockout(integer, timestamp) FROM PUBLIC"
    yield f"GRANT EXECUTE ON FUNCTION clinic_open_gate(text) TO {gate}"
    for own in ("clinic_gate_passed()", "clinic_set_own_password(text)"):
        yield f"REVOKE ALL ON FUNCTION {own} FROM PUBLIC"
        yield f"GRANT EXECUTE ON FUNCTION {own} TO {everyone}"
    # Staff logins made before the gate existed: shut theirs too.
    yield (
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT rolname FROM pg_roles "  # noqa: S608
        "WHERE rolcanlogin AND NOT rolsuper AND NOT rolcreaterole AND rolvaliduntil IS NULL "
        "AND (pg_has_role(rolname, 'psychologist', 'MEMBER') "
        "OR pg_has_role(rolname, 'clinician', 'MEMBER') "
        "OR pg_has_role(rolname, 'administrator', 'MEMBER')) LOOP "
        f"EXECUTE format('ALTER ROLE %I VALID UNTIL %L', r.rolname, '{GATE_CLOSED}'); "
        "END LOOP; END $$"
    )


# Reaching a client who is not on one's caseload (emergency access follows): row-level
# security hides the client's row, so whether such a client exists is asked of these two,
# which answer nothing but an id or yes/no, and only to clinical staff.
LOOKUP_FUNCTIONS = {
    "clinic_find_client(reference text, nhs text)": (
        "integer",
        "SELECT id FROM client WHERE local_ref = reference "
        "OR (nhs <> '' AND nhs_number = nhs) ORDER BY id LIMIT 1",
    ),
    "clinic_client_exists(target integer)": (
        "boolean",
        "SELECT EXISTS (SELECT 1 FROM client WHERE id = target)",
    ),
}


def _lookup_functions() -> Iterator[str]:
    clinical = ", ".join(_quote(g) for g in CLINICAL_GROUPS)
    for signature, (returns, body) in LOOKUP_FUNCTIONS.items():
        yield (
            f"CREATE OR REPLACE FUNCTION {signature} RETURNS {returns} LANGUAGE sql STABLE "
            f"SECURITY DEFINER SET search_path FROM CURRENT AS $$ {body} $$"
        )
        types = ", ".join(part.split()[-1] for part in signature.split("(")[1][:-1].split(", "))
        name = signature.split("(")[0]
        yield f"REVOKE ALL ON FUNCTION {name}({types}) FROM PUBLIC"
        yield f"GRANT EXECUTE ON FUNCTION {name}({types}) TO {clinical}"


def _function_privileges() -> Iterator[str]:
    """Functions run only for the staff groups (by default PostgreSQL lets anyone)."""
    everyone = ", ".join(_quote(g) for g in GROUP_ROLES.values())
    yield "REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC"
    helpers = ["clinic_staff_id()", "clinic_is_owner()", "clinic_fold(text)"]
    helpers += ["clinic_can_see_client(integer)", "clinic_client_has_team(integer)"]
    helpers += ["clinic_visible_clients()", AUDIT_APPEND_SIGNATURE]
    helpers += [f"clinic_client_of_{parent}(integer)" for parent in sorted(_parents())]
    for helper in helpers:
        yield f"GRANT EXECUTE ON FUNCTION {helper} TO {everyone}"
    yield from _account_functions()
    yield from _gate()
    yield from _lookup_functions()


# No just-in-time compilation in this database: the application's statements are short,
# and on a server built with LLVM the planner's high guess for a note search under row-
# level security set off compiling that took 0.6 s of a 0.7 s search. Set on the database
# (new sessions take it), not as a connection option, which poolers such as PgBouncer may
# refuse; an owner who does not own the database itself leaves it to the trust's DBA.
DATABASE_SETTINGS = """DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'jit is left as the server has it: only the database owner may set it';
END $$"""


def security_statements() -> list[str]:
    """Every statement that sets a site's roles, privileges and row-level security."""
    return [
        DATABASE_SETTINGS,
        *_group_roles(),
        *_functions(),
        *_grants(),
        *_function_privileges(),
        *_row_security(),
    ]


def apply_security(conn: Connection) -> None:
    """Run :func:`security_statements` on the owner's connection (in its transaction)."""
    for statement in security_statements():
        conn.execute(text(statement))
