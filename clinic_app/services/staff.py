"""Staff accounts: first administrator, adding and disabling accounts, signing in.

Passwords are hashed with Argon2id. Repeated failed sign-ins lock the account for a
while and the message says so. A failed sign-in still changes the account (its count of
failures), so callers commit the unit of work even when ``sign_in`` raises ``AuthError``.
Every answer costs one password hash, whether the name is unknown, the account locked or
the password wrong, so the time taken reveals nothing about the account.

A successful sign-in writes its event into the caller's unit of work: a command that is
then refused rolls the unit of work back and leaves no trace of having run.
"""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic_app.config import FAILED_SIGN_INS_BEFORE_LOCKOUT, LOCKOUT_MINUTES
from clinic_app.errors import AccessDenied, AccountLocked, AuthError, NotFound, ValidationError
from clinic_app.models import StaffUser
from clinic_app.models.base import utcnow
from clinic_app.models.enums import Role
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef
from clinic_app.services.settings import get_setting
from clinic_app.services.validation import Checker
from clinic_app.storage import site as site_storage

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
# Argon2id at OWASP's recommended 19 MiB, with ten passes where OWASP's minimum is two.
# The library's defaults were 64 MiB and three passes. A guess takes an attacker the same
# memory traffic as before (memory x passes: 190 against 192 MiB-passes), but a third of
# the memory at once, so their cost in memory x time, what cracking hardware pays for, is
# about 3.4 times lower than with the defaults. The hash protects the person's password,
# not the record: it is stored inside the encrypted database, whose key is not derived from
# any password. In return the process holds 45 MiB less at each password check, which set
# its peak memory. Four lanes, as the library's defaults (RFC 9106): a check takes about
# 80 ms on two cores. A hash made with other parameters is still accepted and is remade
# with these at that person's next sign-in; until then a wrong password for that account
# takes about as long as the old parameters did (about 20 ms more here than for an unknown
# name, which is checked against a hash made with these).
PASSWORD_MEMORY_KIB = 19 * 1024
PASSWORD_PASSES = 10
_hasher = PasswordHasher(time_cost=PASSWORD_PASSES, memory_cost=PASSWORD_MEMORY_KIB, parallelism=4)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a wrong name takes as long as a
    wrong password and sign-in does not reveal which accounts exist. Made on first use:
    hashing takes a noticeable moment, which start-up should not pay."""
    return _hasher.hash("not a real password")


@dataclass(frozen=True)
class StaffRow:
    """An account as administrators see it."""

    id: int
    username: str
    display_name: str
    role: Role
    job_title: str
    disabled: bool
    locked_until: datetime | None
    contact: str = ""
    """Phone and email, printed with the job title in the signature block of letters."""


def _ref(user: StaffUser) -> StaffRef:
    return StaffRef(user.id, user.username, user.display_name, user.role, user.must_change_password)


def _row(user: StaffUser) -> StaffRow:
    return StaffRow(
        user.id,
        user.username,
        user.display_name,
        user.role,
        user.job_title,
        user.disabled_at is not None,
        user.locked_until,
        user.contact,
    )


def normalise_username(name: str) -> str:
    return name.strip().lower()


def password_problem(password: str, *, username: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 1024:
        return "That password is too long (at most 1,024 characters)."
    if password.strip().lower() == username.lower() or len(set(password)) < 4:
        return "That password is too easy to guess; choose another."
    return None


def _find(session: Session, username: str) -> StaffUser | None:
    return session.scalar(
        select(StaffUser).where(StaffUser.username == normalise_username(username))
    )


def _check_new_account(
    session: Session, username: str, display_name: str, password: str
) -> tuple[str, str]:
    name = normalise_username(username)
    check = Checker()
    if not USERNAME_PATTERN.match(name):
        check.add(
            "username",
            "A username is 2 to 64 characters: letters, digits, dots, dashes or "
            "underscores, starting with a letter.",
        )
    elif _find(session, name) is not None:
        check.add("username", f"There is already an account called '{name}'.")
    display = display_name.strip() or name
    check.text("display_name", display, label="The full name", required=True, max_length=200)
    check.add("password", password_problem(password, username=name))
    check.raise_if_any()
    return name, display


def create_first_admin(
    session: Session, username: str, password: str, *, display_name: str = ""
) -> StaffRef:
    """The first account of a new database; refused once any account exists."""
    if session.scalar(select(func.count()).select_from(StaffUser)):
        raise AccessDenied("This database already has accounts; sign in to add more.")
    name, display = _check_new_account(session, username, display_name, password)
    user = StaffUser(
        username=name,
        display_name=display,
        role=Role.ADMINISTRATOR,
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    session.flush()
    audit.record(session, audit.Action.DATABASE_CREATED, actor_id=user.id)
    audit.record(
        session,
        audit.Action.ACCOUNT_CREATED,
        actor_id=user.id,
        entity="staff_user",
        entity_id=user.id,
        detail={"role": user.role.value},
    )
    return _ref(user)


def add_user(
    session: Session,
    by: StaffRef,
    username: str,
    *,
    role: Role,
    password: str,
    display_name: str = "",
    job_title: str = "",
    contact: str = "",
) -> StaffRow:
    """An administrator adds an account; the new user must change the password first."""
    require_role(by, Role.ADMINISTRATOR, action="add accounts")
    name, display = _check_new_account(session, username, display_name, password)
    check = Checker()
    check.text("job_title", job_title, label="The job title", max_length=200)
    check.text("contact", contact, label="The contact details", max_length=300)
    check.raise_if_any()
    user = StaffUser(
        username=name,
        display_name=display,
        role=role,
        job_title=job_title.strip(),
        contact=contact.strip(),
        password_hash=_hasher.hash(password),
        must_change_password=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        audit.Action.ACCOUNT_CREATED,
        actor_id=by.id,
        entity="staff_user",
        entity_id=user.id,
        detail={"role": role.value},
    )
    return _row(user)


def list_users(session: Session, by: StaffRef) -> list[StaffRow]:
    require_role(by, Role.ADMINISTRATOR, action="list accounts")
    return [_row(u) for u in session.scalars(select(StaffUser).order_by(StaffUser.username))]


def unlock_user(session: Session, by: StaffRef, username: str) -> StaffRow:
    """End a lockout after too many wrong passwords (administrators, for another account)."""
    require_role(by, Role.ADMINISTRATOR, action="unlock accounts")
    user = _find(session, username)
    if user is None:
        raise NotFound(f"There is no account called '{normalise_username(username)}'.")
    if user.locked_until is None or user.locked_until <= utcnow():
        raise ValidationError(f"The account '{user.username}' is not locked.")
    user.locked_until = None
    user.failed_attempts = 0
    session.flush()
    audit.record(
        session,
        audit.Action.ACCOUNT_UNLOCKED,
        actor_id=by.id,
        entity="staff_user",
        entity_id=user.id,
    )
    return _row(user)


def disable_user(session: Session, by: StaffRef, username: str) -> StaffRow:
    """Stop an account signing in. Accounts are never deleted: their work stays attributed."""
    require_role(by, Role.ADMINISTRATOR, action="disable accounts")
    user = _find(session, username)
    if user is None:
        raise NotFound(f"There is no account called '{normalise_username(username)}'.")
    if user.id == by.id:
        raise AccessDenied("You cannot disable your own account.")
    if user.disabled_at is not None:
        raise ValidationError(f"The account '{user.username}' is already disabled.")
    if user.role is Role.ADMINISTRATOR:
        others = session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(
                StaffUser.role == Role.ADMINISTRATOR,
                StaffUser.disabled_at.is_(None),
                StaffUser.id != user.id,
            )
        )
        if not others:
            raise AccessDenied("This is the last active administrator; it cannot be disabled.")
    user.disabled_at = utcnow()
    session.flush()
    audit.record(
        session,
        audit.Action.ACCOUNT_DISABLED,
        actor_id=by.id,
        entity="staff_user",
        entity_id=user.id,
    )
    return _row(user)


def _hash_anyway(password_hash: str, password: str) -> None:
    """Spend the time a password check takes, whatever its answer (which is ignored)."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(password_hash, password)


