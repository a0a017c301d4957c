"""The audit trail: append events to a hash chain, and verify the chain.

Each event's hash covers its own contents and the previous event's hash, so editing,
deleting, inserting or reordering events breaks the chain where it happened. The head
of the chain (last sequence number and hash) is also kept as a setting, so removing
events from the end is caught too. Events carry ids and actions, never names or text.

A check of the trail judges it as it stood before the check began: the caller reads the
:func:`chain_end` first, then signs in (which appends an event and moves the recorded
head), then verifies ``as_of`` that end, so the sign-in cannot paper over a cut end.
Outside the database, each computer also keeps the newest position it has seen (the
integrity anchor, ``storage.integrity``), moved on after each commit that appended here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from clinic_app.errors import StorageError
from clinic_app.models import AppSetting, AuditEvent
from clinic_app.models.base import UtcDateTime, utcnow
from clinic_app.storage import integrity, site
from clinic_app.wording import counted

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

GENESIS = "0" * 64
HEAD_SETTING = "audit_chain_head"


class Action(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    SIGN = "sign"
    EXPORT = "export"
    IMPORT = "import"
    DISCLOSURE = "disclosure"
    EMERGENCY_ACCESS = "emergency_access"
    ACCOUNT_CREATED = "account_created"
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_UNLOCKED = "account_unlocked"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an action name, not a secret
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an action name, not a secret
    ROLE_CHANGED = "role_changed"
    ACCOUNT_ENABLED = "account_enabled"
    ASSIGNMENT_ENDED = "assignment_ended"
    AUDIT_CHECKED = "audit_checked"
    BACKUP = "backup"
    RESTORE = "restore"
    RECOVER = "recover"
    DATABASE_CREATED = "database_created"


def _canonical(items: list[Any]) -> str:
    """The JSON that is hashed: keys sorted, no spaces, ASCII only."""
    return json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _event_hash(
    *,
    seq: int,
    occurred_at: str,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    client_id: int | None,
    detail: dict[str, Any],
    prev_hash: str,
) -> str:
    canonical = _canonical(
        [seq, occurred_at, actor_id, action, entity, entity_id, client_id, detail, prev_hash]
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _hash_of(event: AuditEvent) -> str:
    return _event_hash(
        seq=event.seq,
        occurred_at=event.occurred_at.isoformat(),
        actor_id=event.actor_id,
        action=event.action,
        entity=event.entity,
        entity_id=event.entity_id,
        client_id=event.client_id,
        detail=event.detail,
        prev_hash=event.prev_hash,
    )


def record(
    session: Session,
    action: Action,
    *,
    actor_id: int | None,
    entity: str = "",
    entity_id: int | None = None,
    client_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event to the chain (in the caller's unit of work)."""
    append(
        session,
        action.value,
        occurred_at=utcnow(),
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        client_id=client_id,
        detail=detail,
    )


