"""Forms open when the screen locks come back, with their text, to the same user only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
)

from clinic_app.services import clients, form_drafts, staff
from clinic_app.views.common.form_drafts import input_state, restore_input_state
from clinic_app.views.plan.tab import PlanTab
from clinic_app.views.record.window import ClientRecordView
from clinic_app.views.risk import tab as risk_view
from clinic_app.views.risk.tab import RiskTab
from tests.conftest import STAFF_PASSWORD
from tests.gui.conftest import outside, settle, visible_texts
from tests.gui.record.opening import open_record, show_part

FORMULATION = "Canary-41d9 formulation typed but not saved"
GOAL = "Canary-41d9 partner wording of a new goal"


def _named(widget, name):
    widget.setAccessibleName(name)
    return widget


def _form(qtbot) -> QDialog:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    layout = QVBoxLayout(dialog)
    layout.addWidget(_named(QLineEdit(), "Reason"))
    password = _named(QLineEdit(), "Password")
    password.setEchoMode(QLineEdit.EchoMode.Password)
    layout.addWidget(password)
    layout.addWidget(_named(QPlainTextEdit(), "Detail"))
    combo = _named(QComboBox(), "Kind")
    combo.addItems(["Routine", "Soon", "Urgent"])
    layout.addWidget(combo)
    layout.addWidget(_named(QCheckBox("Told"), "Client told"))
    layout.addWidget(_named(QSpinBox(), "Minutes"))
    layout.addWidget(_named(QDateEdit(), "Date"))
    return dialog


def test_a_forms_controls_are_read_and_put_back_but_never_a_password(qtbot):
    first = _form(qtbot)
    first.findChild(QLineEdit).setText("a reason")
    first.findChildren(QLineEdit)[1].setText("secret password")
    first.findChild(QPlainTextEdit).setPlainText("line one\nline two")
    first.findChild(QComboBox).setCurrentIndex(2)
    first.findChild(QCheckBox).setChecked(True)
    first.findChild(QSpinBox).setValue(50)
    first.findChild(QDateEdit).setDate(QDate(2026, 3, 4))
    state = input_state(first)
    assert "secret password" not in repr(state)

    second = _form(qtbot)
    restore_input_state(second, state)
    assert second.findChild(QLineEdit).text() == "a reason"
    assert second.findChildren(QLineEdit)[1].text() == ""
    assert second.findChild(QPlainTextEdit).toPlainText() == "line one\nline two"
    assert second.findChild(QComboBox).currentText() == "Urgent"
    assert second.findChild(QCheckBox).isChecked()
    assert second.findChild(QSpinBox).value() == 50
    assert second.findChild(QDateEdit).date() == QDate(2026, 3, 4)


def _open_plan_editor(qtbot, app) -> PlanTab:
    client_id = outside(app).call(clients.caseload)[0].client.id
    view = open_record(qtbot, app, client_id)
    assert isinstance(view, ClientRecordView)
    plan = show_part(qtbot, app, view, "Plan")
    assert isinstance(plan, PlanTab)
    if plan.current is None:
        plan._on_create()
    else:
        plan._on_revise()
    assert plan.editor is not None
    plan.editor.formulation.setPlainText(FORMULATION)
    card = plan.editor.add_goal()
    card.partner_wording.setPlainText(GOAL)
    return plan


def test_unlocking_as_the_same_user_reopens_the_plan_editor_with_its_text(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    plan = _open_plan_editor(qtbot, app)
    goals_before = len(plan.editor.values().goals)
    client_id = plan.client_id

    seen_while_locked = []
    original = app._ask_sign_in

    def ask_while_checking(locked_user):
        QApplication.sendPostedEvents(None, 0)
        seen_while_locked.append(FORMULATION in visible_texts() or GOAL in visible_texts())
        return original(locked_user)

    app._ask_sign_in = ask_while_checking
    app.lock()
    qtbot.waitUntil(lambda: not app.locked, timeout=5000)
    settle(qtbot, app)
    assert seen_while_locked == [False]
    qtbot.addWidget(app.window)
    view = app.window.record_views()[0]
    reopened = view.tab("Plan")
    assert isinstance(reopened, PlanTab)
    qtbot.waitUntil(lambda: reopened.editor is not None and reopened.editor.isVisible())
    values = reopened.editor.values()
    assert values.formulation == FORMULATION
    assert len(values.goals) == goals_before
    assert values.goals[-1].partner_wording == GOAL
    assert app.window.current_client_id() == client_id
    # Taken back once: nothing is left waiting in the database.
    assert outside(app).call(form_drafts.waiting_forms) == []


def test_another_user_never_sees_the_form_and_its_owner_is_offered_it_later(
    qtbot, start, seeded, monkeypatch
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("nurse.patel", STAFF_PASSWORD)])
    _open_plan_editor(qtbot, app)
    app.lock()
    qtbot.waitUntil(lambda: not app.locked, timeout=5000)
    settle(qtbot, app)
    qtbot.addWidget(app.window)
    QApplication.sendPostedEvents(None, 0)
    assert app.workspace.me.username == "nurse.patel"
    assert FORMULATION not in visible_texts()
    assert outside(app).call(form_drafts.waiting_forms) == []

    # Dr Jones signs in again later and accepts the offer to reopen what was left open.
    asked = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *args, **kwargs: asked.append(args[2]) or QMessageBox.StandardButton.Yes,
    )
    app.sign_ins.append(("dr.jones", STAFF_PASSWORD))
    app.sign_out()
    qtbot.waitUntil(lambda: not app.locked and app.window is not None, timeout=5000)
    settle(qtbot, app)
    qtbot.addWidget(app.window)
    assert app.workspace.me.username == "dr.jones"
    assert len(asked) == 1 and "1 form was open" in asked[0]
    qtbot.waitUntil(lambda: bool(app.window.record_views()))
    plan = app.window.record_views()[0].tab("Plan")
    assert isinstance(plan, PlanTab)
    qtbot.waitUntil(lambda: plan.editor is not None and plan.editor.isVisible())
    assert plan.editor.values().formulation == FORMULATION


def test_declining_the_offer_discards_the_kept_text(qtbot, start, seeded, monkeypatch):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("nurse.patel", STAFF_PASSWORD)])
    _open_plan_editor(qtbot, app)
    app.lock()
    qtbot.waitUntil(lambda: not app.locked, timeout=5000)
    settle(qtbot, app)
    qtbot.addWidget(app.window)
    monkeypatch.setattr(
        QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.No
    )
    app._offer_open_forms()  # nurse.patel has none: nothing is asked or discarded
    with app.database.session() as session:
        jones = staff.sign_in(session, "dr.jones", STAFF_PASSWORD)
        assert len(form_drafts.waiting_forms(session, jones)) == 1
    app.sign_ins.append(("dr.jones", STAFF_PASSWORD))
    app.sign_out()
    qtbot.waitUntil(lambda: not app.locked and app.window is not None, timeout=5000)
    settle(qtbot, app)
    qtbot.addWidget(app.window)
    assert app.window.open_client_ids() == []
    assert outside(app).call(form_drafts.waiting_forms) == []


def test_a_risk_event_form_comes_back_with_its_private_detail(qtbot, start, seeded, monkeypatch):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    client_id = outside(app).call(clients.caseload)[0].client.id
    view = open_record(qtbot, app, client_id)
    risk = show_part(qtbot, app, view, "Risk")
    assert isinstance(risk, RiskTab)
    shown = []

    def fake_exec(dialog):
        shown.append(input_state(dialog))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(risk_view, "exec_dialog", fake_exec)
    assert risk.reopen_form(
        "event",
        {"session_note_id": None},
        {"Private detail, never shared": "Canary-55 detail", "Urgent": True},
    )
    assert shown[0]["Private detail, never shared"] == "Canary-55 detail"
    assert shown[0]["Urgent"] is True
    qtbot.waitUntil(lambda: app.runner.idle)  # the events are read on the background runner
    assert not risk.reopen_form("decision", {"event_id": 999_999}, {})


@pytest.mark.parametrize("form", ["details", "typology", "risk_assessment"])
def test_the_overviews_forms_reopen(qtbot, start, seeded, form):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    client_id = outside(app).call(clients.caseload)[0].client.id
    view = open_record(qtbot, app, client_id)
    assert view.reopen_form("Overview", form, {}, {})
    settle(qtbot, app)  # the edit form opens over details read afresh
    overview = view.tab("Overview")
    assert overview.current_dialog is not None and overview.current_dialog.isVisible()
    overview.current_dialog.reject()
    assert not view.reopen_form("Overview", "no such form", {}, {})


def test_the_screen_does_not_lock_under_a_clients_questionnaire(qtbot, start, seeded):
    from clinic_app.measures.definitions import shipped_definitions
    from clinic_app.views.measures.self_completion import SelfCompletionWindow

    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    gad7 = next(d for d in shipped_definitions() if d.id == "gad-7")
    window = SelfCompletionWindow(
        gad7, verify_staff=lambda _password: False, save_answers=dict, parent=app.window
    )
    window.start()
    qtbot.waitExposed(window)
    app.lock()  # the idle timer ran out while the client was answering
    assert not app.locked and window.isVisible()
    assert app.idle._timer.isActive()  # counting again from now
    window.close_for_lock()


def test_a_referral_and_a_measure_being_entered_come_back(qtbot, start, seeded, monkeypatch):
    from clinic_app.views.measures import tab as measures_view
    from clinic_app.views.referrals import tab as referrals_view

    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    client_id = outside(app).call(clients.caseload)[0].client.id
    view = open_record(qtbot, app, client_id)
    shown = []

    def fake_exec(dialog):
        shown.append(input_state(dialog))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(referrals_view, "exec_dialog", fake_exec)
    monkeypatch.setattr(measures_view, "exec_dialog", fake_exec)
    reason = "Reason for referral, private"
    assert view.reopen_form("Referrals", "new", {}, {reason: "Canary-77 low mood"})
    qtbot.waitUntil(lambda: len(shown) == 1)  # opens once the service directory is read
    assert shown[-1][reason] == "Canary-77 low mood"
    first = "Several days (1), item 1: Little interest or pleasure in doing things"
    assert view.reopen_form(
        "Measures", "give", {"measure_id": "phq-9", "version": "2"}, {first: True}
    )
    settle(qtbot, app)  # the form opens once the results and the sessions are read
    assert shown[-1][first] is True
    assert not view.reopen_form("Measures", "give", {"measure_id": "gone", "version": "1"}, {})


def test_forms_that_could_not_be_kept_are_owned_up_to_at_unlock(qtbot, start, seeded, monkeypatch):
    from clinic_app import app as app_module
    from clinic_app.errors import DatabaseLocked

    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    _open_plan_editor(qtbot, app)

    def refuse(*_args, **_kwargs):
        raise DatabaseLocked("in use")

    monkeypatch.setattr(form_drafts, "keep_open_forms", refuse)
    told = []
    monkeypatch.setattr(app_module, "show_error", lambda _parent, error, **_: told.append(error))
    app.lock()
    qtbot.waitUntil(lambda: not app.locked and app.window is not None, timeout=5000)
    settle(qtbot, app)
    qtbot.addWidget(app.window)
    assert len(told) == 1 and "1 form open when the screen locked could not be kept" in str(
        told[0].message
    )
    QApplication.sendPostedEvents(None, 0)
    assert FORMULATION not in visible_texts()  # the lock still cleared it
