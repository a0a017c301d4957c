"""Evaluation projects and their keyed pseudonyms.

A project is created once by an administrator or a psychologist (the clinical lead role
of this application) with a random 256-bit secret. Every export of the project names a
client as ``HMAC-SHA-256(secret, "client:<internal id>")`` in hex: the same client gets
the same pseudonym in every export of one project (so evaluators can follow people over
time), a different one in another project (so two evaluations cannot be joined), and
without the secret nobody can go from a pseudonym back to a client or check a guess.

Where the secret is kept, and why: in ``evaluation_project`` inside the encrypted
database (see ``clinic_app.models.evaluation``). A key file beside the database key would
be lost with the workstation and missed by the encrypted backups, breaking the link
between a project's exports; the credential store is per user, so a colleague could not
continue the project. The database is already the most protected place the service has
(SQLCipher, key in the credential store, encrypted backups), the row cannot be changed or
deleted (triggers), and the secret is read only here and written into no export, log,
audit event or message.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import NotFound
from clinic_app.models import EvaluationProject
from clinic_app.models.enums import Role
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef
from clinic_app.services.validation import Checker

MAY_EXPORT = (Role.ADMINISTRATOR, Role.PSYCHOLOGIST)
"""Who may run an evaluation: the administrator, or a psychologist as clinical lead."""


@dataclass(frozen=True)
class ProjectRow:
    """An evaluation project as listed (never its secret)."""

    id: int
    name: str
    purpose: str
    created_at: datetime


@dataclass(frozen=True)
class Pseudonymiser:
    """Makes a project's pseudonyms; holds the secret only while an export is built."""

    project: ProjectRow
    _key: bytes

    def __repr__(self) -> str:
        return f"<Pseudonymiser project={self.project.id}>"

    def of_client(self, client_id: int) -> str:
        return hmac.new(self._key, f"client:{client_id}".encode(), hashlib.sha256).hexdigest()


def _row(project: EvaluationProject) -> ProjectRow:
    return ProjectRow(project.id, project.name, project.purpose, project.created_at)


def create_project(session: Session, by: StaffRef, name: str, purpose: str = "") -> ProjectRow:
    """A new evaluation project with its own random secret."""
    require_role(by, *MAY_EXPORT, action="set up a service evaluation")
    check = Checker()
    check.text("name", name, label="The project's name", required=True, max_length=80)
    check.text("purpose", purpose, label="The purpose", max_length=2000)
    taken = session.scalar(
        select(EvaluationProject.id).where(EvaluationProject.name == name.strip())
    )
    if name.strip() and taken is not None:
        check.add("name", f"There is already an evaluation project called '{name.strip()}'.")
    check.raise_if_any()
    project = EvaluationProject(
        name=name.strip(),
        purpose=purpose.strip(),
        secret=secrets.token_hex(32),
        created_by=by.id,
    )
    session.add(project)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="evaluation_project",
        entity_id=project.id,
    )
    return _row(project)


def list_projects(session: Session, by: StaffRef) -> tuple[ProjectRow, ...]:
    require_role(by, *MAY_EXPORT, action="see the service evaluations")
    return tuple(
        _row(p) for p in session.scalars(select(EvaluationProject).order_by(EvaluationProject.id))
    )


def pseudonymiser(session: Session, by: StaffRef, name: str) -> Pseudonymiser:
    """The pseudonym maker of the project called ``name`` (refused plainly if unknown)."""
    require_role(by, *MAY_EXPORT, action="make a service-evaluation export")
    project = session.scalar(
        select(EvaluationProject).where(EvaluationProject.name == name.strip())
    )
    if project is None:
        raise NotFound(
            f"There is no evaluation project called '{name.strip()}'. Set it up first "
            "(clinic-app evaluation project add)."
        )
    return Pseudonymiser(_row(project), bytes.fromhex(project.secret))
