"""Every window and dialog, walked for keyboard and screen-reader use.

A screen fails when a control that takes the focus has no accessible name, when Tab does
not reach one of its inputs, when its palette's text is under 4.5:1, or (a dialog) when it
cannot be made small enough for a 1366x768 laptop; the checks are in
tests/gui/accessibility.py, and the last tests here show that they do fail.

One database (per module) and one running application (per signed-in user) serve the
whole walk, so it takes seconds, not a fresh start for each screen. Dialogs are found by
pressing the buttons (and menu entries) whose text ends in "…": each is checked while its
own event loop runs, then dismissed; a sharing wizard is checked at each of its steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.models.enums import Role
from clinic_app.services import clients
from clinic_app.services.common import StaffRef
from clinic_app.views.common.palette import accessible_palette, apply_accessible_palette
from clinic_app.views.common.runner import use_runner
from clinic_app.views.common.widgets import FRAME_ALLOWANCE
from clinic_app.views.shell.password import ChangePasswordDialog
from clinic_app.views.shell.signin import SignInDialog
from tests.gui.accessibility import low_contrast, problems
from tests.gui.conftest import ScriptedApp, outside
from tests.gui.whole_app import (
    ADMINISTRATOR,
    PSYCHOLOGIST,
    build_database,
    record_parts,
    start_app,
    stop_app,
    wait_for,
)

Found = dict[str, list[str]]
LAPTOP = QSize(1366, 728)  # a 1366x768 screen less the taskbar


def report(found: Found) -> str:
    return "\n".join(f"{where}:\n  " + "\n  ".join(lines) for where, lines in found.items())


def check(widget: QWidget, where: str, found: Found) -> None:
    if not widget.isVisible():
        widget.show()
    wait_for(widget.isVisible)
    QApplication.processEvents()
    if not shiboken6.isValid(widget):
        return  # closed by its own work meanwhile
    lines = problems(widget)
    if isinstance(widget, QDialog):  # the main window: tests/gui/test_screen_size.py
        smallest = widget.minimumSizeHint().expandedTo(widget.minimumSize()) + FRAME_ALLOWANCE
        if smallest.width() > LAPTOP.width() or smallest.height() > LAPTOP.height():
            lines.append(f"larger than a laptop's screen at its smallest: {smallest.toTuple()}")
    if lines:
        found.setdefault(where, []).extend(lines)


# -- one database, one application per user ---------------------------------------------------


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> tuple[Path, bytes]:
    return build_database(tmp_path_factory.mktemp("a11y"))


def _running(database: tuple[Path, bytes], user: tuple[str, str]) -> Iterator[ScriptedApp]:
    app = start_app(*database, user)
    yield app
    stop_app(app)


@pytest.fixture(scope="class")
def clinicians_app(qapp, database) -> Iterator[ScriptedApp]:
    yield from _running(database, PSYCHOLOGIST)


@pytest.fixture(scope="class")
def administrators_app(qapp, database) -> Iterator[ScriptedApp]:
    yield from _running(database, ADMINISTRATOR)


@pytest.fixture
def psychologist_app(clinicians_app) -> ScriptedApp:
    use_runner(clinicians_app.runner)  # the real runner, not the fakes' inline one
    return clinicians_app


@pytest.fixture
def admin_app(administrators_app) -> ScriptedApp:
    use_runner(administrators_app.runner)
    return administrators_app


# -- the dialogs behind buttons ----------------------------------------------------------------


class DialogWalker:
    """While active, checks every modal dialog that opens, then dismisses it.

    It runs on a timer inside the dialog's own event loop, so dialogs opened by Qt's own
    functions (a question, a file name) are dismissed too. A sharing wizard is checked
    on each of its steps.
    """

    def __init__(self, app: ScriptedApp, where: str, found: Found) -> None:
        self.app = app
        self.where = where
        self.found = found
        self.seen: list[str] = []
        self._busy = False
        self._checking: QWidget | None = None  # a dialog windows_shown is checking
        self._timer = QTimer()
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._tick)

    def __enter__(self) -> DialogWalker:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        if self._busy:
            return
        modal = QApplication.activeModalWidget()
        if modal is None or not shiboken6.isValid(modal) or not self.app.runner.idle:
            return
        if modal is self._checking:
            return
        self._busy = True
        try:
            title = modal.windowTitle() or type(modal).__name__
            self.seen.append(title)
            where = f"{self.where}: {title}"
            if not isinstance(modal, QFileDialog):  # Qt's own, not the app's
                stack = getattr(modal, "stack", None)
                if stack is not None and hasattr(modal, "steps"):
                    for index in range(stack.count()):
                        if not shiboken6.isValid(stack):
                            break
                        stack.setCurrentIndex(index)
                        check(modal, f"{where}, step {index + 1}", self.found)
                else:
                    check(modal, where, self.found)
        except Exception as error:
            self.found.setdefault(f"{self.where}: checking a dialog", []).append(repr(error))
        finally:
            if shiboken6.isValid(modal):
                if isinstance(modal, QDialog):
                    modal.reject()
                else:
                    modal.close()
            self._busy = False

    def press(self, screen: QWidget, done: set[int]) -> None:
        """Press every button of ``screen`` that opens a form ("…"), once each."""
        buttons = [
            b
            for b in screen.findChildren(QPushButton)
            if b.text().endswith("…") and b.isVisibleTo(screen) and id(b) not in done
        ]
        for button in buttons:
            if shiboken6.isValid(button) and button.isEnabled():
                done.add(id(button))  # a button not yet enabled is pressed when it is
                button.click()
                wait_for(lambda: self.app.runner.idle)
                QApplication.processEvents()
                self.windows_shown()

    def windows_shown(self) -> None:
        """Check and close the windows a button showed without waiting for them."""
        main = self.app.window
        for widget in QApplication.topLevelWidgets():
            # checking one window runs events, which may delete another of the list
            if not shiboken6.isValid(widget) or widget is main:
                continue
            if not isinstance(widget, QDialog) or not widget.isVisible():
                continue
            title = widget.windowTitle() or type(widget).__name__
            self.seen.append(title)
            # The timer must not check (and dismiss) this dialog while it is checked here;
            # another that opens meanwhile it still checks and dismisses.
            self._checking = widget
            try:
                check(widget, f"{self.where}: {title}", self.found)
            finally:
                self._checking = None
            if shiboken6.isValid(widget):
                widget.close()

    def trigger(self, actions: list[QAction]) -> None:
        for action in actions:
            action.trigger()
            wait_for(lambda: self.app.runner.idle)
            QApplication.processEvents()
            self.windows_shown()


# -- the walk ----------------------------------------------------------------------------------


def test_the_sign_in_lock_and_password_windows(qtbot, tmp_path):
    apply_accessible_palette(QApplication.instance())  # as the application does at start
    me = StaffRef(2, "dr.jones", "Dr Jones", Role.PSYCHOLOGIST)
    found: Found = {}
    database = str(tmp_path / "clinic.db")
    for where, dialog in (
        ("sign in", SignInDialog(lambda u, p: me, database=database)),
        ("lock", SignInDialog(lambda u, p: me, database=database, locked_user=me)),
        ("change password", ChangePasswordDialog(lambda c, n: None, required=True)),
    ):
        qtbot.addWidget(dialog)
        check(dialog, where, found)
    assert not found, report(found)


def test_the_first_run_setup_every_page(qtbot):
    from clinic_app.views.shell.setup_wizard import SetupWizard
    from tests.gui.shell.test_setup_wizard import FakeSetup

    apply_accessible_palette(QApplication.instance())
    wizard = SetupWizard(FakeSetup().actions())
    qtbot.addWidget(wizard)
    found: Found = {}
    for page in wizard.pageIds():
        wizard.setStartId(page)  # each page shown as the first, to walk it
        wizard.restart()
        check(wizard, f"setup, page {page}: {wizard.currentPage().title()}", found)
    assert len(wizard.pageIds()) > 3
    assert not found, report(found)


class TestAPsychologistsScreens:
    def test_the_main_screens_and_their_dialogs(self, psychologist_app):
        app = psychologist_app
        window = app.window
        found: Found = {}
        done: set[int] = set()
        with DialogWalker(app, "main window", found) as walker:
            for index in range(window.tabs.count()):
                window.tabs.setCurrentIndex(index)
                wait_for(lambda: app.runner.idle)
                where = f"main window, {window.tabs.tabText(index)}"
                check(window, where, found)
                walker.where = where
                walker.press(window.tabs.widget(index), done)
                table = getattr(window.tabs.widget(index), "table", None)
                if table is not None and table.model() is not None and table.model().rowCount():
                    table.selectRow(0)  # the buttons about a selected row
                    wait_for(lambda: app.runner.idle)
                    check(window, f"{where}, a row selected", found)
                    walker.press(window.tabs.widget(index), done)
            walker.where = "main window, menus"
            walker.trigger([a for a in window.actions() if a.text().endswith("…")])
        assert walker.seen, "no dialog was opened"
        assert not found, report(found)

    def test_a_client_record_every_tab_and_the_dialogs_behind_its_buttons(self, psychologist_app):
        app = psychologist_app
        window = app.window
        client_id = outside(app).call(clients.caseload)[0].client.id
        view = window.open_client(client_id)
        assert view is not None
        wait_for(lambda: app.runner.idle and view.is_open)
        found: Found = {}
        done: set[int] = set()
        with DialogWalker(app, "record", found) as walker:
            for title in record_parts(view):
                part = view.show_tab(title)
                wait_for(lambda: app.runner.idle)
                where = f"record, {title}"
                check(window, where, found)
                walker.where = where
                walker.press(view, done)
                table = getattr(part, "table", None)
                if table is not None and table.model() is not None and table.model().rowCount():
                    table.selectRow(0)  # the buttons about a selected row, and its details
                    wait_for(lambda: app.runner.idle)
                    check(window, f"{where}, a row selected", found)
                    walker.press(view, done)
            sessions = view.show_tab("Sessions")
            sessions.new_button.click()
            wait_for(lambda: app.runner.idle)
            walker.where = "record, Sessions, a new note"
            check(window, walker.where, found)
            walker.press(view, done)
        assert len(walker.seen) >= len(record_parts(view)), walker.seen
        assert not found, report(found)


class TestAnAdministratorsScreens:
    def test_administration_and_its_dialogs(self, admin_app):
        app = admin_app
        home = app.window.home
        found: Found = {}
        done: set[int] = set()
        with DialogWalker(app, "administration", found) as walker:
            for index in range(app.window.tabs.count()):
                app.window.tabs.setCurrentIndex(index)
                wait_for(lambda: app.runner.idle)
                check(app.window, f"main window, {app.window.tabs.tabText(index)}", found)
            app.window.tabs.setCurrentWidget(home)
            for index in range(home.tabs.count()):
                home.tabs.setCurrentIndex(index)
                home.accounts.table.selectRow(1)
                wait_for(lambda: app.runner.idle)
                where = f"administration, {home.tabs.tabText(index)}"
                check(app.window, where, found)
                walker.where = where
                walker.press(home.tabs.widget(index), done)
        assert walker.seen, "no dialog was opened"
        assert not found, report(found)


# -- the checks can fail -----------------------------------------------------------------------


def test_an_unnamed_control_is_found(qtbot):
    screen = QWidget()
    layout = QVBoxLayout(screen)
    named = QLineEdit()
    named.setAccessibleName("Named")
    layout.addWidget(named)
    layout.addWidget(QLineEdit())
    screen.setPalette(accessible_palette(screen.palette()))
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    assert problems(screen) == ["no accessible name: QLineEdit < QWidget"]


def test_a_list_named_only_by_its_value_is_found(qtbot):
    screen = QWidget()
    layout = QVBoxLayout(screen)
    unnamed = QComboBox()
    unnamed.addItems(["Telephone", "Video"])
    layout.addWidget(unnamed)
    labelled = QComboBox()
    labelled.addItems(["Telephone", "Video"])
    label = QLabel("&Modality")
    label.setBuddy(labelled)
    layout.addWidget(label)
    layout.addWidget(labelled)
    screen.setPalette(accessible_palette(screen.palette()))
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    assert problems(screen) == ["no accessible name: QComboBox < QWidget"]


def test_a_text_box_that_takes_tab_as_a_character_is_found(qtbot):
    screen = QWidget()
    layout = QVBoxLayout(screen)
    for name in ("Before", "Notes", "After"):
        box = QPlainTextEdit() if name == "Notes" else QLineEdit()
        box.setAccessibleName(name)
        layout.addWidget(box)
    screen.setPalette(accessible_palette(screen.palette()))
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    assert problems(screen) == ["Tab never reaches: QLineEdit[After] < QWidget"]


def test_a_low_contrast_palette_is_found():
    grey = QPalette(QApplication.palette())
    grey.setColor(QPalette.ColorRole.Text, QColor("#999999"))
    grey.setColor(QPalette.ColorRole.Base, QColor("#bbbbbb"))
    assert any(line.startswith("text on an input") for line in low_contrast(grey))


def test_the_application_sets_a_readable_palette_at_start(tmp_path):
    from clinic_app.app import ClinicApp

    qt = QApplication.instance()
    assert isinstance(qt, QApplication)
    before = qt.palette()
    qt.setPalette(qt.style().standardPalette())
    assert low_contrast(qt.palette())  # Fusion's own selection is 3.69:1
    try:
        app = ClinicApp(tmp_path / "clinic.db")
        app.runner.stop()
        assert low_contrast(qt.palette()) == []
    finally:
        qt.setPalette(before)


def test_a_dark_palette_is_made_readable_and_stays_dark():
    dark = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202020"),
        (QPalette.ColorRole.WindowText, "#5a5a5a"),
        (QPalette.ColorRole.Base, "#181818"),
        (QPalette.ColorRole.AlternateBase, "#262626"),
        (QPalette.ColorRole.Text, "#e0e0e0"),
        (QPalette.ColorRole.PlaceholderText, "#808080"),
        (QPalette.ColorRole.Button, "#303030"),
        (QPalette.ColorRole.ButtonText, "#e0e0e0"),
        (QPalette.ColorRole.Highlight, "#7fb2ff"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.ToolTipBase, "#303030"),
        (QPalette.ColorRole.ToolTipText, "#e0e0e0"),
    ):
        dark.setColor(role, QColor(colour))
    assert {line.split(":")[0] for line in low_contrast(dark)} >= {
        "text on a window",
        "selected text",
    }
    fixed = accessible_palette(dark)
    assert low_contrast(fixed) == []
    assert fixed.color(QPalette.ColorRole.Text) == QColor("#e0e0e0")  # readable: kept
    assert fixed.color(QPalette.ColorRole.WindowText).lightness() > 128  # lighter, not black
    assert fixed.color(QPalette.ColorRole.Window) == QColor("#202020")
    assert fixed.color(QPalette.ColorRole.HighlightedText) == QColor("#ffffff")
    assert fixed.color(QPalette.ColorRole.Highlight).lightness() < QColor("#7fb2ff").lightness()
