"""Staff accounts: creation, roles, sign-in, lockout, disabling, password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from clinic_app.errors import AccessDenied, AccountLocked, AuthError, NotFound, ValidationError
from clinic_app.models import AuditEvent, StaffUser
from clinic_app.models.base import utcnow
from clinic_app.models.enums import Role
from clinic_app.services import staff
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD


def _sign_in(db, username, password):
    """Sign in the way the application does: commit even when sign-in fails."""
    with db.session() as session:
        try:
            return staff.sign_in(session, username, password)
        finally:
            session.commit()


def _actions(db):
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_first_admin_is_an_administrator_with_an_argon2id_hash(db, admin):
    assert admin.role is Role.ADMINISTRATOR
    with db.session() as session:
        user = session.get(StaffUser, admin.id)
        assert user.password_hash.startswith("$argon2id$")
        assert ADMIN_PASSWORD not in user.password_hash


def _stored_hash(db, user_id):
    with db.session() as session:
        user = session.get(StaffUser, user_id)
        assert user is not None
        return user.password_hash


def test_a_hash_with_the_old_parameters_signs_in_and_is_remade_with_the_current_ones(
    db, psychologist
):
    """Accounts made before the parameters changed (the library's defaults: 64 MiB, three
    passes) keep working, and their next sign-in stores a hash made with today's."""
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)  # as before
    with db.transaction() as session:
        user = session.get(StaffUser, psychologist.id)
        assert user is not None
        user.password_hash = old.hash(STAFF_PASSWORD)
    with pytest.raises(AuthError):
        _sign_in(db, "dr.jones", "wrong password")
    assert "$m=65536,t=3,p=4$" in _stored_hash(db, psychologist.id)  # kept when refused
    assert _sign_in(db, "dr.jones", STAFF_PASSWORD).id == psychologist.id
    remade = _stored_hash(db, psychologist.id)
    assert f"$m={staff.PASSWORD_MEMORY_KIB},t={staff.PASSWORD_PASSES},p=4$" in remade
    assert staff.PASSWORD_MEMORY_KIB * staff.PASSWORD_PASSES >= 0.95 * 65536 * 3  # same work
    assert _sign_in(db, "dr.jones", STAFF_PASSWORD).id == psychologist.id
    assert _stored_hash(db, psychologist.id) == remade  # remade once, not at every sign-in


def test_a_second_first_admin_is_refused(db, admin):
    with db.session() as session, pytest.raises(AccessDenied):
        staff.create_first_admin(session, "other", "another password")


def test_admin_adds_accounts_of_each_role(db, admin):
    with db.transaction() as session:
        for name, role in (("a.psych", Role.PSYCHOLOGIST), ("b.clin", Role.CLINICIAN)):
            row = staff.add_user(session, admin, name, role=role, password=STAFF_PASSWORD)
            assert row.role is role
        names = [r.username for r in staff.list_users(session, admin)]
    assert names == ["a.psych", "admin", "b.clin"]


def test_clinical_staff_cannot_add_or_list_accounts(db, psychologist):
    with db.session() as session:
        with pytest.raises(AccessDenied):
            staff.add_user(
                session, psychologist, "x.y", role=Role.CLINICIAN, password=STAFF_PASSWORD
            )
        with pytest.raises(AccessDenied):
            staff.list_users(session, psychologist)


@pytest.mark.parametrize(
    ("username", "password", "where"),
    [
        ("ok.name", "short", "password"),
        ("ok.name", "aaaaaaaaaaaa", "password"),
        ("Bad Name!", STAFF_PASSWORD, "username"),
        ("9starts.with.digit", STAFF_PASSWORD, "username"),
        ("admin", STAFF_PASSWORD, "username"),  # already taken
    ],
)
def test_bad_new_accounts_are_refused_with_the_field_named(db, admin, username, password, where):
    with db.session() as session:
        before = session.scalars(select(StaffUser.id)).all()
        with pytest.raises(ValidationError) as caught:
            staff.add_user(session, admin, username, role=Role.CLINICIAN, password=password)
        assert [p.where for p in caught.value.problems] == [where]
        assert session.scalars(select(StaffUser.id)).all() == before


