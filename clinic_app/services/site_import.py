"""Moving a workstation database into a site: everything, in one transaction.

A service that started on one workstation and grows into a team site brings its record
with it. :func:`import_workstation` copies every client and everything recorded about
them (plans, notes with their signatures and addenda, measures, risk events, referrals,
appointments, the disclosure register, subject access requests, drafts) from an open
workstation database into a site, on the site owner's connection, all or nothing.

- **Refused, with the list**, when a client's case reference or NHS number is already at
  the site (compared as the databases compare them: case and spaces aside), or an
  evaluation project of the same name exists; and when the workstation's own audit trail
  does not verify (a damaged trail is not carried into a shared one). Nothing is written.
- **Staff** are matched by account name. Someone with no account at the site is added as
  a *disabled* account, so that what they wrote and signed keeps their name; they cannot
  sign in (a site sign-in is a PostgreSQL login role, which only ``user add`` creates).
- **Shared lists** are matched, not duplicated: a specialist service by its name, a
  measure definition by its measure and version. The workstation's settings and partner
  audience policies are not copied: the site has its own.
- **Signatures** survive as they are: a note's seal covers its content and the account
  names of author and signer, never a row number, so it verifies at the site unchanged.
- **The audit trail**: the workstation's events are appended to the site's chain in their
  order, with their own times and actors and the row numbers they name translated to the
  site's, followed by one event recording the import, the workstation's chain end (its
  last position and hash, checked before the copy) and where its events now start. The
  site's chain verifies afterwards, and the workstation file (kept, not changed) still
  verifies against the hash recorded in that event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, RowMapping, Table, insert, select
from sqlalchemy.orm import Session

from clinic_app.models import AuditEvent, Base, Client, EvaluationProject
from clinic_app.models.base import utcnow
from clinic_app.models.enums import Role
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef
from clinic_app.services.site import SiteError
from clinic_app.wording import counted

AUDIT_TABLE: Final = "audit_event"

NOT_COPIED: Final[Mapping[str, str]] = {
    "app_setting": "the site keeps its own settings",
    "audience_profile": "the site keeps its own partner audience policies",
}
"""Tables left behind, with why."""

MATCHED: Final[Mapping[str, tuple[str, ...]]] = {
    "staff_user": ("username",),
    "specialist_service": ("name",),
    "measure_definition": ("measure_id", "version"),
}
"""Tables whose rows the site may already hold, matched by these columns (a row found is
used; a row not found is added)."""

UNUSABLE_PASSWORD: Final = "!"  # noqa: S105 - never a hash of anything: no sign-in with it
"""The password hash of an account added for the history only (never matches)."""

SHOWN: Final = 20
"""How many clashing clients a refusal lists by name before saying how many more."""


class SiteImportRefused(SiteError):
    """The workstation database cannot be moved into this site as it stands."""


@dataclass(frozen=True)
class SiteImported:
    """What an import copied."""

    clients: int
    rows: int
    """Rows added at the site, audit events and matched rows not counted."""
    audit_events: int
    first_event: int
    """The site chain position where the workstation's first event now stands."""
    staff_matched: tuple[str, ...]
    staff_added: tuple[str, ...]
    """Accounts added, disabled, so that what they recorded keeps their name."""
    source_chain_end: tuple[int, str]
    """The workstation's last audit event (position, hash), checked before the copy."""


def _fold_ref(text: str) -> str:
    return text.replace(" ", "").lower()


def _fold_nhs(text: str | None) -> str:
    return (text or "").replace(" ", "").replace("-", "")


def _listed(lines: Sequence[str]) -> str:
    shown = "; ".join(lines[:SHOWN])
    more = len(lines) - SHOWN
    return shown + (f"; and {counted(more, 'more client')}" if more > 0 else "")


def _check_clients(source: Connection, target: Connection) -> None:
    there = target.execute(select(Client.local_ref, Client.nhs_number)).all()
    refs = {_fold_ref(r) for r, _ in there}
    numbers = {_fold_nhs(n) for _, n in there if n}
    clashes: list[str] = []
    for ref, number in source.execute(
        select(Client.local_ref, Client.nhs_number).order_by(Client.local_ref)
    ):
        if _fold_ref(ref) in refs:
            clashes.append(f"{ref} (case reference already used at the site)")
        elif number and _fold_nhs(number) in numbers:
            clashes.append(f"{ref} (NHS number already recorded at the site)")
    if clashes:
        raise SiteImportRefused(
            f"{counted(len(clashes), 'client')} of this database "
            f"{'is' if len(clashes) == 1 else 'are'} already at the site, so nothing has "
            f"been imported: {_listed(clashes)}. Check whether they are the same people; "
            "a client's record can be moved on its own with 'clinic-app export' and "
            "'clinic-app import'."
        )
    names = set(target.scalars(select(EvaluationProject.name)))
    same = sorted(n for n in source.scalars(select(EvaluationProject.name)) if n in names)
    if same:
        raise SiteImportRefused(
            "The site already has an evaluation project named "
            f"{', '.join(repr(n) for n in same)}, so nothing has been imported. Rename one "
            "of them first."
        )