def sign_in(session: Session, username: str, password: str) -> StaffRef:
    """Check a username and password. Commit the session even when this raises."""
    user = _find(session, username)
    now = utcnow()
    failure = AuthError("The username or password is not right.")
    if user is None:
        _hash_anyway(_dummy_hash(), password)
        audit.record(session, audit.Action.LOGIN_FAILED, actor_id=None)
        raise failure
    if user.locked_until is not None and user.locked_until > now:
        # No password is accepted while locked, but it is hashed all the same: a locked
        # account must not answer faster than a wrong password does.
        _hash_anyway(user.password_hash, password)
        audit.record(session, audit.Action.LOGIN_FAILED, actor_id=user.id, detail={"locked": True})
        raise AccountLocked(_locked_message(user.locked_until))
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_attempts += 1
        audit.record(session, audit.Action.LOGIN_FAILED, actor_id=user.id)
        limit = get_setting(session, FAILED_SIGN_INS_BEFORE_LOCKOUT)
        if user.failed_attempts >= limit:
            minutes = get_setting(session, LOCKOUT_MINUTES)
            user.locked_until = now + timedelta(minutes=minutes)
            user.failed_attempts = 0
            audit.record(session, audit.Action.LOCKOUT, actor_id=user.id)
            session.flush()
            raise AccountLocked(_locked_message(user.locked_until)) from None
        session.flush()
        raise failure from None
    if user.disabled_at is not None:
        audit.record(
            session, audit.Action.LOGIN_FAILED, actor_id=user.id, detail={"disabled": True}
        )
        raise AuthError("This account has been disabled. Ask an administrator.")
    user.failed_attempts = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    audit.record(session, audit.Action.LOGIN, actor_id=user.id)
    session.flush()
    return _ref(user)


