"""Noticing when the workstation is left idle, so the screen can lock itself."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QTouchEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

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
    """The idle watcher and the lock keys as one filter on the QApplication.

    Every event in the application passes through an application filter, and each filter
    written in Python costs a call into Python for each (thousands when a record opens):
    one filter for both costs half of two. Ctrl+L is looked at first, as when the lock
    keys' filter was installed after the idle watcher's.
    """

    def __init__(self, idle: IdleWatcher, lock_key: LockKey, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._idle = idle
        self._lock_key = lock_key

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(event, _INPUT):
            return False
        if self._lock_key.eventFilter(watched, event):
            return True
        return self._idle.eventFilter(watched, event)
