"""Take PySide6's ``__feature__`` hook out of ``import`` once Qt is loaded.

When PySide6 is imported it replaces ``builtins.__import__`` with a hook for its opt-in
``from __feature__ import snake_case, true_property`` syntax. After every import in the
process the hook asks whether the new module mentions PySide6, by reading the module's
whole source through :mod:`inspect`, which keeps every line of it in :mod:`linecache`.
For this application that is the source of SQLAlchemy and of every module of its own
imported after Qt: measured, about 15 MB held for SQLAlchemy alone and a quarter more
time to import it (in the sign-in window's process, before Home).

The application does not use ``__feature__`` (a test keeps it so), so the hook has
nothing to do here. The hook hands each import on to ``builtins.__orig_import__``, which
PySide6 sets and looks up itself: in PySide6 6.11 that is its own lazy-loading import
(which lets ``from PySide6.QtGui import *`` work while Qt's classes are made on first use),
wrapping Python's. That one is what is put back, so imports go through everything PySide6
needs except the source reading. Nothing is changed if something else has replaced the
import since.
"""

from __future__ import annotations

import builtins

import PySide6.QtCore  # noqa: F401  (the hook is in place once Qt is imported)


def restore_plain_import() -> bool:
    """Put back the import PySide6's hook wraps, if its hook is the one installed; True if
    it was."""
    plain = getattr(builtins, "__orig_import__", None)
    hook = getattr(builtins, "__feature_import__", None)
    if plain is None or hook is None or builtins.__import__ is not hook:
        return False
    builtins.__import__ = plain
    return True
