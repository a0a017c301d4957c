"""Signing in to a site as oneself, and the server's own lockout (the sign-in gate)."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from sqlalchemy import text

from clinic_app.config import FAILED_SIGN_INS_BEFORE_LOCKOUT
from clinic_app.errors import AccountLocked, SchemaTooNew
from clinic_app.models.enums import Role
from clinic_app.services import audit, clients, site, staff
from clinic_app.services.clients import ClientDetails
from clinic_app.services.workspace import Workspace
from clinic_app.storage import site as site_storage
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD
from tests.integration.conftest import Site

LIMIT = FAILED_SIGN_INS_BEFORE_LOCKOUT.default


def _client(ref: str, family: str) -> ClientDetails:
    return ClientDetails(
        local_ref=ref,
        given_name="Test",
        family_name=family,
        date_of_birth=date(1980, 1, 2),
        site="North",
        referral_date=date(2026, 1, 5),
    )


def _sign_in(where: Site, username: str, password: str = STAFF_PASSWORD) -> Workspace:
    database = site_storage.open_site(where.settings, username, password)
    where._open.append(database)
    with database.transaction() as session:
        me = site.signed_in_staff(session)
        site.record_sign_in(session, me)
    return Workspace(database, me)  # type: ignore[arg-type]


def _refused_directly(where: Site, username: str, password: str) -> bool:
    """Whether a plain psycopg connection (no gate, as psql would) is refused."""
    try:
        psycopg.connect(where.settings.conninfo(username, password)).close()
    except psycopg.OperationalError as exc:
        assert "password authentication failed" in str(exc)
        return True
    return False


def test_two_members_of_staff_signed_in_see_only_their_own_caseloads(fresh_site):
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    patel = fresh_site.add("patel", Role.CLINICIAN)
    with fresh_site.owner_db().transaction() as session:
        clients.register_client(session, jones, _client("J1", "Jonesclient"))
        clients.register_client(session, patel, _client("P1", "Patelclient"))
    mine = _sign_in(fresh_site, jones.username)
    theirs = _sign_in(fresh_site, patel.username)
    assert mine.me.id == jones.id and theirs.me.id == patel.id  # the server said who
    assert [row.client.local_ref for row in mine.call(clients.caseload)] == ["J1"]
    assert [row.client.local_ref for row in theirs.call(clients.caseload)] == ["P1"]


def test_a_wrong_password_is_refused_in_a_plain_sentence(fresh_site):
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    with pytest.raises(site_storage.SiteSignInError) as refused:
        site_storage.open_site(fresh_site.settings, jones.username, "not the password")
    assert refused.value.message == site_storage.SIGN_IN_MESSAGE


def test_a_staff_password_is_refused_without_the_gate_even_when_right(fresh_site):
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    assert _refused_directly(fresh_site, jones.username, STAFF_PASSWORD)
    with fresh_site.owner.connect() as conn:
        valid_until = conn.execute(
            text("SELECT rolvaliduntil < now() FROM pg_roles WHERE rolname = :n"),
            {"n": jones.username},
        ).scalar_one()
    assert valid_until is True


def test_lockout_is_enforced_by_the_server_when_the_client_ignores_it(fresh_site):
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    # A client that counts nothing itself: it knocks and guesses, LIMIT times.
    for _ in range(LIMIT):
        site_storage.open_gate(fresh_site.settings, jones.username)
        assert _refused_directly(fresh_site, jones.username, "a wrong guess")
    # The next knock is refused: the account is locked on the server ...
    with pytest.raises(AccountLocked) as locked:
        site_storage.open_gate(fresh_site.settings, jones.username)
    assert "locked until" in locked.value.message
    # ... and the right password no longer opens it, with or without the gate.
    assert _refused_directly(fresh_site, jones.username, STAFF_PASSWORD)
    with pytest.raises(AccountLocked):
        site_storage.open_site(fresh_site.settings, jones.username, STAFF_PASSWORD)
    with fresh_site.owner.connect() as conn:
        row = conn.execute(
            text("SELECT locked_until IS NOT NULL FROM staff_user WHERE id = :i"), {"i": jones.id}
        ).scalar_one()
    assert row is True

    # An administrator, signed in as themselves, unlocks it; the right password works.
    admin = _sign_in(fresh_site, fresh_site.admin.username, ADMIN_PASSWORD)
    unlocked = admin.call(staff.unlock_user, jones.username)
    assert unlocked.locked_until is None
    back = _sign_in(fresh_site, jones.username)
    assert back.me.id == jones.id


def _lock_out(where: Site, username: str) -> None:
    for _ in range(LIMIT):
        site_storage.open_gate(where.settings, username)
        assert _refused_directly(where, username, "a wrong guess")
    for _ in range(2):  # locked: knocking again is refused, and adds nothing
        with pytest.raises(AccountLocked):
            site_storage.open_gate(where.settings, username)


def test_a_lockout_made_by_the_server_is_audited_in_the_accounts_name(fresh_site):
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    _lock_out(fresh_site, jones.username)
    admin = _sign_in(fresh_site, fresh_site.admin.username, ADMIN_PASSWORD)

    def lockouts(session, _me):  # type: ignore[no-untyped-def]
        return session.execute(
            text("SELECT actor_id, entity, detail::text FROM audit_event WHERE action = 'lockout'")
        ).all()

    assert [tuple(row) for row in admin.call(lockouts)] == [(jones.id, "", "{}")]
    # The server's link is hashed as the application hashes: the whole chain verifies,
    # and the events appended after it (the administrator's sign-in) follow on.
    report = admin.call(lambda session, _me: audit.verify(session))
    assert report.ok, report.findings
    admin.call(staff.unlock_user, jones.username)
    assert admin.call(lambda session, _me: audit.verify(session)).ok


def _forge_lockout(conn: psycopg.Connection, victim: int) -> None:
    """Set the gate's mark and append a lockout in ``victim``'s name, as psql could."""
    with conn.transaction():
        conn.execute("SELECT set_config('clinic.gate_lockout', %s, true)", (str(victim),))
        last = conn.execute(
            "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        assert last is not None
        conn.execute(
            "INSERT INTO audit_event (seq, occurred_at, actor_id, action, entity, detail, "
            "prev_hash, hash) VALUES (%s, now(), %s, 'lockout', '', '{}', %s, 'forged')",
            (last[0] + 1, victim, last[1]),
        )


def test_no_one_else_can_add_a_lockout_to_the_trail(fresh_site):
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    patel = fresh_site.add("patel", Role.CLINICIAN)
    lee = fresh_site.add("lee", Role.CLINICIAN)
    gate = fresh_site.settings.conninfo(site_storage.GATE_ROLE, site_storage.GATE_PASSWORD)
    with (
        psycopg.connect(gate, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT clinic_audit_lockout(%s, now()::timestamp)", (jones.id,))
    # A member of staff who sets the gate's mark still adds events in their own name only.
    conn = fresh_site.raw(patel)
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="member of staff"):
            _forge_lockout(conn, jones.id)
    finally:
        conn.close()
    # Nor can a disabled account whose session is still open: it is no member of staff.
    conn = fresh_site.raw(lee)
    try:
        with fresh_site.owner.begin() as owner:
            owner.execute(
                text("UPDATE staff_user SET disabled_at = now() WHERE id = :i"), {"i": lee.id}
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only signed-in staff"):
            _forge_lockout(conn, jones.id)
    finally:
        conn.close()


def test_a_sign_in_clears_the_count_of_failures(fresh_site):
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    for _ in range(3):  # wrong passwords, fewer than the limit, then the right one: twice
        for _ in range(LIMIT - 1):
            with pytest.raises(site_storage.SiteSignInError):
                site_storage.open_site(fresh_site.settings, jones.username, "wrong")
        assert _sign_in(fresh_site, jones.username).me.id == jones.id


def test_the_gate_role_can_do_nothing_but_knock(fresh_site):
    conninfo = fresh_site.settings.conninfo(site_storage.GATE_ROLE, site_storage.GATE_PASSWORD)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in (
            "SELECT count(*) FROM staff_user",
            "SELECT count(*) FROM client",
            "SELECT count(*) FROM audit_event",
            "SELECT clinic_gate_passed()",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        # An unknown name, or a role that is not a staff login, opens nothing.
        assert conn.execute("SELECT clinic_open_gate('nobody.here')").fetchone() == (None,)
        assert conn.execute("SELECT clinic_open_gate('clinic_owner')").fetchone() == (None,)


def test_the_test_server_pauses_after_a_wrong_password_as_the_guide_advises(pg_server):
    """``auth_delay`` (docs/site-mode.md) is loaded by the test server from Debian's
    package, so every sign-in test runs with it."""
    from tests.pg_server import AUTH_DELAY_MS

    with pg_server.superuser() as conn:
        loaded = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
        delay = conn.execute("SHOW auth_delay.milliseconds").fetchone()[0]
    assert "auth_delay" in loaded
    assert delay == f"{AUTH_DELAY_MS}ms"


def test_the_applications_connections_compile_nothing_just_in_time(fresh_site):
    """On a server built with LLVM, the planner's high guess for a note search under
    row-level security set off compiling that took most of a search's time."""
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    database = fresh_site.open_as(jones)
    with database.session() as session:
        assert session.scalar(text("SHOW jit")) == "off"


@pytest.mark.parametrize(
    ("revision", "refusal", "says"),
    [
        ("0018", site_storage.SiteSettingsError, "clinic-app site upgrade"),
        ("0099", SchemaTooNew, "newer clinic-app"),
    ],
)
def test_a_site_of_another_schema_revision_is_refused_at_sign_in_in_plain_words(
    fresh_site, revision, refusal, says
):
    """A site left behind would fail at the first audited action (the audit trail's
    server functions come with the migrations), in words no one could act on."""
    me = fresh_site.add("versions", Role.PSYCHOLOGIST)
    fresh_site.open_as(me)  # the site as made: this clinic-app's own revision
    with fresh_site.owner.begin() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    try:
        with pytest.raises(refusal) as refused:
            site_storage.open_site(fresh_site.settings, me.username, STAFF_PASSWORD)
        assert says in refused.value.message
        assert "nothing has been changed" in refused.value.message
    finally:
        with fresh_site.owner.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": current})
    fresh_site.open_as(me)