def _check_trail(source: Session) -> tuple[int, str]:
    report = audit.verify(source)
    if not report.ok:
        first = report.findings[0]
        raise SiteImportRefused(
            "This database's audit trail does not verify "
            f"({counted(len(report.findings), 'problem')}; the first: {first}), so it is "
            "not moved into a shared record. Run 'clinic-app audit verify' on it and keep "
            "the file for investigation."
        )
    end = audit.chain_end(source)
    return end.last_seq, end.last_hash


class _Copy:
    """One import under way: the source rows read, the site rows written, the id maps."""

    def __init__(self, source: Connection, target: Connection) -> None:
        self.source = source
        self.target = target
        self.ids: dict[str, dict[int, int]] = {}
        self.rows = 0
        self.staff_matched: list[str] = []
        self.staff_added: list[str] = []

    def _mapped(self, table: Table, row: RowMapping) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for column in table.columns:
            if column.primary_key and column.name == "id":
                continue
            value = row[column.name]
            for fk in column.foreign_keys:
                if value is not None:
                    value = self.ids[fk.column.table.name][value]
            values[column.name] = value
        return values

    def _insert(self, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        made = [r[0] for r in self.target.execute(statement, list(rows))]
        self.rows += len(made)
        return made

    def table(self, table: Table) -> None:
        found = self.source.execute(select(table).order_by(table.c.id)).mappings().all()
        ids = self.ids.setdefault(table.name, {})
        if table.name in MATCHED:
            self._match(table, found, ids)
            return
        new_ids = self._insert(table, [self._mapped(table, row) for row in found])
        ids.update(zip((row["id"] for row in found), new_ids, strict=True))

    def _match(self, table: Table, found: Sequence[RowMapping], ids: dict[int, int]) -> None:
        keys = MATCHED[table.name]
        key_columns = [table.c[k] for k in keys]
        there = {tuple(r[1:]): r[0] for r in self.target.execute(select(table.c.id, *key_columns))}
        missing = []
        for row in found:
            match = there.get(tuple(row[k] for k in keys))
            if match is not None:
                ids[row["id"]] = match
                if table.name == "staff_user":
                    self.staff_matched.append(row["username"])
            else:
                missing.append(row)
        values = [self._mapped(table, row) for row in missing]
        if table.name == "staff_user":
            for row, value in zip(missing, values, strict=True):
                value["password_hash"] = UNUSABLE_PASSWORD
                value["failed_attempts"] = 0
                value["locked_until"] = None
                value["disabled_at"] = row["disabled_at"] or utcnow()
                self.staff_added.append(row["username"])
        ids.update(zip((r["id"] for r in missing), self._insert(table, values), strict=True))

    def trail(self, site: Session) -> tuple[int, int]:
        """Append the workstation's events to the site's chain; (first position, count)."""
        first, count = 0, 0
        staff = self.ids["staff_user"]
        clients = self.ids["client"]
        for event in self.source.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq)):
            entity_ids = self.ids.get(event.entity)
            entity_id = event.entity_id
            if entity_id is not None and entity_ids is not None:
                entity_id = entity_ids.get(entity_id, entity_id)
            seq = audit.append(
                site,
                event.action,
                occurred_at=event.occurred_at,
                actor_id=None if event.actor_id is None else staff[event.actor_id],
                entity=event.entity,
                entity_id=entity_id,
                client_id=None if event.client_id is None else clients.get(event.client_id),
                detail=event.detail,
            )
            first = first or seq
            count += 1
        return first, count


def _tables() -> Iterable[Table]:
    for table in Base.metadata.sorted_tables:
        if table.name not in NOT_COPIED and table.name != AUDIT_TABLE:
            yield table


def import_workstation(
    source: Session,
    by: StaffRef,
    site: Session,
    *,
    source_name: str,
) -> SiteImported:
    """Copy the whole workstation database open in ``source`` into the site open in
    ``site`` (the owner's connection), in the site's unit of work: the caller commits it,
    or nothing is written. ``by`` is the workstation administrator who signed in for it;
    ``source_name`` names the file in the site's audit trail.
    """
    require_role(by, Role.ADMINISTRATOR, action="move this database into a site")
    source_conn, target_conn = source.connection(), site.connection()
    if target_conn.dialect.name != "postgresql":
        raise SiteImportRefused("A site is a PostgreSQL database; this connection is not one.")
    end = _check_trail(source)
    _check_clients(source_conn, target_conn)
    copy = _Copy(source_conn, target_conn)
    for table in _tables():
        copy.table(table)
    first, count = copy.trail(site)
    clients = len(copy.ids["client"])
    audit.append(
        site,
        audit.Action.IMPORT.value,
        occurred_at=utcnow(),
        actor_id=copy.ids["staff_user"][by.id],
        entity="workstation_database",
        detail={
            "source": source_name,
            "clients": clients,
            "rows": copy.rows,
            "events": count,
            "first_event": first,
            "source_last_event": end[0],
            "source_last_hash": end[1],
            "staff_added": sorted(copy.staff_added),
        },
    )
    site.flush()
    return SiteImported(
        clients,
        copy.rows,
        count,
        first,
        tuple(sorted(copy.staff_matched)),
        tuple(sorted(copy.staff_added)),
        end,
    )


def record_moved(source: Session, by: StaffRef, *, database: str, host: str) -> None:
    """Note in the workstation's own trail that its record was copied into a site."""
    audit.record(
        source,
        audit.Action.EXPORT,
        actor_id=by.id,
        entity="site",
        detail={"database": database, "host": host},
    )
