"""Keeping the record safe, as an administrator does it from the window or the command line:
a verified encrypted backup, when the last one was taken, and the audit trail's check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clinic_app.errors import ValidationError
from clinic_app.models import AuditEvent
from clinic_app.models.base import utcnow
from clinic_app.models.enums import Role
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef
from clinic_app.storage import engine as storage


@dataclass(frozen=True)
class BackupRow:
    """A backup that was taken: when, by whom (an id), and where (only when made here)."""

    taken_at: datetime
    by_id: int | None
    path: str


def make_backup(session: Session, by: StaffRef, engine: Engine, key: bytes, out: Path) -> BackupRow:
    """Write a verified, encrypted backup (same key) to ``out`` and record it.

    A failed backup leaves no file where the good one was expected and records nothing.
    """
    require_role(by, Role.ADMINISTRATOR, action="make backups")
    if out.exists():
        raise ValidationError(
            f"{out} already exists; choose a new file name for the backup.", where="file"
        )
    storage.backup_database(engine, key, out)
    audit.record(session, audit.Action.BACKUP, actor_id=by.id, detail={"file": out.name})
    return BackupRow(utcnow(), by.id, str(out))


def last_backup(session: Session, by: StaffRef) -> BackupRow | None:
    """The most recent backup recorded in the audit trail, if any."""
    require_role(by, Role.ADMINISTRATOR, action="see backups")
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == audit.Action.BACKUP.value)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    return BackupRow(event.occurred_at, event.actor_id, str(event.detail.get("file", "")))


def check_audit_trail(session: Session, by: StaffRef) -> audit.AuditReport:
    """Verify the audit trail's hash chain as it stood before this check (administrators).

    The end is read before the check is recorded, so the check's own event is not judged.
    """
    require_role(by, Role.ADMINISTRATOR, action="check the audit trail")
    end = audit.chain_end(session)
    report = audit.verify(session, as_of=end)
    audit.record(
        session,
        audit.Action.AUDIT_CHECKED,
        actor_id=by.id,
        detail={"events": report.events, "problems": len(report.findings)},
    )
    return report