def append(
    session: Session,
    action: str,
    *,
    occurred_at: datetime,
    actor_id: int | None,
    entity: str = "",
    entity_id: int | None = None,
    client_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one event as it happened at ``occurred_at`` (now, or when an event copied
    from another database's trail happened there); returns its position in the chain."""
    # In UTC and without microseconds: what is hashed must be exactly what the database
    # gives back.
    at = occurred_at.astimezone(UTC).replace(microsecond=0)
    what: dict[str, Any] = {
        "actor_id": actor_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "client_id": client_id,
        "detail": dict(detail or {}),
    }
    if site.is_site(session):
        seq, chain_hash = _append_at_site(session, at, what)
    else:
        seq, chain_hash = _append_here(session, at, what)
    integrity.chain_extended(session, seq, chain_hash)
    return seq


def _append_here(session: Session, at: datetime, what: dict[str, Any]) -> tuple[int, str]:
    """A workstation: its writer holds the database's write lock, so the chain's end read
    here stays the end until the unit of work commits."""
    last = _chain_end(session)
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    chain_hash = _event_hash(seq=seq, occurred_at=at.isoformat(), prev_hash=prev_hash, **what)
    session.execute(
        insert(AuditEvent).values(
            seq=seq, occurred_at=at, hash=chain_hash, prev_hash=prev_hash, **what
        )
    )
    # The recorded end moves with the event; only the very first event adds the setting.
    value = f"{seq}:{chain_hash}"
    moved = session.execute(
        update(AppSetting).where(AppSetting.key == HEAD_SETTING).values(value=value)
    )
    if not cast("CursorResult[Any]", moved).rowcount:
        session.add(AppSetting(key=HEAD_SETTING, value=value))
    session.flush()
    return seq, chain_hash


_SITE_APPEND = text(
    "SELECT appended_seq, appended_hash, previous_hash FROM clinic_audit_append_event("
    ":at, :actor, :what, :about, :about_id, :of_client, :detail, :middle)"
).bindparams(bindparam("at", type_=UtcDateTime()))


def _append_at_site(session: Session, at: datetime, what: dict[str, Any]) -> tuple[int, str]:
    """A site: one round trip to the server function (migration 0021), which takes the
    chain's lock until this unit of work ends, reads the chain's end as it then is, and
    hashes and writes the event and the recorded end.

    It is sent the event's canonical JSON without its first part (the position) and its
    last (the previous event's hash), which only the chain's end decides: the server puts
    them in, so the hash is the one :func:`_event_hash` gives for the event as stored,
    which is what ``audit verify`` recomputes.
    """
    middle = _canonical(
        [
            at.isoformat(),
            what["actor_id"],
            what["action"],
            what["entity"],
            what["entity_id"],
            what["client_id"],
            what["detail"],
        ]
    )[1:-1]
    row = session.execute(
        _SITE_APPEND,
        {
            "at": at,
            "actor": what["actor_id"],
            "what": what["action"],
            "about": what["entity"],
            "about_id": what["entity_id"],
            "of_client": what["client_id"],
            "detail": json.dumps(what["detail"]),
            "middle": middle,
        },
    ).one()
    seq, chain_hash, prev_hash = int(row[0]), str(row[1]), str(row[2])
    if chain_hash != _event_hash(
        seq=seq, occurred_at=at.isoformat(), prev_hash=prev_hash, **what
    ):  # the server and this code would hash differently: write nothing
        raise StorageError(
            "The audit trail at the site could not be extended as this version of "
            "clinic-app expects. Nothing was saved. Ask an administrator to check that "
            "the site and this computer run the same version of clinic-app."
        )
    return seq, chain_hash


def _chain_end(session: Session) -> tuple[int, str] | None:
    """The last event's position and hash (a workstation: its writer holds the write lock)."""
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (last[0], last[1]) if last else None


@dataclass(frozen=True)
class ChainEnd:
    """The trail's end as it stood at one moment: the recorded head and the last event.

    ``recorded`` is the head setting's text as stored (None when there is none);
    ``last_seq`` and ``last_hash`` the last event present (0 and "" when there is none).
    """

    recorded: str | None
    last_seq: int
    last_hash: str


def chain_end(session: Session) -> ChainEnd:
    """The end of the trail now: read it before signing in to check the trail."""
    head = session.get(AppSetting, HEAD_SETTING)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return ChainEnd(
        None if head is None else head.value,
        0 if last is None else last[0],
        "" if last is None else last[1],
    )


@dataclass(frozen=True)
class AuditFinding:
    """One place where the chain does not verify, in words an administrator can act on."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"event {self.seq}: {self.problem}"


@dataclass(frozen=True)
class AuditReport:
    events: int
    findings: tuple[AuditFinding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def verify(session: Session, *, as_of: ChainEnd | None = None) -> AuditReport:
    """Walk the chain and report every edit, deletion, insertion or reordering.

    With ``as_of`` (read by :func:`chain_end` before the checking user signed in), the
    trail is judged as it stood then: its events up to that end, against the head
    recorded then. Events appended since (the sign-in itself) are not counted.
    """
    findings: list[AuditFinding] = []
    previous: AuditEvent | None = None
    count = 0
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if as_of is not None:
        query = query.where(AuditEvent.seq <= as_of.last_seq)
    for event in session.scalars(query):
        count += 1
        if _hash_of(event) != event.hash:
            findings.append(AuditFinding(event.seq, "its contents were changed after writing"))
        expected_seq = previous.seq + 1 if previous else 1
        expected_prev = previous.hash if previous else GENESIS
        if event.seq != expected_seq:
            missing = event.seq - expected_seq
            findings.append(
                AuditFinding(
                    event.seq,
                    f"{counted(missing, 'event')} before it {'is' if missing == 1 else 'are'} "
                    "missing (deleted)"
                    if missing > 0
                    else "it is out of sequence",
                )
            )
        elif event.prev_hash != expected_prev:
            findings.append(
                AuditFinding(
                    event.seq, "it does not follow the event before it (inserted or moved)"
                )
            )
        if previous is not None and event.id < previous.id and event.seq > previous.seq:
            findings.append(AuditFinding(event.seq, "it was written before the event before it"))
        previous = event
    if as_of is not None:
        recorded = as_of.recorded
        if previous is not None and previous.hash != as_of.last_hash:
            findings.append(AuditFinding(previous.seq, "the last event was replaced"))
    else:
        head = session.get(AppSetting, HEAD_SETTING)
        recorded = None if head is None else head.value
    findings += _head_findings(recorded, previous, count)
    return AuditReport(count, tuple(findings))


def _head_findings(
    recorded: str | None, previous: AuditEvent | None, count: int
) -> list[AuditFinding]:
    """What the recorded head of the chain says about its end."""
    findings: list[AuditFinding] = []
    head_seq, _, head_hash = recorded.partition(":") if recorded is not None else ("", "", "")
    if recorded is not None and not head_seq.isdigit():
        findings.append(AuditFinding(0, "the record of the chain's end has been altered"))
    elif recorded is not None:
        last_seq = previous.seq if previous else 0
        if int(head_seq) > last_seq:
            findings.append(
                AuditFinding(
                    last_seq + 1,
                    f"the last {counted(int(head_seq) - last_seq, 'event')} "
                    f"{'is' if int(head_seq) - last_seq == 1 else 'are'} missing",
                )
            )
        elif previous is not None and int(head_seq) == last_seq and head_hash != previous.hash:
            findings.append(AuditFinding(last_seq, "the last event was replaced"))
        elif int(head_seq) < last_seq:
            findings.append(
                AuditFinding(int(head_seq) + 1, "events were added after the recorded end")
            )
    elif count:
        findings.append(AuditFinding(1, "the record of the chain's end is missing"))
    return findings