def _clock(moment: datetime) -> str:
    """A time of day to the minute, rounded up: 'locked until 11:11' is never early."""
    local = moment.astimezone()
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return f"{local:%H:%M}"


def _locked_message(until: datetime) -> str:
    return (
        "Too many failed sign-in attempts: this account is locked until "
        f"{_clock(until)}. Try again then, or ask an administrator to unlock it."
    )


def change_password(session: Session, by: StaffRef, old_password: str, new_password: str) -> None:
    user = session.get(StaffUser, by.id)
    if user is None:
        raise NotFound("Your account could not be found.")
    try:
        _hasher.verify(user.password_hash, old_password)
    except (VerificationError, InvalidHashError):
        raise AuthError("Your current password is not right.") from None
    problem = password_problem(new_password, username=user.username)
    if problem is None and new_password == old_password:
        problem = "The new password must differ from the current one."
    if problem:
        raise ValidationError(problem, where="new password")
    user.password_hash = _hasher.hash(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    session.flush()
    audit.record(
        session,
        audit.Action.PASSWORD_CHANGED,
        actor_id=by.id,
        entity="staff_user",
        entity_id=by.id,
    )


def staff_ids_by_username(session: Session) -> dict[str, int]:
    return dict(session.execute(select(StaffUser.username, StaffUser.id)).all())


def verify_password(session: Session, by: StaffRef, password: str) -> None:
    """Re-check the signed-in user's password (signing a note asks for it again).

    Wrong answers count towards lockout exactly as at sign-in, so a signing dialog is no
    way round it; the caller keeps the count (``Workspace.call`` commits on ``AuthError``).
    """
    at_site = site_storage.staff_site_of(session)
    if at_site is not None:
        _verify_at_site(session, at_site, by, password)
        return
    user = session.get(StaffUser, by.id)
    if user is None:
        raise AuthError("Your account could not be found; nothing was done.")
    if user.locked_until is not None and user.locked_until > utcnow():
        # Locked means no password is accepted, here as at sign-in: otherwise a dialog
        # that asks for the password again (signing, ending a client's questionnaire)
        # would let someone keep guessing. It is hashed anyway, so as to take as long.
        _hash_anyway(user.password_hash, password)
        audit.record(
            session,
            audit.Action.LOGIN_FAILED,
            actor_id=user.id,
            detail={"reauth": True, "locked": True},
        )
        raise AccountLocked(
            "Your account is locked after too many wrong passwords: nothing was done. "
            f"It unlocks at {_clock(user.locked_until)}, or an administrator can unlock it "
            "(clinic-app user unlock)."
        )
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_attempts += 1
        audit.record(session, audit.Action.LOGIN_FAILED, actor_id=user.id, detail={"reauth": True})
        if user.failed_attempts >= get_setting(session, FAILED_SIGN_INS_BEFORE_LOCKOUT):
            user.locked_until = utcnow() + timedelta(minutes=get_setting(session, LOCKOUT_MINUTES))
            user.failed_attempts = 0
            audit.record(session, audit.Action.LOCKOUT, actor_id=user.id)
            session.flush()
            raise AccountLocked(
                "Too many wrong passwords: nothing was done, and your account is locked "
                f"until {_clock(user.locked_until)}. Try again then, or ask an administrator "
                "to unlock it."
            ) from None
        session.flush()
        raise AuthError("That password is not right; nothing was done.") from None
    user.failed_attempts = 0


def _verify_at_site(
    session: Session, site: site_storage.SiteSettings, by: StaffRef, password: str
) -> None:
    """At a site the password is the member of staff's own database role's: the server
    checks it through the sign-in gate, which counts a wrong one towards the lockout it
    enforces, and refuses a locked account, as at sign-in."""
    try:
        site_storage.check_password(site, by.username, password)
    except site_storage.SiteSignInError:
        audit.record(session, audit.Action.LOGIN_FAILED, actor_id=by.id, detail={"reauth": True})
        session.flush()
        raise AuthError("That password is not right; nothing was done.") from None


def clinical_staff(session: Session, by: StaffRef) -> list[StaffRow]:
    """Active psychologists and clinicians, e.g. to assign to a client."""
    if not by.is_clinical:
        raise AccessDenied("Only clinical staff assign clients.")
    query = (
        select(StaffUser)
        .where(StaffUser.role != Role.ADMINISTRATOR, StaffUser.disabled_at.is_(None))
        .order_by(StaffUser.display_name)
    )
    return [_row(u) for u in session.scalars(query)]


def display_names(session: Session, by: StaffRef) -> dict[int, str]:
    """Every account's name by id, to say who wrote or decided something."""
    del by  # staff names are not clinical; any signed-in user may read them
    return dict(session.execute(select(StaffUser.id, StaffUser.display_name)).all())


def _account(session: Session, username: str) -> StaffUser:
    user = _find(session, username)
    if user is None:
        raise NotFound(f"There is no account called '{normalise_username(username)}'.")
    return user


def _other_active_administrators(session: Session, user: StaffUser) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(
                StaffUser.role == Role.ADMINISTRATOR,
                StaffUser.disabled_at.is_(None),
                StaffUser.id != user.id,
            )
        )
        or 0
    )


