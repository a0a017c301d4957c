"""A form's save through the runner: buttons wait, then accept or show the problems."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QVBoxLayout

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.views.common import feedback
from clinic_app.views.common.runner import Runner, use_runner
from clinic_app.views.common.saving import save_through_runner


class Form(QDialog):
    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.text = QLineEdit("as typed")
        layout.addWidget(self.text)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.ActionRole)
        layout.addWidget(self.buttons)
        self.buttons.rejected.connect(self.reject)
        self.problems: list[tuple[Problem, ...]] = []

    def save(self, work) -> None:
        save_through_runner(
            self,
            work,
            lambda _row: self.accept(),
            busy=[self.buttons],
            title="Not saved",
            problems=lambda found: self.problems.append(tuple(found)),
        )


@pytest.fixture
def threaded(qtbot):
    made = Runner()
    previous = use_runner(made)
    yield made
    use_runner(previous)
    made.stop()


def test_the_form_waits_while_saving_then_is_accepted(qtbot, threaded):
    form = Form()
    qtbot.addWidget(form)
    form.show()
    form.save(lambda: "stored")
    assert not form.save_button.isEnabled() and not form.buttons.isEnabled()
    qtbot.keyClick(form, Qt.Key.Key_Escape)  # held open: the save is on its way
    form.close()
    assert form.isVisible()
    qtbot.waitUntil(lambda: threaded.idle)
    assert form.result() == QDialog.DialogCode.Accepted


def test_a_refusal_goes_beside_the_fields_and_the_form_can_be_used_again(qtbot, threaded):
    form = Form()
    qtbot.addWidget(form)
    form.show()

    def refuse() -> str:
        raise ValidationError([Problem("text", "Say more.")])

    form.save(refuse)
    qtbot.waitUntil(lambda: threaded.idle)
    assert form.problems == [(Problem("text", "Say more."),)]
    assert form.save_button.isEnabled() and form.text.text() == "as typed"
    assert form.isVisible() and form.result() != QDialog.DialogCode.Accepted
    form.close()  # no longer held open
    assert not form.isVisible()


def test_another_known_error_is_shown_with_the_forms_title(qtbot, threaded, monkeypatch):
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        feedback, "show_error", lambda parent, error, title="": shown.append((title, error.message))
    )
    form = Form()
    qtbot.addWidget(form)

    def fail() -> str:
        raise ClinicError("The database is busy.")

    form.save(fail)
    qtbot.waitUntil(lambda: threaded.idle)
    assert shown == [("Not saved", "The database is busy.")]
    assert form.save_button.isEnabled() and form.problems == []


def test_a_site_out_of_reach_says_the_text_is_still_in_the_form(qtbot, threaded, monkeypatch):
    from clinic_app.storage.site import UNREACHABLE_MESSAGE, SiteUnreachable
    from clinic_app.views.common.saving import KEPT_IN_FORM

    shown: list[str] = []
    monkeypatch.setattr(
        feedback, "show_error", lambda parent, error, title="": shown.append(error.message)
    )
    form = Form()
    qtbot.addWidget(form)

    def away() -> str:
        raise SiteUnreachable(UNREACHABLE_MESSAGE)

    form.save(away)
    qtbot.waitUntil(lambda: threaded.idle)
    assert shown == [f"{UNREACHABLE_MESSAGE} {KEPT_IN_FORM}"]
    assert form.text.text() == "as typed" and form.save_button.isEnabled()
