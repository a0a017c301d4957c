"""Committed changes, counted per table: how a screen knows that what it shows may be stale.

Every unit of work that commits a change to a table moves that table's count on by one.
A screen that shows a summary (the dashboard) remembers the counts of the tables it read
when it loaded, and reloads only when one of them has moved, instead of on every visit.

Counted in this process, after the commit (a unit of work rolled back counts nothing):
rows added, changed or deleted through the ORM, and INSERT, UPDATE and DELETE statements
run through a session. The audit trail and its head (written when a record is merely
opened) do not count: they change what happened, not what needs doing. Another program
writing to the same file is not seen here; refreshing by hand (F5) covers that.

At a site, changes committed by other workstations arrive as notices (``services.live``),
which count here too (:func:`changed_elsewhere`), so the same screens reload.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

_WRITTEN = "clinic_app.services.changes.written"
NOT_COUNTED = frozenset({"audit_event", "app_setting"})
"""The audit trail and its head: every opening of a record writes them."""

_lock = threading.Lock()
_committed: Counter[str] = Counter()


def generation(tables: Iterable[str]) -> int:
    """How many committed units of work have changed any of ``tables`` in this process."""
    with _lock:
        return sum(_committed[table] for table in tables)


def changed_elsewhere(tables: Iterable[str]) -> None:
    """Count a change to ``tables`` committed by someone else (a site's notice)."""
    with _lock:
        _committed.update(set(tables))


def _note(session: Session, table: str | None) -> None:
    if table is not None and table not in NOT_COUNTED:
        session.info.setdefault(_WRITTEN, set()).add(table)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    # Still the state before the flush here: what it added, changed and deleted.
    for instance in chain(session.new, session.dirty, session.deleted):
        _note(session, getattr(type(instance), "__tablename__", None))


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _note(state.session, getattr(table, "name", None))


@event.listens_for(Session, "after_commit")
def _committed_now(session: Session) -> None:
    written: set[str] | None = session.info.pop(_WRITTEN, None)
    if written:
        with _lock:
            _committed.update(written)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
