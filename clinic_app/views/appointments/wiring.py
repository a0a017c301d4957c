"""Putting the diary into the main window, with its use cases bound to the signed-in user.

Imported by ``clinic_app.app`` only once a clinician has signed in (like the menus in
``clinic_app.views.shell.menus``), so signing in does not wait for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QTabBar

from clinic_app.views.appointments.actions import DiaryActions
from clinic_app.views.appointments.view import DiaryView

if TYPE_CHECKING:
    from clinic_app.services.workspace import Workspace
    from clinic_app.views.shell.main_window import MainWindow

DIARY_SHORTCUT = "Ctrl+2"


def diary_actions(workspace: Workspace, window: MainWindow) -> DiaryActions:
    from clinic_app.services import appointments  # noqa: PLC0415

    def open_client(client_id: int, tab: str, item_id: int | None) -> None:
        window.open_at(client_id, tab, item_id)

    return DiaryActions(
        me_id=workspace.me.id,
        diary=workspace.bind(appointments.diary),
        booking_choices=workspace.bind(appointments.booking_choices),
        book=workspace.bind(appointments.book),
        move=workspace.bind(appointments.move),
        cancel=workspace.bind(appointments.cancel),
        mark_attended=workspace.bind(appointments.mark_attended),
        mark_did_not_attend=workspace.bind(appointments.mark_did_not_attend),
        diary_ics=workspace.bind(appointments.diary_ics),
        start_note=workspace.bind(appointments.start_note_from),
        open_client=open_client,
    )


def add_diary_tab(window: MainWindow, workspace: Workspace) -> DiaryView:
    """A "Diary" tab after Home (it cannot be closed), shown with Ctrl+2."""
    diary = DiaryView(diary_actions(workspace, window))
    index = 1 if window.home is not None else 0
    window.tabs.insertTab(index, diary, "Diary")
    window.tabs.setTabToolTip(index, f"Diary: appointments by day or week ({DIARY_SHORTCUT})")
    window.tabs.tabBar().setTabButton(index, QTabBar.ButtonPosition.RightSide, None)
    action = QAction("&Diary", window)
    action.setShortcut(QKeySequence(DIARY_SHORTCUT))

    def show_diary() -> None:  # the keyboard goes to the appointments, ready for Alt+W
        window.tabs.setCurrentWidget(diary)
        diary.focus_appointments()

    action.triggered.connect(show_diary)
    window.addAction(action)
    for menu in window.menuBar().findChildren(QMenu):
        if menu.title() == "&View":
            menu.addAction(action)
    return diary