def test_usernames_are_case_insensitive(db, admin, psychologist):
    me = _sign_in(db, "  DR.Jones ", STAFF_PASSWORD)
    assert me.id == psychologist.id


def test_wrong_password_and_unknown_user_give_the_same_message(db, psychologist):
    with pytest.raises(AuthError) as wrong:
        _sign_in(db, "dr.jones", "not the password")
    with pytest.raises(AuthError) as unknown:
        _sign_in(db, "nobody", "not the password")
    assert str(wrong.value) == str(unknown.value)
    assert _actions(db).count("login_failed") == 2


def test_repeated_failures_lock_the_account_and_say_so(db, psychologist):
    for _ in range(4):
        with pytest.raises(AuthError) as caught:
            _sign_in(db, "dr.jones", "wrong password")
        assert not isinstance(caught.value, AccountLocked)
    with pytest.raises(AccountLocked) as locked:
        _sign_in(db, "dr.jones", "wrong password")
    assert "locked until" in str(locked.value)
    # Even the right password is refused while the account is locked.
    with pytest.raises(AccountLocked):
        _sign_in(db, "dr.jones", STAFF_PASSWORD)
    assert "lockout" in _actions(db)


def test_lock_expires(db, psychologist, monkeypatch):
    for _ in range(5):
        with pytest.raises(AuthError):
            _sign_in(db, "dr.jones", "wrong password")
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(staff, "utcnow", lambda: later)
    assert _sign_in(db, "dr.jones", STAFF_PASSWORD).id == psychologist.id


def test_a_success_resets_the_failure_count(db, psychologist):
    for _ in range(4):
        with pytest.raises(AuthError):
            _sign_in(db, "dr.jones", "wrong password")
    _sign_in(db, "dr.jones", STAFF_PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthError) as caught:
            _sign_in(db, "dr.jones", "wrong password")
        assert not isinstance(caught.value, AccountLocked)


def test_disabled_accounts_cannot_sign_in(db, admin, psychologist):
    with db.transaction() as session:
        row = staff.disable_user(session, admin, "dr.jones")
    assert row.disabled
    with pytest.raises(AuthError, match="disabled"):
        _sign_in(db, "dr.jones", STAFF_PASSWORD)
    assert "account_disabled" in _actions(db)


def test_an_admin_cannot_disable_themselves_or_the_last_admin(db, admin):
    with db.session() as session:
        with pytest.raises(AccessDenied):
            staff.disable_user(session, admin, "admin")
        with pytest.raises(NotFound):
            staff.disable_user(session, admin, "ghost")


def test_password_change_needs_the_current_password(db, psychologist):
    with db.session() as session:
        with pytest.raises(AuthError):
            staff.change_password(session, psychologist, "wrong password", "a new password 2")
        with pytest.raises(ValidationError):
            staff.change_password(session, psychologist, STAFF_PASSWORD, STAFF_PASSWORD)
        staff.change_password(session, psychologist, STAFF_PASSWORD, "a new password 2")
        session.commit()
    assert _sign_in(db, "dr.jones", "a new password 2").id == psychologist.id
    with pytest.raises(AuthError):
        _sign_in(db, "dr.jones", STAFF_PASSWORD)


def test_an_administrator_set_password_must_be_changed_once(db, psychologist):
    me = _sign_in(db, "dr.jones", STAFF_PASSWORD)
    assert me.must_change_password
    with db.transaction() as session:
        staff.change_password(session, me, STAFF_PASSWORD, "my own password 9")
    assert not _sign_in(db, "dr.jones", "my own password 9").must_change_password


def test_a_locked_account_checks_no_password_when_asked_again(db, psychologist):
    # Re-entering a password (signing a note, ending a client's questionnaire) counts
    # towards lockout; once locked, not even the right password is accepted there.
    for _ in range(5):
        with db.session() as session:
            with pytest.raises(AuthError):
                staff.verify_password(session, psychologist, "wrong guess")
            session.commit()
    for guess in ("another guess", STAFF_PASSWORD):
        with db.session() as session:
            with pytest.raises(AccountLocked, match="locked"):
                staff.verify_password(session, psychologist, guess)
            session.commit()
    with db.session() as session:
        user = session.get(StaffUser, psychologist.id)
        user.locked_until = utcnow() - timedelta(seconds=1)  # the lock has run out
        session.commit()
    with db.session() as session:
        staff.verify_password(session, psychologist, STAFF_PASSWORD)


