"""The Subject access tab's forms: register a request, extend it, review the pack.

Each form hands its service call to the runner when the clinician confirms it; problems
come back beside the form (nothing is recorded), success closes it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.models.subject_access import Exemption, HarmDecision, RequesterKind
from clinic_app.reports.subject_access import (
    EXEMPTION_WORDS,
    HARM_DECISION_WORDS,
    REQUESTER_WORDS,
    PackItem,
)
from clinic_app.services.sharing.subject_access import PreparedPack
from clinic_app.services.subject_access import RequestRow, due_date
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import problems_label, show_messages, to_date, to_qdate
from clinic_app.views.sar.actions import SubjectAccessActions
from clinic_app.wording import long_date

REVIEW_EXEMPTIONS = (
    Exemption.SERIOUS_HARM,
    Exemption.THIRD_PARTY,
    Exemption.CRIME,
    Exemption.LEGAL_PRIVILEGE,
)
"""The exemptions a reviewer may cite, serious harm first (what the review is for)."""

EXEMPTION_SHORT = {
    Exemption.SERIOUS_HARM: "Serious harm (Sch 3 Pt 2 para 5)",
    Exemption.THIRD_PARTY: "Third party (Sch 2 Pt 3 para 16)",
    Exemption.CRIME: "Crime (Sch 2 Pt 1 para 2)",
    Exemption.LEGAL_PRIVILEGE: "Legal privilege (Sch 2 Pt 4 para 19)",
}

SNIPPET_CHARS = 50


def _item_words(item: PackItem) -> str:
    """An item's heading and the start of its first text, so the reviewer can tell it."""
    text = next(
        (f.value for f in item.fields if f.kind == "text" and f.value and f.value.strip()), ""
    )
    text = " ".join(text.split())
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "..."
    return f"{item.heading}: {text}" if text else item.heading


