"""Noticing when the workstation is left idle, so the screen can lock itself."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFocusEvent,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QTouchEvent,
    QWheelEvent,
    QWindow,
)
from PySide6.QtWidgets import QApplication, QWidget

# The classes of the events below. Every event in the application passes through these
# filters (thousands when a record opens), so the class is checked first: a test in C,
# where asking an event its type makes a Python enum member each time.
_INPUT = (QKeyEvent, QMouseEvent, QWheelEvent, QTouchEvent)

# Events that show someone is at the keyboard.
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleWatcher(QObject):
    """Emits ``idle`` after a period with no keyboard, mouse or touch input.

    Install it on the QApplication with ``app.installEventFilter(watcher)``.

    Signals:
        idle(): no input for the configured period.
    """

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self.set_minutes(minutes)

    def set_minutes(self, minutes: float) -> None:
        self._timer.setInterval(max(1, int(minutes * 60_000)))
        self._timer.start()

    def pause(self) -> None:
        """Stop counting (while the screen is already locked)."""
        self._timer.stop()

    def resume(self) -> None:
        self._timer.start()

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, _INPUT) and event.type() in _ACTIVITY and self._timer.isActive():
            self._timer.start()
        return False


LOCK_KEYS = QKeyCombination(Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_L)


class LockKey(QObject):
    """Ctrl+L locks the screen even while a dialog is open.

    The main window's own shortcut does not reach it while a modal dialog has the
    keyboard, so this filter, installed on the QApplication, notices the keys then.

    Signals:
        pressed(): Ctrl+L was pressed while a modal dialog was open.
    """

    pressed = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.keyCombination() == LOCK_KEYS
            and QApplication.activeModalWidget() is not None
        ):
            self.pressed.emit()
            return True
        return False


class InputWatch(QObject):
    """The idle watcher and the lock keys as one filter: on the main window, and on the
    whole application while another of its windows is active.

    Keyboard, mouse and touch input reaches a window before any widget in it, so while the
    main window is active its window is enough. A filter on the QApplication is called for
    every event of every widget (about 2,400 when a record opens, each a call into Python:
    about 5 ms of the 40 the opening takes), so it is installed only while another window
    of the application has the keyboard (a dialog, where Ctrl+L must still lock) and taken
    away when the main window has it again. Ctrl+L is looked at first, then the idle
    watcher.
    """

    def __init__(self, idle: IdleWatcher, lock_key: LockKey, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._idle = idle
        self._lock_key = lock_key
        self._main: QWindow | None = None
        self._everywhere = False

    def watch(self, main: QWidget) -> None:
        """Watch the input of ``main`` (the main window, shown), and of every window while
        ``main`` is not the active one. Watching a new main window replaces the old."""
        handle = main.windowHandle()
        if handle is None:  # not shown: watch everything, as before it is
            self._watch_everywhere(True)
            return
        old = self._main
        if old is not None and old is not handle and shiboken6.isValid(old):
            old.removeEventFilter(self)
        self._main = handle
        handle.installEventFilter(self)
        self._watch_everywhere(QGuiApplication.focusWindow() is not handle)

    def _watch_everywhere(self, everywhere: bool) -> None:
        app = QGuiApplication.instance()
        if app is None or everywhere == self._everywhere:
            return
        self._everywhere = everywhere
        if everywhere:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QFocusEvent):
            if watched is self._main:  # the main window gained or lost the keyboard
                self._watch_everywhere(event.type() != QEvent.Type.FocusIn)
            return False
        if not isinstance(event, _INPUT):
            return False
        if self._lock_key.eventFilter(watched, event):
            return True
        return self._idle.eventFilter(watched, event)