def reset_password(session: Session, by: StaffRef, username: str, new_password: str) -> StaffRow:
    """An administrator sets a new password for someone who forgot theirs.

    The member of staff must choose their own at their next sign-in, and a lockout ends.
    Administrators change their own password as everyone else does, knowing the current one.
    """
    require_role(by, Role.ADMINISTRATOR, action="reset passwords")
    user = _account(session, username)
    if user.id == by.id:
        raise AccessDenied("Change your own password with 'Change password', not by a reset.")
    if problem := password_problem(new_password, username=user.username):
        raise ValidationError(problem, where="new password")
    user.password_hash = _hasher.hash(new_password)
    user.must_change_password = True
    user.password_changed_at = utcnow()
    user.locked_until = None
    user.failed_attempts = 0
    session.flush()
    audit.record(
        session,
        audit.Action.PASSWORD_RESET,
        actor_id=by.id,
        entity="staff_user",
        entity_id=user.id,
    )
    return _row(user)


def change_role(session: Session, by: StaffRef, username: str, role: Role) -> StaffRow:
    """An administrator changes what an account may do (never their own, never the last
    active administrator's)."""
    require_role(by, Role.ADMINISTRATOR, action="change roles")
    user = _account(session, username)
    if user.id == by.id:
        raise AccessDenied("You cannot change your own role; ask another administrator.")
    if user.role is role:
        raise ValidationError(f"The account '{user.username}' already has that role.")
    if (
        user.role is Role.ADMINISTRATOR
        and user.disabled_at is None
        and not _other_active_administrators(session, user)
    ):
        raise AccessDenied("This is the last active administrator; its role cannot change.")
    user.role = role
    session.flush()
    audit.record(
        session,
        audit.Action.ROLE_CHANGED,
        actor_id=by.id,
        entity="staff_user",
        entity_id=user.id,
        detail={"role": role.value},
    )
    return _row(user)


def enable_user(session: Session, by: StaffRef, username: str) -> StaffRow:
    """Let a disabled account sign in again (someone back from a long absence)."""
    require_role(by, Role.ADMINISTRATOR, action="enable accounts")
    user = _account(session, username)
    if user.disabled_at is None:
        raise ValidationError(f"The account '{user.username}' is not disabled.")
    user.disabled_at = None
    session.flush()
    audit.record(
        session,
        audit.Action.ACCOUNT_ENABLED,
        actor_id=by.id,
        entity="staff_user",
        entity_id=user.id,
    )
    return _row(user)


def set_letter_details(
    session: Session, by: StaffRef, username: str, *, job_title: str, contact: str
) -> StaffRow:
    """An administrator records the job title and contact details (phone, email) that the
    signature block of the member of staff's letters prints (checked first; bad input
    changes nothing)."""
    require_role(by, Role.ADMINISTRATOR, action="change staff contact details")
    user = _account(session, username)
    check = Checker()
    check.text("job_title", job_title, label="The job title", max_length=200)
    check.text("contact", contact, label="The contact details", max_length=300)
    if "\n" in job_title.strip() or "\n" in contact.strip():
        check.add("contact", "Put the job title and the contact details each on one line.")
    check.raise_if_any()
    user.job_title = job_title.strip()
    user.contact = contact.strip()
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="staff_user",
        entity_id=user.id,
        detail={"letter_details": True},
    )
    return _row(user)
