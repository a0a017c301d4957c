"""Noticing when the workstation is left idle, so the screen can lock itself."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QMouseEvent, QTouchEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

# The classes of the events below. Every event a window receives passes through these
# filters, so the class is checked first: a test in C, where asking an event its type
# makes a Python enum member each time.
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

    Install it as an event filter where input arrives (the application does so through
    :class:`InputWatch`, on each top-level window).

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
    keyboard, so this filter, on the dialog's window (through :class:`InputWatch`),
    notices the keys then.

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
    """The idle watcher and the lock keys as one filter on each top-level window.

    Keyboard, mouse and touch input reaches a window before any widget inside it, so the
    windows are enough. A filter on the QApplication would be called for every event of
    every widget (about 2,400 when a record opens, each a call into Python: about 5 ms of
    the 43 the opening takes), and while the runner's thread holds the interpreter each of
    those calls waits for it. Ctrl+L is looked at first, then the idle watcher.
    """

    def __init__(self, idle: IdleWatcher, lock_key: LockKey, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._idle = idle
        self._lock_key = lock_key
        self._watching = False

    def watch(self, app: QGuiApplication) -> None:
        """Watch the input of every top-level window: those open now, and again whenever a
        window takes the keyboard (a dialog as it opens, a main window rebuilt after the
        lock). Installing the filter on a window again only moves it to the front."""
        if not self._watching:
            self._watching = True
            app.focusWindowChanged.connect(self._watch_windows)
        self._watch_windows()

    def _watch_windows(self, *_focus: object) -> None:
        for window in QGuiApplication.topLevelWindows():
            window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(event, _INPUT):
            return False
        if self._lock_key.eventFilter(watched, event):
            return True
        return self._idle.eventFilter(watched, event)
