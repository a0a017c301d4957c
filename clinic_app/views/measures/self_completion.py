"""Client self-completion: a measure answered by the client on this device, full screen.

The clinician starts it and hands the device over. The client sees the measure's
instructions, then one question at a time in large text with its answers as big buttons,
Back and Next, and how far through they are; then a screen asking them to hand the device
back. A question may be skipped only where the measure can still be scored without it: on
a measure that needs every question answered (the PHQ-9, the GAD-7) there is no Skip, so
no answers are collected that could not be saved.

Nothing else of the app can be reached: the window covers the screen, has no frame or
menu, blocks every other window of the app, and refuses to close (Escape, Alt+F4 and the
window manager's close do nothing) until a member of staff signs in with their password.
After signing in, the clinician saves the answers (as self-completed), or discards them
after confirming; if the client stopped early, the clinician decides whether to keep the
partial answers, which are offered for saving only if the measure's rules allow a score
with that many missing. The window shows the questions and nothing about the client or
their record.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.views.common.runner import runner

BASE_POINT_SIZE = 20
QUESTION_POINT_SIZE = 28
HEADING_POINT_SIZE = 30
ERROR_STYLE = "color: #a4000f; font-weight: bold;"  # dark red, 7:1 on white; words say it too

FINISHED_TEXT = "Finished \u2014 please hand the device back to your clinician."
WRONG_PASSWORD = "That password is not right. Try again, or go back."  # noqa: S105 (a message)
NEEDS_PASSWORD = "Enter your password to sign in."  # noqa: S105 (a message)
NEEDS_ANSWER = "Choose an answer to go on."
NO_MORE_SKIPS = "Choose an answer to go on: no more questions can be skipped."
MAX_PROBLEMS_SHOWN = 3


class Page(IntEnum):
    """The screens of the window, in the order a client meets them."""

    WELCOME = 0
    QUESTION = 1
    FINISHED = 2
    STAFF_SIGN_IN = 3
    STAFF_DECISION = 4


def _font(widget: QWidget, points: int, *, bold: bool = False) -> None:
    font = QFont(widget.font())
    font.setPointSize(points)
    font.setBold(bold)
    widget.setFont(font)


def _label(text: str, name: str, points: int = BASE_POINT_SIZE, *, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName(name)
    label.setAccessibleDescription(text)
    _font(label, points, bold=bold)
    return label


def _button(text: str, name: str, points: int = BASE_POINT_SIZE) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    _font(button, points)
    button.setMinimumHeight(56)
    button.setAutoDefault(False)
    return button


def _mnemonic_safe(text: str) -> str:
    return text.replace("&", "&&")


def _error_words(error: ClinicError) -> str:
    """A service's refusal in words: each problem's message, without where it was found."""
    if not isinstance(error, ValidationError) or not error.problems:
        return error.message
    messages = list(dict.fromkeys(p.message for p in error.problems))
    shown = messages[:MAX_PROBLEMS_SHOWN]
    more = len(messages) - len(shown)
    if more:
        shown.append(f"\u2026and {more} more like {'it' if more == 1 else 'these'}.")
    return "\n".join(shown)


class SelfCompletionWindow(QWidget):
    """A full-screen, application-modal window in which a client answers one measure.

    ``verify_staff(password)`` checks the signed-in member of staff's password (True when
    right); ``save_answers(answers)`` stores the answers as a self-completed administration
    (every item number maps to its value, or None when unanswered) and may raise
    ``ValidationError`` (too many unanswered items), whose message is shown to the clinician.
    Call :meth:`start` to show it full screen.

    Signals:
        saved(object): whatever ``save_answers`` returned, after staff chose to keep them.
        discarded(): staff signed in and discarded the answers.
        ended(): the window has closed (after ``saved`` or ``discarded``).
    """

    saved = Signal(object)
    discarded = Signal()
    ended = Signal()

    def __init__(
        self,
        definition: MeasureDefinition,
        *,
        verify_staff: Callable[[str], bool],
        save_answers: Callable[[dict[int, int | None]], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.definition = definition
        self._verify_staff = verify_staff
        self._save_answers = save_answers
        self.answers: dict[int, int | None] = {item.number: None for item in definition.items}
        self.index = 0  # the question on screen, from 0
        self.furthest = 0  # the furthest question reached, from 0
        self.reached_end = False
        self.staff_signed_in = False
        self._may_close = False
        self._return_to = Page.WELCOME
        self.setWindowFlags(
            Qt.WindowType.Window
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowTitle("Questionnaire")
        self.setAccessibleName("Questionnaire")
        self.setObjectName("selfCompletion")
        self.setStyleSheet(
            "QWidget#selfCompletion, QScrollArea, QScrollArea > QWidget > QWidget"
            " { background: #ffffff; }"
            " QPushButton { padding: 10px 24px; }"
            " QPushButton:checked { background: #0b3d91; color: #ffffff;"
            " border: 3px solid #000000; font-weight: bold; }"
            " QPushButton:focus { border: 3px solid #ffb000; }"
        )
        _font(self, BASE_POINT_SIZE)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(48, 32, 48, 32)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, stretch=1)
        self.stack.addWidget(self._build_welcome())
        self.stack.addWidget(self._build_question())
        self.stack.addWidget(self._build_finished())
        self.stack.addWidget(self._build_sign_in())
        self.stack.addWidget(self._build_decision())
        self._show_page(Page.WELCOME)

    # -- building the screens ------------------------------------------------------------------

    def _build_welcome(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(
            _label(self.definition.title, "Questionnaire title", HEADING_POINT_SIZE, bold=True)
        )
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setAccessibleName("Instructions")
        inner = QWidget()
        inner_column = QVBoxLayout(inner)
        self.instructions = _label(self.definition.instructions, "Instructions")
        inner_column.addWidget(self.instructions)
        count = self.definition.item_count
        inner_column.addWidget(
            _label(
                f"There {'is' if count == 1 else 'are'} {count} question"
                f"{'' if count == 1 else 's'}. Choose the answer that fits best for each. "
                "You can go back and change an answer before you finish.",
                "How to answer",
            )
        )
        inner_column.addStretch()
        scroll.setWidget(inner)
        column.addWidget(scroll, stretch=1)
        column.addWidget(self._licence_label())
        row = QHBoxLayout()
        self.welcome_staff_button = self._staff_button("welcome")
        row.addWidget(self.welcome_staff_button)
        row.addStretch()
        self.start_button = _button("&Start", "Start the questions", HEADING_POINT_SIZE)
        self.start_button.clicked.connect(self._on_start)
        row.addWidget(self.start_button)
        column.addLayout(row)
        return page

    def _licence_label(self) -> QLabel:
        licence = self.definition.licence
        parts = [p for p in (licence.copyright_line, licence.attribution) if p]
        label = _label(" ".join(parts), "Copyright and licence", 12)
        if not parts:
            label.hide()  # never shown here: a label with no parent would be a window
        return label

    def _build_question(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        top = QHBoxLayout()
        self.progress_text = _label("", "Progress", BASE_POINT_SIZE, bold=True)
        top.addWidget(self.progress_text, stretch=1)
        column.addLayout(top)
        self.progress = QProgressBar()
        self.progress.setRange(0, self.definition.item_count)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Progress through the questions")
        self.progress.setMinimumHeight(16)
        column.addWidget(self.progress)
        self.reminder = _label(self.definition.instructions, "Instructions", 16)
        column.addWidget(self.reminder)
        self.question_text = _label("", "Question", QUESTION_POINT_SIZE, bold=True)
        self.question_text.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        column.addSpacing(16)
        column.addWidget(self.question_text)
        column.addSpacing(16)
        self.options_box = QWidget()
        self.options_box.setAccessibleName("Answers")
        self.options_layout = QVBoxLayout(self.options_box)
        self.options_layout.setSpacing(12)
        options_scroll = QScrollArea()
        options_scroll.setWidgetResizable(True)
        options_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        options_scroll.setWidget(self.options_box)
        options_scroll.setAccessibleName("Answers")
        column.addWidget(options_scroll, stretch=1)
        self.option_group = QButtonGroup(self)
        self.option_group.setExclusive(True)
        self.option_group.idClicked.connect(self._on_option_chosen)
        self.option_buttons: list[QPushButton] = []

        self.licence_note = self._licence_label()
        column.addWidget(self.licence_note)
        row = QHBoxLayout()
        self.back_button = _button("&Back", "Back to the previous question")
        self.back_button.clicked.connect(self._on_back)
        row.addWidget(self.back_button)
        self.question_staff_button = self._staff_button("question")
        row.addWidget(self.question_staff_button)
        row.addStretch()
        self.needs_answer = _label(NEEDS_ANSWER, "An answer is needed", bold=True)
        self.needs_answer.setWordWrap(False)
        self.needs_answer.hide()
        row.addWidget(self.needs_answer)
        self.next_button = _button("&Next", "Next question", HEADING_POINT_SIZE)
        self.next_button.clicked.connect(self._on_next)
        row.addWidget(self.next_button)
        column.addLayout(row)
        return page

    def _build_finished(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addStretch()
        self.finished_text = _label(FINISHED_TEXT, "Finished", HEADING_POINT_SIZE, bold=True)
        self.finished_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self.finished_text)
        thanks = _label("Thank you for answering the questions.", "Thank you")
        thanks.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(thanks)
        column.addStretch()
        row = QHBoxLayout()
        self.review_button = _button("&Change an answer", "Go back to change an answer")
        self.review_button.clicked.connect(self._on_review)
        row.addWidget(self.review_button)
        row.addStretch()
        self.finished_staff_button = _button(
            "Staff &sign-in", "Staff sign-in to end the questionnaire"
        )
        self.finished_staff_button.clicked.connect(self._on_staff)
        row.addWidget(self.finished_staff_button)
        column.addLayout(row)
        return page

    def _build_sign_in(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addStretch()
        column.addWidget(_label("Staff sign-in", "Staff sign-in", HEADING_POINT_SIZE, bold=True))
        column.addWidget(
            _label(
                "For staff only. The member of staff signed in to clinic-app enters their "
                "password to end the questionnaire.",
                "Who may sign in",
            )
        )
        password_label = _label("&Password", "Password")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Staff password")
        _font(self.password, BASE_POINT_SIZE)
        self.password.setMinimumHeight(48)
        self.password.returnPressed.connect(self._on_sign_in)
        password_label.setBuddy(self.password)
        column.addWidget(password_label)
        column.addWidget(self.password)
        self.sign_in_message = _label("", "Sign-in problem")
        self.sign_in_message.setStyleSheet(ERROR_STYLE)
        self.sign_in_message.hide()
        column.addWidget(self.sign_in_message)
        column.addStretch()
        row = QHBoxLayout()
        self.sign_in_back = _button("&Back", "Back to the questionnaire")
        self.sign_in_back.clicked.connect(self._on_sign_in_back)
        row.addWidget(self.sign_in_back)
        row.addStretch()
        self.sign_in_button = _button("&Sign in", "Sign in as staff")
        self.sign_in_button.clicked.connect(self._on_sign_in)
        row.addWidget(self.sign_in_button)
        column.addLayout(row)
        return page

    def _build_decision(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(
            _label("Signed in: what to do with the answers", "Staff", HEADING_POINT_SIZE, bold=True)
        )
        self.decision_text = _label("", "The answers so far")
        column.addWidget(self.decision_text)
        self.save_message = _label("", "Problem saving the answers")
        self.save_message.setStyleSheet(ERROR_STYLE)
        self.save_message.hide()
        column.addWidget(self.save_message)
        column.addStretch()

        self.confirm_box = QWidget()
        confirm = QVBoxLayout(self.confirm_box)
        self.confirm_text = _label("", "Confirm discarding the answers", bold=True)
        confirm.addWidget(self.confirm_text)
        confirm_row = QHBoxLayout()
        self.confirm_discard_button = _button(
            "&Yes, discard them", "Yes, discard the answers for good"
        )
        self.confirm_discard_button.clicked.connect(self._on_confirm_discard)
        self.cancel_discard_button = _button("&No, keep them", "No, keep the answers")
        self.cancel_discard_button.clicked.connect(self._on_cancel_discard)
        confirm_row.addWidget(self.confirm_discard_button)
        confirm_row.addWidget(self.cancel_discard_button)
        confirm_row.addStretch()
        confirm.addLayout(confirm_row)
        self.confirm_box.hide()
        column.addWidget(self.confirm_box)

        # One above the other, so the screen works however narrow the device is.
        choices = QVBoxLayout()
        self.save_button = _button("&Save the answers", "Save the answers")
        self.save_button.clicked.connect(self._on_save)
        self.discard_button = _button("&Discard the answers\u2026", "Discard the answers")
        self.discard_button.clicked.connect(self._on_discard)
        self.hand_back_button = _button(
            "&Hand back to the client", "Hand the device back to the client to carry on"
        )
        self.hand_back_button.clicked.connect(self._on_hand_back)
        for button in (self.save_button, self.discard_button, self.hand_back_button):
            choices.addWidget(button, alignment=Qt.AlignmentFlag.AlignLeft)
        column.addLayout(choices)
        return page

    def _staff_button(self, where: str) -> QPushButton:
        button = _button("Staff: &end\u2026", f"Staff only: end the questionnaire ({where})", 14)
        button.setToolTip("For staff: sign in to end the questionnaire.")
        button.clicked.connect(self._on_staff)
        return button

    # -- showing ---------------------------------------------------------------------------

    def start(self) -> None:
        """Show the window full screen, over (and blocking) the rest of the app."""
        parent = self.parentWidget()
        screen = (
            parent.screen() if parent is not None else None
        ) or QGuiApplication.primaryScreen()
        if screen is not None:
            # Cover the whole screen even where no window manager honours full screen.
            self.setGeometry(screen.geometry())
        self.showFullScreen()  # a new window, on top (and kept there by its flags)
        self.activateWindow()
        self.start_button.setFocus()

    @property
    def page(self) -> Page:
        return Page(self.stack.currentIndex())

    def _show_page(self, page: Page) -> None:
        self.stack.setCurrentIndex(page)
        if page is Page.QUESTION:
            self._show_question()

    def _show_question(self) -> None:
        self.furthest = max(self.furthest, self.index)
        item = self.definition.items[self.index]
        count = self.definition.item_count
        progress = f"Question {self.index + 1} of {count}"
        self.progress_text.setText(progress)
        self.progress_text.setAccessibleDescription(progress)
        self.progress.setValue(self.index + 1)
        self.question_text.setText(item.text)
        self.question_text.setAccessibleDescription(item.text)
        for button in self.option_buttons:
            self.option_group.removeButton(button)
            button.deleteLater()
        self.option_buttons = []
        for position, option in enumerate(item.options):
            button = _button(_mnemonic_safe(option.label), f"Answer: {option.label}", 24)
            button.setCheckable(True)
            button.setMinimumHeight(72)
            button.setAccessibleDescription(f"{progress}: {item.text}")
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.option_group.addButton(button, position)
            self.options_layout.addWidget(button)
            self.option_buttons.append(button)
            if self.answers[item.number] == option.value:
                button.setChecked(True)
        self._mark_chosen()
        self.back_button.setVisible(True)
        self._update_next()
        chosen = self.option_group.checkedButton()
        (chosen or (self.option_buttons[0] if self.option_buttons else self.next_button)).setFocus()

    def _mark_chosen(self) -> None:
        # A tick as well as the colour and bold type marks the chosen answer.
        item = self.definition.items[self.index]
        for button, option in zip(self.option_buttons, item.options, strict=True):
            label = _mnemonic_safe(option.label)
            button.setText(f"\u2713  {label}" if button.isChecked() else label)

    def _update_next(self) -> None:
        item = self.definition.items[self.index]
        last = self.index == self.definition.item_count - 1
        answered = self.answers[item.number] is not None
        if answered:
            text, name = ("&Finish", "Finish") if last else ("&Next", "Next question")
        else:
            text, name = ("&Skip this question", "Skip this question")
        self.next_button.setText(text)
        self.next_button.setAccessibleName(name)
        # No Skip where leaving this question blank would stop the measure being scored.
        can_go_on = answered or self.may_skip()
        self.next_button.setVisible(can_go_on)
        hint = NO_MORE_SKIPS if self.unanswered_allowed() else NEEDS_ANSWER
        self.needs_answer.setText(hint)
        self.needs_answer.setAccessibleDescription(hint)
        self.needs_answer.setVisible(not can_go_on)

    def may_skip(self) -> bool:
        """Whether the question on screen may be left unanswered.

        Only while the measure can still be scored with it, and every question already
        passed without an answer, left blank: never on a measure that needs every question
        answered (its minimum answered is its number of questions).
        """
        allowed = self.unanswered_allowed()
        if allowed <= 0:
            return False
        current = self.definition.items[self.index].number
        passed_blank = sum(
            1
            for position, item in enumerate(self.definition.items)
            if position <= self.furthest
            and item.number != current
            and self.answers[item.number] is None
        )
        return passed_blank < allowed

    def unanswered_allowed(self) -> int:
        """How many questions may be left unanswered with the measure still scored."""
        return max(self.definition.item_count - self.definition.scoring.minimum_answered, 0)

    def answered_count(self) -> int:
        return sum(1 for value in self.answers.values() if value is not None)

    def can_be_scored(self) -> bool:
        """Whether enough questions are answered for the measure to be scored."""
        return self.answered_count() >= self.definition.scoring.minimum_answered

    # -- the client's side -------------------------------------------------------------------

    def choose(self, position: int) -> None:
        """Choose the answer at ``position`` (from 0) for the question on screen."""
        self.option_buttons[position].setChecked(True)
        self._on_option_chosen(position)

    def _on_start(self) -> None:
        self.index = 0
        self._show_page(Page.QUESTION)

    def _on_option_chosen(self, position: int) -> None:
        item = self.definition.items[self.index]
        self.answers[item.number] = item.options[position].value
        self._mark_chosen()
        self._update_next()

    def _on_next(self) -> None:
        if self.index < self.definition.item_count - 1:
            self.index += 1
            self._show_question()
            return
        self.reached_end = True
        self._show_page(Page.FINISHED)
        self.finished_staff_button.setFocus()

    def _on_back(self) -> None:
        if self.index == 0:
            self._show_page(Page.WELCOME)
            self.start_button.setFocus()
            return
        self.index -= 1
        self._show_question()

    def _on_review(self) -> None:
        self._show_page(Page.QUESTION)

    # -- staff -----------------------------------------------------------------------------

    def _on_staff(self) -> None:
        self._return_to = self.page
        self.password.clear()
        self.sign_in_message.hide()
        self._show_page(Page.STAFF_SIGN_IN)
        self.password.setFocus()

    def _on_sign_in_back(self) -> None:
        self.password.clear()
        self._show_page(self._return_to)

    def _on_sign_in(self) -> None:
        password = self.password.text()
        self.password.clear()
        if not password:
            self._sign_in_problem(NEEDS_PASSWORD)
            return
        if not self.sign_in_button.isEnabled():
            return  # the last password is still being checked
        verify = self._verify_staff

        def checked(right: bool) -> None:
            self.sign_in_button.setEnabled(True)
            if not right:
                self._sign_in_problem(WRONG_PASSWORD)
                return
            self.staff_signed_in = True
            self._show_decision()

        def refused(error: ClinicError) -> None:
            self.sign_in_button.setEnabled(True)
            self._sign_in_problem(error.message)

        self.sign_in_button.setEnabled(False)
        runner().run(lambda: verify(password), checked, parent=self, failed=refused)

    def _sign_in_problem(self, text: str) -> None:
        self.sign_in_message.setText(text)
        self.sign_in_message.setAccessibleDescription(text)
        self.sign_in_message.show()
        self.password.setFocus()

    def _show_decision(self) -> None:
        answered = self.answered_count()
        count = self.definition.item_count
        scorable = answered > 0 and self.can_be_scored()
        if self.reached_end:
            text = f"The client reached the end: {answered} of {count} questions answered."
            if answered < count:
                blank = count - answered
                text += f" {blank} {'was' if blank == 1 else 'were'} left unanswered."
            if scorable:
                text += (
                    " Save the answers to the record as completed by the client, or discard them."
                )
            self.save_button.setText("&Save the answers")
            self.save_button.setAccessibleName("Save the answers")
        else:
            text = f"The questionnaire was ended early: {answered} of {count} questions answered."
            if scorable:
                text += " Keep the partial answers, or discard them?"
            self.save_button.setText("&Keep the partial answers")
            self.save_button.setAccessibleName("Keep the partial answers")
        if answered and not scorable:
            text += " " + self._cannot_score_words()
        self.save_button.setVisible(scorable)
        self.decision_text.setText(text)
        self.decision_text.setAccessibleDescription(text)
        self.save_message.hide()
        self.confirm_box.hide()
        self._show_page(Page.STAFF_DECISION)
        (self.save_button if scorable else self.hand_back_button).setFocus()

    def _cannot_score_words(self) -> str:
        """Why answers this incomplete cannot be saved, and what staff can do instead."""
        title = self.definition.short_title
        needed = self.definition.scoring.minimum_answered
        rule = (
            "every question answered"
            if needed >= self.definition.item_count
            else f"at least {needed} of the {self.definition.item_count} questions answered"
        )
        return (
            f"The {title} can be scored only with {rule}, so these answers cannot be saved "
            "yet. Hand the device back to the client to answer the rest, or discard them."
        )

    def _on_save(self) -> None:
        save, answers = self._save_answers, dict(self.answers)

        def refused(error: ClinicError) -> None:
            self.save_button.setEnabled(True)
            message = _error_words(error) + (
                "\n\nYou can hand the device back to the client to answer more, or discard "
                "the answers."
            )
            self.save_message.setText(message)
            self.save_message.setAccessibleDescription(message)
            self.save_message.show()

        def stored(row: object) -> None:
            self.save_button.setEnabled(True)
            self.saved.emit(row)
            self._end()

        self.save_button.setEnabled(False)
        runner().run(lambda: save(answers), stored, parent=self, failed=refused)

    def _on_discard(self) -> None:
        answered = self.answered_count()
        text = (
            f"Discard all {answered} answers? They will not be kept anywhere."
            if answered
            else "Close the questionnaire without saving anything?"
        )
        self.confirm_text.setText(text)
        self.confirm_text.setAccessibleDescription(text)
        self.confirm_box.show()
        self.cancel_discard_button.setFocus()

    def _on_cancel_discard(self) -> None:
        self.confirm_box.hide()
        self.discard_button.setFocus()

    def _on_confirm_discard(self) -> None:
        self.answers = dict.fromkeys(self.answers)
        self.discarded.emit()
        self._end()

    def _on_hand_back(self) -> None:
        # Handing back signs staff out again: ending needs the password once more.
        self.staff_signed_in = False
        self.confirm_box.hide()
        self.save_message.hide()
        if self.reached_end:
            self.index = self.definition.item_count - 1
        self._show_page(Page.QUESTION)

    def _end(self) -> None:
        self._may_close = True
        self.close()
        self.ended.emit()

    def close_for_lock(self) -> None:
        """Close without saving, for the app itself (the screen is locking or the app ends).

        The answers are dropped: a locked screen shows nothing of what was answered.
        """
        self.answers = dict.fromkeys(self.answers)
        self._end()

    # -- what the client must not be able to do --------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        # Alt+F4, the window manager and the app closing windows all land here: only a
        # member of staff who has signed in (and chosen what to do) ends the questionnaire.
        if self._may_close:
            event.accept()
        else:
            event.ignore()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            event.accept()  # Escape does nothing here
            return
        super().keyPressEvent(event)