def _date_edit(name: str, day: date) -> QDateEdit:
    edit = QDateEdit(to_qdate(day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("d MMMM yyyy")
    edit.setAccessibleName(name)
    return edit


class _Form(QDialog):
    """A dialog with a form, a problems line and OK/Cancel; OK runs ``_work`` on the runner."""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.result_row: Any = None
        self.form = QFormLayout()
        self.problems = problems_label(plain_text=True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)

    def _work(self) -> Callable[[], Any]:
        raise NotImplementedError

    def _on_ok(self) -> None:
        try:
            work = self._work()
        except ValidationError as error:
            self._on_failed(error)
            return
        self.buttons.setEnabled(False)
        runner().run(work, self._on_done, parent=self, failed=self._on_failed)

    def _on_done(self, row: Any) -> None:
        self.result_row = row
        self.accept()

    def _on_failed(self, error: ClinicError) -> None:
        self.buttons.setEnabled(True)
        if isinstance(error, ValidationError):
            show_messages(self.problems, [p.message for p in error.problems])
        else:
            show_messages(self.problems, [error.message])


class RegisterRequestDialog(_Form):
    """Register a request: when received, from whom, and how identity was checked."""

    def __init__(
        self, client_id: int, actions: SubjectAccessActions, parent: QWidget | None = None
    ) -> None:
        super().__init__("Register a subject access request", parent)
        self._client_id = client_id
        self._actions = actions
        today = actions.today()
        self.received = _date_edit("Date received", today)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Who asked")
        for kind in RequesterKind:
            self.kind.addItem(REQUESTER_WORDS[kind], kind)
        self.requester = QLineEdit()
        self.requester.setAccessibleName("Requester's name")
        self.method = QPlainTextEdit()
        self.method.setAccessibleName("How identity was checked")
        self.method.setTabChangesFocus(True)
        self.checked_on = _date_edit("Date identity was checked", today)
        self.due = QLabel()
        self.due.setAccessibleName("Due date")
        self.received.dateChanged.connect(self._on_received_changed)
        self._on_received_changed()
        self.form.addRow("&Received", self.received)
        self.form.addRow("&Who asked", self.kind)
        self.form.addRow("Requester's &name", self.requester)
        self.form.addRow("How &identity was checked", self.method)
        self.form.addRow("Identity checked &on", self.checked_on)
        self.form.addRow("Due", self.due)

    def _on_received_changed(self) -> None:
        self.due.setText(long_date(due_date(to_date(self.received.date()))))

    def _work(self) -> Callable[[], Any]:
        return partial(
            self._actions.register_request,
            self._client_id,
            received_on=to_date(self.received.date()),
            requester_kind=RequesterKind(self.kind.currentData()),
            requester_name=self.requester.text(),
            identity_method=self.method.toPlainText(),
            identity_checked_on=to_date(self.checked_on.date()),
        )


class ExtendRequestDialog(_Form):
    """Extend a request by up to two further months, with the reason the requester is told."""

    def __init__(
        self, request: RequestRow, actions: SubjectAccessActions, parent: QWidget | None = None
    ) -> None:
        super().__init__("Extend a subject access request", parent)
        self._request = request
        self._actions = actions
        from clinic_app.services.subject_access import latest_extension  # noqa: PLC0415

        self.to = _date_edit("New deadline", latest_extension(request.received_on))
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for the extension")
        self.reason.setTabChangesFocus(True)
        self.form.addRow("Now due", QLabel(long_date(request.deadline)))
        self.form.addRow("New &deadline", self.to)
        self.form.addRow("&Reason", self.reason)

    def _work(self) -> Callable[[], Any]:
        return partial(
            self._actions.extend_request,
            self._request.id,
            reason=self.reason.toPlainText(),
            extended_to=to_date(self.to.date()),
        )


class ReviewDialog(_Form):
    """The serious-harm review: the decision, the reasons, and any items withheld.

    Each item of the pack is listed by its heading with a box to withhold it and the
    exemption relied on.
    """

    def __init__(
        self,
        request: RequestRow,
        prepared: PreparedPack,
        actions: SubjectAccessActions,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Serious-harm review", parent)
        self._request = request
        self._actions = actions
        self.decision = QComboBox()
        self.decision.setAccessibleName("Decision")
        for decision in HarmDecision:
            self.decision.addItem(HARM_DECISION_WORDS[decision], decision)
        self.rationale = QPlainTextEdit()
        self.rationale.setAccessibleName("Reasons for the decision")
        self.rationale.setTabChangesFocus(True)
        self.rationale.setMaximumHeight(110)
        self.form.addRow(
            QLabel(
                f"{len(prepared.pack.items())} items; "
                f"{len(prepared.pack.removals)} removals about other people already made."
            )
        )
        self.form.addRow("&Decision", self.decision)
        self.form.addRow("&Reasons", self.rationale)
        box = QWidget()
        rows = QGridLayout(box)
        rows.setColumnStretch(0, 1)
        self.items: list[tuple[str, QCheckBox, QComboBox]] = []
        for section in prepared.pack.sections:
            for item in section.items:
                check = QCheckBox(_item_words(item))
                check.setToolTip(f"{section.title}: {item.key}")
                check.setAccessibleName(f"Withhold {item.heading}")
                exemption = QComboBox()
                exemption.setAccessibleName(f"Exemption for {item.heading}")
                for ex in REVIEW_EXEMPTIONS:
                    exemption.addItem(EXEMPTION_SHORT[ex], ex)
                    exemption.setItemData(
                        exemption.count() - 1, EXEMPTION_WORDS[ex], Qt.ItemDataRole.ToolTipRole
                    )
                exemption.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
                row = len(self.items)
                rows.addWidget(check, row, 0)
                rows.addWidget(exemption, row, 1)
                self.items.append((item.key, check, exemption))
        scroll = QScrollArea()
        scroll.setWidget(box)
        scroll.setWidgetResizable(True)
        scroll.setMinimumHeight(200)
        scroll.setAccessibleName("Items of the pack")
        label = QLabel("&Withhold")
        label.setBuddy(scroll)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.form.addRow(label, scroll)
        self.resize(980, 640)

    def withheld(self) -> list[tuple[str, Exemption]]:
        return [
            (key, Exemption(combo.currentData()))
            for key, check, combo in self.items
            if check.isChecked()
        ]

    def _work(self) -> Callable[[], Any]:
        return partial(
            self._actions.record_review,
            self._request.id,
            decision=HarmDecision(self.decision.currentData()),
            rationale=self.rationale.toPlainText(),
            withheld=self.withheld(),
        )
