"""Client self-completion: one question at a time, full screen, ended only by staff sign-in."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QMenuBar, QWidget

from clinic_app.errors import AccountLocked, Problem, ValidationError
from clinic_app.measures.definitions import MeasureDefinition, shipped_definitions
from clinic_app.measures.scoring import score
from clinic_app.models.enums import MeasureMode
from clinic_app.services.measure_schedules import DueMeasure
from clinic_app.views.measures.self_completion import (
    FINISHED_TEXT,
    NEEDS_ANSWER,
    NO_MORE_SKIPS,
    WRONG_PASSWORD,
    Page,
    SelfCompletionWindow,
)
from tests.gui.measures.test_measures_view import CLIENT, FakeMeasures, make_tab, phq9

DEFINITIONS: dict[str, MeasureDefinition] = {d.id: d for d in shipped_definitions()}
GAD7 = DEFINITIONS["gad-7"]
CORE10 = DEFINITIONS["core-10"]
PASSWORD = "staff password 1"


class Saver:
    """Stands in for saving: scores the answers for real (refusing as the service would)."""

    def __init__(self, definition: MeasureDefinition) -> None:
        self.definition = definition
        self.saved: list[dict[int, int | None]] = []

    def __call__(self, answers: dict[int, int | None]) -> str:
        score(self.definition, answers)  # raises ValidationError when too many are missing
        self.saved.append(answers)
        return "stored"


def open_window(
    qtbot: Any, definition: MeasureDefinition = GAD7, verify: Any = None
) -> tuple[SelfCompletionWindow, Saver]:
    saver = Saver(definition)
    window = SelfCompletionWindow(
        definition,
        verify_staff=verify or (lambda password: password == PASSWORD),
        save_answers=saver,
    )
    # The test ends it the way the app would if the screen locked.
    qtbot.addWidget(window, before_close_func=lambda w: w.close_for_lock())
    window.start()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.isFullScreen)
    return window, saver


def answer_all(window: SelfCompletionWindow, positions: list[int]) -> None:
    window.start_button.click()
    for position in positions:
        window.choose(position)
        window.next_button.click()


def sign_in(window: SelfCompletionWindow, password: str = PASSWORD) -> None:
    window.password.setText(password)
    window.sign_in_button.click()


def visible_texts(window: QWidget) -> list[str]:
    texts = [w.text() for w in window.findChildren(QLabel) if w.isVisible()]
    texts += [w.text() for w in window.findChildren(QAbstractButton) if w.isVisible()]
    return [t for t in texts if t]


# -- what it looks like ------------------------------------------------------------------------


def test_window_covers_the_screen_and_blocks_the_app(qtbot):
    window, _ = open_window(qtbot)
    assert window.isWindow()
    assert window.isFullScreen()
    assert window.windowModality() == Qt.WindowModality.ApplicationModal
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert QApplication.activeModalWidget() is window
    assert window.findChildren(QMenuBar) == []


def test_one_question_at_a_time_in_large_text_with_progress(qtbot):
    window, _ = open_window(qtbot)
    assert window.page is Page.WELCOME
    assert GAD7.instructions in window.instructions.text()
    window.start_button.click()
    assert window.page is Page.QUESTION
    assert window.progress_text.text() == "Question 1 of 7"
    assert window.question_text.text() == GAD7.item(1).text
    assert [b.text() for b in window.option_buttons] == [o.label for o in GAD7.item(1).options]
    assert window.question_text.font().pointSize() >= 20
    assert all(b.font().pointSize() >= 20 for b in window.option_buttons)
    assert window.progress_text.font().pointSize() >= 20
    window.choose(2)
    window.next_button.click()
    window.choose(1)
    window.next_button.click()
    assert window.progress_text.text() == "Question 3 of 7"
    assert window.question_text.text() == GAD7.item(3).text
    # Back shows the earlier answer still chosen.
    window.back_button.click()
    assert window.progress_text.text() == "Question 2 of 7"
    assert window.option_buttons[1].isChecked()
    # Ticked as well as highlighted, so colour is not the only sign of the choice.
    assert window.option_buttons[1].text() == "\u2713  " + GAD7.item(2).options[1].label
    assert window.option_buttons[0].text() == GAD7.item(2).options[0].label


def test_unanswered_question_offers_skip_where_the_measure_allows_it(qtbot):
    # CORE-10 can be scored with one item unanswered: the first blank may be skipped ...
    window, _ = open_window(qtbot, CORE10)
    window.start_button.click()
    assert window.next_button.isVisible()
    assert window.next_button.text() == "&Skip this question"
    assert not window.needs_answer.isVisible()
    window.choose(0)
    assert window.next_button.text() == "&Next"


def test_no_skip_once_the_blanks_allowed_are_used_up(qtbot):
    window, _ = open_window(qtbot, CORE10)
    window.start_button.click()
    window.next_button.click()  # question 1 skipped: the one blank CORE-10 allows
    assert window.progress_text.text() == "Question 2 of 10"
    assert not window.next_button.isVisible()
    assert window.needs_answer.isVisible()
    assert window.needs_answer.text() == NO_MORE_SKIPS
    window.choose(1)
    assert window.next_button.isVisible() and window.next_button.text() == "&Next"
    assert not window.needs_answer.isVisible()
    # Going back to the skipped question: it may stay blank (it is the one blank).
    window.back_button.click()
    assert window.progress_text.text() == "Question 1 of 10"
    assert window.next_button.isVisible()


@pytest.mark.parametrize("measure_id", ["gad-7", "pcl-5"])
def test_no_skip_on_a_measure_that_needs_every_answer(qtbot, measure_id):
    definition = DEFINITIONS[measure_id]
    assert definition.scoring.minimum_answered == definition.item_count
    window, _ = open_window(qtbot, definition)
    window.start_button.click()
    for position in range(definition.item_count):
        assert not window.next_button.isVisible(), position
        assert window.needs_answer.isVisible()
        assert window.needs_answer.text() == NEEDS_ANSWER
        window.choose(0)
        assert window.next_button.isVisible()
        window.next_button.click()
    assert window.page is Page.FINISHED


def test_the_last_question_leads_to_handing_the_device_back(qtbot):
    window, _ = open_window(qtbot)
    answer_all(window, [1] * 7)
    assert window.page is Page.FINISHED
    assert window.finished_text.text() == FINISHED_TEXT
    assert window.finished_text.font().pointSize() >= 20


def test_core10_shows_its_copyright_line(qtbot):
    window, _ = open_window(qtbot, CORE10)
    assert any(CORE10.licence.copyright_line in t for t in visible_texts(window))
    window.start_button.click()
    assert any(CORE10.licence.copyright_line in t for t in visible_texts(window))


# -- it cannot be escaped ----------------------------------------------------------------------


def test_close_is_refused(qtbot):
    window, _ = open_window(qtbot)
    window.start_button.click()
    assert window.close() is False
    assert window.isVisible()
    event = QCloseEvent()  # what Alt+F4 or the window manager sends
    QApplication.sendEvent(window, event)
    assert not event.isAccepted()
    assert window.isVisible()


def test_escape_does_nothing(qtbot):
    window, _ = open_window(qtbot)
    window.start_button.click()
    window.choose(1)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.keyClick(window.option_buttons[1], Qt.Key.Key_Escape)
    assert window.isVisible()
    assert window.page is Page.QUESTION
    assert window.answers[1] == 1


def test_a_wrong_password_keeps_it_open(qtbot):
    window, saver = open_window(qtbot)
    answer_all(window, [1] * 7)
    window.finished_staff_button.click()
    assert window.page is Page.STAFF_SIGN_IN
    sign_in(window, "guess")
    assert window.page is Page.STAFF_SIGN_IN
    assert window.sign_in_message.isVisible()
    assert window.sign_in_message.text() == WRONG_PASSWORD
    assert window.password.text() == ""  # never left on screen
    assert window.close() is False
    assert window.isVisible()
    assert saver.saved == []
    # An empty password is not even checked.
    sign_in(window, "")
    assert window.page is Page.STAFF_SIGN_IN


def test_a_locked_account_is_said_plainly_and_it_stays_open(qtbot):
    def locked(password: str) -> bool:
        raise AccountLocked("Too many wrong passwords: your account is locked until 14:05.")

    window, _ = open_window(qtbot, verify=locked)
    window.start_button.click()
    window.question_staff_button.click()
    sign_in(window)
    assert "locked until 14:05" in window.sign_in_message.text()
    assert window.isVisible()


def test_the_right_password_ends_it_and_saves_the_answers(qtbot):
    window, saver = open_window(qtbot)
    answer_all(window, [0, 1, 2, 3, 2, 1, 0])
    window.finished_staff_button.click()
    sign_in(window)
    assert window.page is Page.STAFF_DECISION
    assert "7 of 7 questions answered" in window.decision_text.text()
    with qtbot.waitSignals([window.saved, window.ended]):
        window.save_button.click()
    assert saver.saved == [{1: 0, 2: 1, 3: 2, 4: 3, 5: 2, 6: 1, 7: 0}]
    assert not window.isVisible()


def test_handing_back_needs_the_password_again(qtbot):
    window, saver = open_window(qtbot)
    answer_all(window, [1] * 7)
    window.finished_staff_button.click()
    sign_in(window)
    window.hand_back_button.click()
    assert window.page is Page.QUESTION
    assert window.close() is False
    window.next_button.click()  # last question again, then finished
    window.finished_staff_button.click()
    assert window.page is Page.STAFF_SIGN_IN
    assert saver.saved == []


def test_ending_early_asks_about_partial_answers_and_the_rules_decide(qtbot):
    window, saver = open_window(qtbot)
    window.start_button.click()
    window.choose(1)
    window.next_button.click()
    window.choose(2)
    window.question_staff_button.click()
    sign_in(window)
    text = window.decision_text.text()
    assert "ended early: 2 of 7 questions answered" in text
    # GAD-7 must be answered in full: saving is not offered, and staff are told why and
    # what they can do instead.
    assert not window.save_button.isVisible()
    assert "The GAD-7 can be scored only with every question answered" in text
    assert "Hand the device back to the client to answer the rest" in text
    assert window.hand_back_button.isVisible()
    assert window.isVisible() and saver.saved == []
    # Discarding asks first; "No" keeps everything.
    window.discard_button.click()
    assert window.confirm_box.isVisible()
    assert window.confirm_text.text() == "Discard all 2 answers? They will not be kept anywhere."
    window.cancel_discard_button.click()
    assert window.isVisible() and window.answered_count() == 2
    window.discard_button.click()
    with qtbot.waitSignals([window.discarded, window.ended]):
        window.confirm_discard_button.click()
    assert not window.isVisible()
    assert saver.saved == []


def test_partial_answers_are_kept_when_the_rules_allow(qtbot):
    window, saver = open_window(qtbot, CORE10)
    # CORE-10 may be scored with one item unanswered: answer 9, skip the last.
    window.start_button.click()
    for _ in range(9):
        window.choose(1)
        window.next_button.click()
    window.question_staff_button.click()
    sign_in(window)
    assert window.save_button.text() == "&Keep the partial answers"
    window.save_button.click()
    assert saver.saved == [{**dict.fromkeys(range(1, 10), 1), 10: None}]
    assert not window.isVisible()


def test_a_refusal_to_save_is_shown_without_where_it_was_found(qtbot):
    def refuse(answers: dict[int, int | None]) -> str:
        raise ValidationError(
            [
                Problem(f"answers.{n}", f"Item {n} has no answer. Every item must be answered.")
                for n in (1, 2, 3, 4, 5)
            ]
        )

    window = SelfCompletionWindow(
        CORE10, verify_staff=lambda password: password == PASSWORD, save_answers=refuse
    )
    qtbot.addWidget(window, before_close_func=lambda w: w.close_for_lock())
    window.start()
    qtbot.waitExposed(window)
    answer_all(window, [1] * 10)
    window.finished_staff_button.click()
    sign_in(window)
    window.save_button.click()
    message = window.save_message.text()
    assert window.save_message.isVisible()
    assert "answers.1" not in message and ":" not in message.splitlines()[0]
    assert message.splitlines()[:4] == [
        "Item 1 has no answer. Every item must be answered.",
        "Item 2 has no answer. Every item must be answered.",
        "Item 3 has no answer. Every item must be answered.",
        "\u2026and 2 more like these.",
    ]
    assert "hand the device back to the client" in message


# -- from the Measures tab ---------------------------------------------------------------------


def test_tab_saves_self_completed_answers_with_their_mode(qtbot):
    fake = FakeMeasures()
    fake.add("phq-9", date(2025, 9, 3), phq9(3, 3, 2, 2, 2, 2, 2, 1, 1))
    tab = make_tab(qtbot, fake)
    tab.show()
    window = tab.start_self_completion(GAD7)
    qtbot.waitExposed(window)
    assert QApplication.activeModalWidget() is window
    answer_all(window, [1, 1, 1, 1, 1, 1, 1])
    window.finished_staff_button.click()
    sign_in(window, "wrong")
    assert fake.named("record_administration") == []
    sign_in(window, fake.password)
    with qtbot.waitSignal(tab.changed):
        window.save_button.click()
    ((client, kwargs),) = fake.named("record_administration")
    assert client == CLIENT
    assert kwargs["mode"] is MeasureMode.SELF_COMPLETION
    assert kwargs["require_score"] is True  # partial answers only if they can be scored
    assert kwargs["measure_id"] == "gad-7"
    assert kwargs["administered_on"] == date.today()
    assert kwargs["answers"] == dict.fromkeys(range(1, 8), 1)
    assert tab.self_completion is None
    assert tab.current_measure_id() == "gad-7"
    line = tab.selected_line()
    assert line is not None and line.result.administration.mode is MeasureMode.SELF_COMPLETION
    assert tab.proxy.index(0, 1).data() == "Self-completion"


def test_no_record_data_is_visible_to_the_client(qtbot):
    fake = FakeMeasures()
    fake.add("phq-9", date(2025, 9, 3), phq9(3, 3, 2, 2, 2, 2, 2, 1, 1))
    fake.due = [DueMeasure(CLIENT, "MASIP-0001", "gad-7", "GAD-7", 1, ("Baseline due.",), None)]
    tab = make_tab(qtbot, fake)
    tab.show()
    window = tab.start_self_completion(GAD7)
    qtbot.waitExposed(window)
    record_words = ["PHQ-9", "Moderately severe", "Critical", "MASIP", "due", "18", "Record"]
    seen: list[str] = []
    seen += visible_texts(window)
    window.start_button.click()
    for position in [0, 1, 2, 3, 0, 1, 2]:
        seen += visible_texts(window)
        window.choose(position)
        window.next_button.click()
    seen += visible_texts(window)
    for text in seen:
        for word in record_words:
            assert word not in text, (word, text)
    # Only the questionnaire's own words and the window's controls are shown.
    allowed = {GAD7.title, GAD7.instructions, *(i.text for i in GAD7.items)}
    allowed |= {o.label for i in GAD7.items for o in i.options}
    assert {i.text for i in GAD7.items} <= set(seen)
    assert allowed & set(seen)
    window.close_for_lock()


@pytest.mark.parametrize("measure_id", sorted(DEFINITIONS))
def test_every_shipped_measure_can_be_self_completed(qtbot, measure_id):
    definition = DEFINITIONS[measure_id]
    window, saver = open_window(qtbot, definition)
    answer_all(window, [0] * definition.item_count)
    assert window.page is Page.FINISHED
    window.finished_staff_button.click()
    sign_in(window)
    window.save_button.click()
    assert saver.saved == [{i.number: i.options[0].value for i in definition.items}]