def test_an_administrator_unlocks_a_locked_account(db, admin, psychologist):
    for _ in range(5):
        with db.session() as session:
            with pytest.raises(AuthError):
                staff.sign_in(session, "dr.jones", "wrong guess")
            session.commit()
    with db.session() as session:
        with pytest.raises(AccountLocked, match=r"locked until \d\d:\d\d"):
            staff.sign_in(session, "dr.jones", STAFF_PASSWORD)
        session.commit()
    with db.session() as session, pytest.raises(AccessDenied):
        staff.unlock_user(session, psychologist, "dr.jones")
    with db.transaction() as session:
        staff.unlock_user(session, admin, "dr.jones")
    with db.transaction() as session:
        assert staff.sign_in(session, "dr.jones", STAFF_PASSWORD).username == "dr.jones"
        with pytest.raises(ValidationError, match="not locked"):
            staff.unlock_user(session, admin, "dr.jones")
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "account_unlocked" in actions


def test_a_lock_time_is_rounded_up_to_the_minute():
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 1, 11, 10, 33, tzinfo=UTC)
    shown = staff._clock(moment)
    assert shown == f"{(moment + timedelta(minutes=1)).astimezone():%H:%M}"
    exact = datetime(2026, 3, 1, 11, 10, tzinfo=UTC)
    assert staff._clock(exact) == f"{exact.astimezone():%H:%M}"


class _CountingHasher:
    """The real hasher, counting the password checks it runs (each costs the same time)."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.verified = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return self.real.verify(password_hash, password)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


@pytest.mark.parametrize("password", ["wrong password", STAFF_PASSWORD])
def test_a_locked_account_takes_as_long_to_refuse_as_a_wrong_password(
    db, psychologist, monkeypatch, password
):
    """Timing measured by counting: a locked account runs the same password hash once."""
    for _ in range(5):
        with pytest.raises(AuthError):
            _sign_in(db, "dr.jones", "wrong password")
    hasher = _CountingHasher(staff._hasher)
    monkeypatch.setattr(staff, "_hasher", hasher)
    with pytest.raises(AccountLocked):
        _sign_in(db, "dr.jones", password)
    assert hasher.verified == 1
    with db.session() as session, pytest.raises(AccountLocked):
        staff.verify_password(session, psychologist, password)
    assert hasher.verified == 2
    hasher.verified = 0
    with pytest.raises(AuthError):
        _sign_in(db, "nobody.here", password)  # an unknown name: the same one hash
    assert hasher.verified == 1


def test_a_refused_command_after_signing_in_leaves_no_sign_in_event(db, psychologist):
    """Sign-in and the command in one unit of work: refusing the command rolls both back."""
    before = _actions(db)
    with pytest.raises(AccessDenied), db.transaction() as session:
        me = staff.sign_in(session, "dr.jones", STAFF_PASSWORD)
        staff.list_users(session, me)  # administrators only
    assert _actions(db) == before


def test_the_administrator_records_a_signature_block_and_bad_input_changes_nothing(
    db, admin, psychologist
):
    with db.transaction() as session:
        row = staff.set_letter_details(
            session,
            admin,
            "dr.jones",
            job_title=" Clinical Psychologist ",
            contact="01632 960 123, dr.jones@nhs.example",
        )
    assert (row.job_title, row.contact) == (
        "Clinical Psychologist",
        "01632 960 123, dr.jones@nhs.example",
    )
    with db.transaction() as session, pytest.raises(ValidationError):
        staff.set_letter_details(session, admin, "dr.jones", job_title="x" * 201, contact="")
    with db.transaction() as session, pytest.raises(AccessDenied):
        staff.set_letter_details(session, psychologist, "dr.jones", job_title="", contact="")
    with db.session() as session:
        [kept] = [r for r in staff.list_users(session, admin) if r.username == "dr.jones"]
    assert (kept.job_title, kept.contact) == (
        "Clinical Psychologist",
        "01632 960 123, dr.jones@nhs.example",
    )
