"""The signed-in user's bridge to the services: one unit of work per call.

Views never hold a database session. They are handed small callables made from a
``Workspace`` (``partial(workspace.call, clients.caseload)``), each of which opens a
unit of work, runs one use case as the signed-in user, commits, and returns plain
frozen dataclasses. A GUI test hands views fakes instead and needs no database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from clinic_app.errors import AuthError, ConflictError, DatabaseLocked
from clinic_app.services.common import StaffRef
from clinic_app.storage.engine import Database
from clinic_app.storage.site import SiteDatabase

P = ParamSpec("P")

# A use case begins as a reader (deferred), so that reading never waits for a writer.
# When another program (the command line, a second window) wrote meanwhile, SQLite
# refuses a unit of work that has already read at once, "database is locked", without
# waiting: waiting could deadlock. The refused unit of work wrote nothing, so it is run
# again, now as a writer that takes the write lock first and waits its turn (up to the
# storage's busy timeout), with growing pauses, for up to LOCK_PATIENCE seconds in all.
LOCK_PATIENCE = 3.0
FIRST_PAUSE = 0.02
LONGEST_PAUSE = 0.4
R = TypeVar("R")

log = logging.getLogger(__name__)


class CalledOnGuiThread(RuntimeError):
    """A use case was run on the GUI thread: a view bypassed the background runner."""


class Workspace:
    """A database and the member of staff signed in to it."""

    def __init__(
        self,
        database: Database | SiteDatabase,
        me: StaffRef,
        *,
        gui_thread: threading.Thread | None = None,
        strict: bool = False,
    ) -> None:
        """``gui_thread``: the thread that must never wait on the database. A use case
        called on it is logged as a defect, or refused with ``strict`` (the test runs)."""
        self.database = database
        self.me = me
        self.gui_thread = gui_thread
        self.strict = strict

    def call(
        self,
        use_case: Callable[Concatenate[Session, StaffRef, P], R],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """Run one use case as the signed-in user; commit on success, roll back on error.

        A wrong password is the one error that is kept: services check passwords before
        changing anything else, and the failed attempt must count towards lockout.
        """
        if self.gui_thread is not None and threading.current_thread() is self.gui_thread:
            name = getattr(use_case, "__name__", "use case")
            if self.strict:
                raise CalledOnGuiThread(f"{name} was called on the GUI thread")
            log.error("%s was called on the GUI thread", name)
        started = time.monotonic()
        pause = FIRST_PAUSE
        writer = False
        while True:
            with self.database.writing() if writer else self.database.session() as session:
                try:
                    result = use_case(session, self.me, *args, **kwargs)
                    session.commit()
                except AuthError:
                    session.commit()
                    raise
                except StaleDataError as stale:
                    # The row's version moved on between reading and writing (the services
                    # read rows locked, so only a path that did not is left to this guard).
                    session.rollback()
                    raise ConflictError(
                        "Someone else saved this record at the same moment. Nothing of "
                        "yours was saved; open it again and make your change."
                    ) from stale
                except DatabaseLocked:
                    session.rollback()
                    # Nothing of this unit of work was written: run it again, on fresh
                    # data, until the other program lets go or patience runs out.
                    if time.monotonic() - started + pause > LOCK_PATIENCE:
                        raise
                    writer = True
                except BaseException:
                    session.rollback()
                    raise
                else:
                    return result
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    def bind(self, use_case: Callable[Concatenate[Session, StaffRef, P], R]) -> Callable[P, R]:
        """A callable running ``use_case`` as the signed-in user, for a view's constructor."""

        def bound(*args: P.args, **kwargs: P.kwargs) -> R:
            return self.call(use_case, *args, **kwargs)

        bound.__name__ = getattr(use_case, "__name__", "use_case")
        return bound
