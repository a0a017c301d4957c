"""Registering and editing clients, and the typology, risk, team and emergency dialogs.

Each dialog is driven end to end with fake use cases (plain functions that record their
calls), without ``exec()``: tests fill the fields and click the buttons. One test at the
end registers a client through the real services on an encrypted database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QDate, QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStyleOptionViewItem,
    QWidget,
)

from clinic_app.errors import ClinicError, ConflictError, Problem, ValidationError
from clinic_app.models.enums import ClientStatus, ConsentToShare, RiskTool, Role, Typology
from clinic_app.services.clients import ClientDetails, ClientSummary
from clinic_app.services.staff import StaffRow
from clinic_app.views.common import feedback
from clinic_app.views.common.conflict import ConflictDialog
from clinic_app.views.record import client_form
from clinic_app.views.record.client_form import (
    AssignStaffDialog,
    ClientDialog,
    EmergencyAccessDialog,
    TypologyDialog,
)
from clinic_app.views.record.form_parts import JUDGEMENT_NAMES, VALID_NHS_NUMBER, BlankableDateEdit
from clinic_app.views.record.risk_assessment import (
    JudgementColumn,
    JudgementDelegate,
    JudgementsModel,
    RiskAssessmentDialog,
)

TODAY = date(2026, 3, 2)


def today() -> date:
    return TODAY


@pytest.fixture
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Known errors the views show in a message box (recorded instead of blocking)."""
    shown: list[str] = []

    def record(parent: QWidget | None, error: ClinicError, *, title: str = "") -> None:
        shown.append(error.message)

    monkeypatch.setattr(feedback, "show_error", record)
    return shown


def summary_of(details: ClientDetails, client_id: int = 42, version: int = 1) -> ClientSummary:
    return ClientSummary(
        client_id,
        details.local_ref.strip(),
        details.given_name.strip(),
        details.family_name.strip(),
        details.date_of_birth,
        details.nhs_number.replace(" ", "") or None,
        details.site.strip(),
        details.status,
        details.is_demo,
        version,
    )


class FakeRegister:
    """Records every call; raises ``error`` if one is set."""

    def __init__(self, error: ClinicError | None = None) -> None:
        self.calls: list[ClientDetails] = []
        self.error = error

    def __call__(self, details: ClientDetails) -> ClientSummary:
        self.calls.append(details)
        if self.error is not None:
            raise self.error
        return summary_of(details)


def error_label_beside(field: QWidget, message: str) -> QLabel:
    """The visible label showing ``message`` in the same form cell as ``field``."""
    cell = field.parentWidget()
    assert cell is not None
    labels = [
        label
        for label in cell.findChildren(QLabel)
        if label.text() == message and not label.isHidden()
    ]
    assert labels, f"no problem '{message}' shown beside {field.accessibleName()}"
    return labels[0]


def registration(qtbot: Any, register: FakeRegister) -> ClientDialog:
    dialog = ClientDialog(register, sites=("North", "Central", "South"), today=today)
    qtbot.addWidget(dialog)
    return dialog


def type_everything(qtbot: Any, dialog: ClientDialog) -> None:
    qtbot.keyClicks(dialog.local_ref, "MASIP-0099")
    qtbot.keyClicks(dialog.given_name, "Alex")
    qtbot.keyClicks(dialog.family_name, "Example")
    dialog.date_of_birth.setDate(QDate(1985, 4, 12))
    qtbot.keyClicks(dialog.nhs_number, "943 476 5919")
    qtbot.keyClicks(dialog.address, "1 Example Street")
    qtbot.keyClicks(dialog.police_ref, "PR/12345")
    dialog.site.setCurrentIndex(dialog.site.findText("Central"))
    dialog.referral_source.setEditText("Probation")
    dialog.referral_date.setDate(QDate(2026, 1, 5))
    dialog.status.setCurrentIndex(dialog.status.findData(ClientStatus.ACTIVE))
    dialog.consent_to_share.setCurrentIndex(
        dialog.consent_to_share.findData(ConsentToShare.NOT_REQUIRED)
    )
    qtbot.keyClicks(dialog.sharing_notes, "Told on 5 January; s115 applies.")


TYPED = ClientDetails(
    local_ref="MASIP-0099",
    given_name="Alex",
    family_name="Example",
    date_of_birth=date(1985, 4, 12),
    site="Central",
    referral_date=date(2026, 1, 5),
    nhs_number="943 476 5919",
    police_ref="PR/12345",
    address="1 Example Street",
    referral_source="Probation",
    status=ClientStatus.ACTIVE,
    consent_to_share=ConsentToShare.NOT_REQUIRED,
    sharing_notes="Told on 5 January; s115 applies.",
    is_demo=False,
)


# -- registering ---------------------------------------------------------------------------------


def test_registering_calls_the_service_with_exactly_what_was_typed(qtbot):
    register = FakeRegister()
    dialog = registration(qtbot, register)
    assert dialog.windowTitle() == "Register a client"
    type_everything(qtbot, dialog)
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()
    assert register.calls == [TYPED]
    assert saved.args[0] == summary_of(TYPED)
    assert dialog.summary == summary_of(TYPED)
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_a_new_client_has_no_date_of_birth_until_one_is_entered(qtbot):
    register = FakeRegister()
    dialog = registration(qtbot, register)
    type_everything(qtbot, dialog)
    dialog.date_of_birth.setDate(dialog.date_of_birth.minimumDate())
    assert dialog.date_of_birth.text() == "Not entered"
    dialog.save_button.click()
    assert register.calls == []
    error_label_beside(dialog.date_of_birth, "The date of birth is required.")
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_an_empty_form_lists_every_missing_field_not_only_the_date_of_birth(qtbot):
    register = FakeRegister()
    dialog = registration(qtbot, register)
    dialog.show()
    dialog.save_button.click()
    assert register.calls == []
    error_label_beside(dialog.date_of_birth, "The date of birth is required.")
    error_label_beside(dialog.local_ref, "The case reference is required.")
    error_label_beside(dialog.given_name, "The given name is required.")
    error_label_beside(dialog.family_name, "The family name is required.")


def test_passing_through_an_empty_date_of_birth_leaves_it_empty(qtbot):
    edit = BlankableDateEdit(date(1990, 1, 1))
    qtbot.addWidget(edit)
    QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusIn, Qt.FocusReason.TabFocusReason))
    assert edit.date() == QDate(1990, 1, 1)  # ready to type over
    QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert edit.is_blank()


def test_typing_a_date_of_birth_keeps_it(qtbot):
    edit = BlankableDateEdit(date(1990, 1, 1))
    edit.setDisplayFormat("dd/MM/yyyy")
    qtbot.addWidget(edit)
    QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusIn, Qt.FocusReason.TabFocusReason))
    qtbot.keyClicks(edit, "12041985")
    QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert edit.date() == QDate(1985, 4, 12)
    assert not edit.is_blank()


def test_dates_cannot_be_in_the_future(qtbot):
    dialog = registration(qtbot, FakeRegister())
    assert dialog.date_of_birth.maximumDate() == QDate(TODAY)
    assert dialog.referral_date.maximumDate() == QDate(TODAY)
    assert dialog.date_of_birth.displayFormat() == "dd/MM/yyyy"
    assert dialog.date_of_birth.calendarPopup()


@pytest.mark.parametrize(
    ("typed", "demo", "expected"),
    [
        ("943 476 5919", False, VALID_NHS_NUMBER),
        ("943-476-5919", False, VALID_NHS_NUMBER),
        ("943 476 5918", False, "its check digit does not match"),
        ("999 000 0018", False, "allowed only on demo records"),
        ("999 000 0018", True, VALID_NHS_NUMBER),
        ("943 476", False, "An NHS number has 10 digits"),
        ("", False, "Optional"),
    ],
)
def test_the_nhs_number_is_checked_as_it_is_typed(qtbot, typed, demo, expected):
    dialog = registration(qtbot, FakeRegister())
    dialog.is_demo.setChecked(demo)
    qtbot.keyClicks(dialog.nhs_number, typed)
    assert expected in dialog.nhs_feedback.text()
    assert expected in dialog.nhs_feedback.accessibleName()


def test_ticking_demo_record_rechecks_a_999_number(qtbot):
    dialog = registration(qtbot, FakeRegister())
    qtbot.keyClicks(dialog.nhs_number, "9990000018")
    assert "demo records" in dialog.nhs_feedback.text()
    dialog.is_demo.setChecked(True)
    assert dialog.nhs_feedback.text() == VALID_NHS_NUMBER
    dialog.is_demo.setChecked(False)
    assert "demo records" in dialog.nhs_feedback.text()


def test_problems_appear_beside_their_fields_and_the_input_is_kept(qtbot):
    register = FakeRegister(
        ValidationError(
            [
                Problem("local_ref", "The case reference 'MASIP-0099' is already in use."),
                Problem("nhs_number", "Another client already has this NHS number."),
                Problem("referral_date", "The referral date cannot be before 12 April 1985."),
                Problem("site", "The programme site is required."),
            ]
        )
    )
    dialog = registration(qtbot, register)
    type_everything(qtbot, dialog)
    dialog.save_button.click()
    assert len(register.calls) == 1
    error_label_beside(dialog.local_ref, "The case reference 'MASIP-0099' is already in use.")
    error_label_beside(dialog.nhs_number, "Another client already has this NHS number.")
    error_label_beside(dialog.referral_date, "The referral date cannot be before 12 April 1985.")
    error_label_beside(dialog.site, "The programme site is required.")
    assert "already in use" in dialog.local_ref.accessibleDescription()
    assert dialog.details() == TYPED  # nothing typed was lost
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.summary is None


def test_a_problem_without_a_field_is_shown_in_the_form(qtbot):
    dialog = registration(qtbot, FakeRegister(ValidationError("Something is not right.")))
    type_everything(qtbot, dialog)
    dialog.save_button.click()
    assert not dialog.problem.isHidden()
    assert dialog.problem.text() == "Something is not right."


def test_fixing_the_problems_and_saving_again_works(qtbot):
    register = FakeRegister(ValidationError([Problem("given_name", "The given name is required.")]))
    dialog = registration(qtbot, register)
    type_everything(qtbot, dialog)
    dialog.save_button.click()
    register.error = None
    dialog.save_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert len(register.calls) == 2


# -- editing -------------------------------------------------------------------------------------


class FakeUpdate:
    def __init__(self, error: ClinicError | None = None) -> None:
        self.calls: list[tuple[int, ClientDetails, int]] = []
        self.error = error

    def __call__(
        self, client_id: int, details: ClientDetails, *, expected_version: int
    ) -> ClientSummary:
        self.calls.append((client_id, details, expected_version))
        if self.error is not None:
            raise self.error
        return summary_of(details, client_id, expected_version + 1)


EXISTING = replace(
    TYPED,
    nhs_number="9990000018",
    is_demo=True,
    site="Riverside",
    address="Flat 4\n12 Example Road",
)


def test_editing_shows_the_details_and_saves_them_with_the_version_read(qtbot):
    update = FakeUpdate()
    dialog = ClientDialog.for_editing(update, 7, (EXISTING, 4), sites=("North",), today=today)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Edit details of EXAMPLE, Alex"
    assert dialog.details() == replace(EXISTING, nhs_number="999 000 0018")
    assert dialog.site.currentText() == "Riverside"  # kept though not a known site
    assert dialog.nhs_feedback.text() == VALID_NHS_NUMBER  # a demo record
    dialog.family_name.setText("Exampleton")
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    assert update.calls == [
        (7, replace(EXISTING, nhs_number="999 000 0018", family_name="Exampleton"), 4)
    ]
    assert dialog.summary is not None and dialog.summary.version == 5


def test_someone_elses_change_is_shown_and_the_edit_is_kept(qtbot, shown_errors):
    conflict = ConflictError("Someone else changed this client's details while you were editing.")
    dialog = ClientDialog.for_editing(FakeUpdate(conflict), 7, (EXISTING, 4), today=today)
    qtbot.addWidget(dialog)
    dialog.family_name.setText("Exampleton")
    dialog.save_button.click()
    assert shown_errors == [conflict.message]
    assert dialog.family_name.text() == "Exampleton"
    assert dialog.result() != QDialog.DialogCode.Accepted


# -- what every form offers a keyboard and screen-reader user ------------------------------------


def _own_controls(dialog: QWidget) -> list[QWidget]:
    """The dialog's controls, leaving out the parts Qt builds inside its own widgets."""
    inner = (QComboBox, QAbstractSpinBox, QCalendarWidget)
    controls: list[QWidget] = []
    for widget in dialog.findChildren(QWidget):
        if not isinstance(
            widget, QLabel | QLineEdit | QComboBox | QPlainTextEdit | QCheckBox | QPushButton
        ) and not isinstance(widget, QAbstractSpinBox):
            continue
        parent = widget.parentWidget()
        nested = False
        while parent is not None and parent is not dialog:
            nested = nested or isinstance(parent, inner)
            parent = parent.parentWidget()
        if not nested:
            controls.append(widget)
    return controls


def _mnemonics(widgets: list[QWidget]) -> list[str]:
    letters = []
    for widget in widgets:
        text = widget.text() if isinstance(widget, QLabel | QPushButton | QCheckBox) else ""
        if "&" in text and not widget.isHidden():
            letters.append(text[text.index("&") + 1].lower())
    return letters


def all_dialogs(qtbot: Any) -> list[QDialog]:
    dialogs: list[QDialog] = [
        registration(qtbot, FakeRegister()),
        ClientDialog.for_editing(FakeUpdate(), 7, (EXISTING, 4), today=today),
        TypologyDialog(1, lambda *a, **k: None, today=today),
        RiskAssessmentDialog(1, lambda *a, **k: 1, today=today),
        AssignStaffDialog(1, STAFF, lambda *a, **k: None),
        EmergencyAccessDialog(1, lambda *a: datetime.now(UTC)),
    ]
    for dialog in dialogs[1:]:
        qtbot.addWidget(dialog)
    return dialogs


def test_every_control_has_an_accessible_name(qtbot):
    for dialog in all_dialogs(qtbot):
        unnamed = [w for w in _own_controls(dialog) if not w.accessibleName()]
        assert unnamed == [], f"{dialog.windowTitle()}: {unnamed}"


def test_every_field_has_a_label_with_its_own_access_key(qtbot):
    for dialog in all_dialogs(qtbot):
        letters = _mnemonics(_own_controls(dialog))
        assert len(letters) == len(set(letters)), f"{dialog.windowTitle()}: {letters}"
        for label in dialog.findChildren(QLabel):
            if "&" in label.text():
                assert label.buddy() is not None, label.text()


def test_required_fields_say_so_in_words(qtbot):
    dialog = registration(qtbot, FakeRegister())
    labels = {w.text().replace("&", "") for w in dialog.findChildren(QLabel)}
    for required in (
        "Case reference (required)",
        "Given name (required)",
        "Family name (required)",
        "Date of birth (required)",
        "Programme site (required)",
        "Referral date (required)",
    ):
        assert required in labels
    assert "NHS number" in labels  # optional: no marker
    assert "Private: never shared." in {w.text() for w in dialog.findChildren(QLabel)}


# -- typology ------------------------------------------------------------------------------------


class Recorder:
    """A fake use case: records (args, kwargs) and returns ``result`` or raises ``error``."""

    def __init__(self, result: Any = None, error: ClinicError | None = None) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.result = result
        self.error = error

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        if self.error is not None:
            raise self.error
        return self.result


def test_setting_a_typology_saves_the_choice_rationale_and_date(qtbot):
    set_typology = Recorder()
    dialog = TypologyDialog(7, set_typology, today=today)
    qtbot.addWidget(dialog)
    assert dialog.chosen() is Typology.NOT_YET_DETERMINED
    dialog.typology.setCurrentIndex(dialog.typology.findText("Intimacy seeking"))
    qtbot.keyClicks(dialog.rationale, "Believes a relationship exists.")
    dialog.assessed_on.setDate(QDate(2026, 2, 20))
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    assert set_typology.calls == [
        (
            (7, Typology.INTIMACY_SEEKING),
            {"rationale": "Believes a relationship exists.", "assessed_on": date(2026, 2, 20)},
        )
    ]


def test_typologies_are_offered_in_plain_words(qtbot):
    dialog = TypologyDialog(7, Recorder(), current=Typology.RESENTFUL, today=today)
    qtbot.addWidget(dialog)
    words = [dialog.typology.itemText(i) for i in range(dialog.typology.count())]
    assert words == [
        "Rejected",
        "Resentful",
        "Intimacy seeking",
        "Incompetent suitor",
        "Predatory",
        "Not yet determined",
    ]
    assert dialog.chosen() is Typology.RESENTFUL  # starts from the current judgement


def test_the_rationale_is_required_unless_not_yet_determined(qtbot):
    dialog = TypologyDialog(7, Recorder(), today=today)
    qtbot.addWidget(dialog)
    [label] = [w for w in dialog.findChildren(QLabel) if w.buddy() is dialog.rationale]
    assert label.text() == "&Rationale (optional)"
    dialog.typology.setCurrentIndex(dialog.typology.findData(Typology.PREDATORY))
    assert label.text() == "&Rationale (required)"
    assert dialog.rationale.accessibleName() == "Rationale (required)"


def test_a_typology_problem_lands_beside_the_rationale(qtbot):
    problem = ValidationError("The rationale is required.", where="rationale")
    dialog = TypologyDialog(7, Recorder(error=problem), today=today)
    qtbot.addWidget(dialog)
    dialog.typology.setCurrentIndex(dialog.typology.findData(Typology.REJECTED))
    dialog.save_button.click()
    error_label_beside(dialog.rationale, "The rationale is required.")
    assert dialog.result() != QDialog.DialogCode.Accepted


# -- risk assessment -----------------------------------------------------------------------------


def risk_dialog(qtbot: Any, record: Recorder) -> RiskAssessmentDialog:
    dialog = RiskAssessmentDialog(7, record, today=today)
    qtbot.addWidget(dialog)
    return dialog


def names_in(dialog: RiskAssessmentDialog) -> list[str]:
    return [name for name, _level in dialog.model.judgements()]


def test_judgement_names_are_prefilled_for_the_tool(qtbot):
    dialog = risk_dialog(qtbot, Recorder(1))
    assert dialog.chosen_tool() is RiskTool.SRP
    assert names_in(dialog) == list(JUDGEMENT_NAMES[RiskTool.SRP])
    assert "Risk of persistence" in names_in(dialog)
    assert all(level == "not rated" for _n, level in dialog.model.judgements())
    dialog.tool.setCurrentIndex(dialog.tool.findData(RiskTool.SAM))
    assert names_in(dialog) == list(JUDGEMENT_NAMES[RiskTool.SAM])


def test_changing_the_tool_keeps_judgements_already_entered(qtbot):
    dialog = risk_dialog(qtbot, Recorder(1))
    dialog.model.setData(dialog.model.index(0, JudgementColumn.LEVEL), "high")
    dialog.tool.setCurrentIndex(dialog.tool.findData(RiskTool.S_DASH))
    assert names_in(dialog) == list(JUDGEMENT_NAMES[RiskTool.SRP])


def test_another_tool_needs_its_name(qtbot):
    dialog = risk_dialog(qtbot, Recorder(1))
    assert dialog.tool_name.isHidden()
    dialog.tool.setCurrentIndex(dialog.tool.findData(RiskTool.OTHER))
    assert not dialog.tool_name.isHidden()


def test_rows_can_be_added_and_removed(qtbot):
    dialog = risk_dialog(qtbot, Recorder(1))
    before = len(names_in(dialog))
    dialog.add_button.click()
    assert len(names_in(dialog)) == before + 1
    assert dialog.table.currentIndex().row() == before
    dialog.table.setCurrentIndex(dialog.model.index(0, JudgementColumn.NAME))
    dialog.remove_button.click()
    assert names_in(dialog)[0] == JUDGEMENT_NAMES[RiskTool.SRP][1]
    assert len(names_in(dialog)) == before


def test_saving_an_assessment_passes_exactly_what_was_entered(qtbot):
    record = Recorder(31)
    dialog = risk_dialog(qtbot, record)
    dialog.tool.setCurrentIndex(dialog.tool.findData(RiskTool.OTHER))
    qtbot.keyClicks(dialog.tool_name, "Local screening tool")
    qtbot.keyClicks(dialog.tool_version, "3")
    dialog.assessed_on.setDate(QDate(2026, 2, 27))
    model = dialog.model
    model.setData(model.index(0, JudgementColumn.NAME), "Risk of persistence")
    model.setData(model.index(0, JudgementColumn.LEVEL), "high")
    row = model.add_row()
    model.setData(model.index(row, JudgementColumn.NAME), "Risk of violence")
    model.setData(model.index(row, JudgementColumn.LEVEL), "low")
    qtbot.keyClicks(dialog.rationale, "Private reasoning.")
    qtbot.keyClicks(dialog.shareable_summary, "Risk of persistence remains high.")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()
    assert record.calls == [
        (
            (7,),
            {
                "tool": RiskTool.OTHER,
                "tool_version": "3",
                "assessed_on": date(2026, 2, 27),
                "judgements": {"Risk of persistence": "high", "Risk of violence": "low"},
                "rationale": "Private reasoning.",
                "shareable_summary": "Risk of persistence remains high.",
                "tool_name": "Local screening tool",
            },
        )
    ]
    assert saved.args == [31]


def test_a_named_tool_sends_no_tool_name(qtbot):
    record = Recorder(1)
    dialog = risk_dialog(qtbot, record)
    dialog.tool.setCurrentIndex(dialog.tool.findData(RiskTool.OTHER))
    qtbot.keyClicks(dialog.tool_name, "typed then changed my mind")
    dialog.tool.setCurrentIndex(dialog.tool.findData(RiskTool.SRP))
    dialog.save_button.click()
    assert record.calls[0][1]["tool_name"] == ""


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["Risk of violence", "  "], "Give every judgement a name, or remove the empty row."),
        (["Risk of violence", "Risk of violence "], "'Risk of violence' is entered twice"),
    ],
)
def test_judgements_need_distinct_names(qtbot, names, message):
    record = Recorder(1)
    dialog = risk_dialog(qtbot, record)
    dialog.model.set_judgements([(n, "low") for n in names])
    dialog.save_button.click()
    assert record.calls == []
    cell = dialog.table.parentWidget().parentWidget()
    shown = [w.text() for w in cell.findChildren(QLabel) if not w.isHidden()]
    assert any(message in text for text in shown)


def test_the_services_judgement_problems_go_under_the_table(qtbot):
    problems = ValidationError(
        [
            Problem("judgements.Risk of violence", "A judgement is one of: low, moderate."),
            Problem("tool_version", "The tool version is required."),
        ]
    )
    dialog = risk_dialog(qtbot, Recorder(error=problems))
    dialog.save_button.click()
    error_label_beside(dialog.tool_version, "The tool version is required.")
    cell = dialog.table.parentWidget().parentWidget()
    shown = [w.text() for w in cell.findChildren(QLabel) if not w.isHidden()]
    assert "A judgement is one of: low, moderate." in shown


def test_the_judgements_model_is_a_well_behaved_model(qtmodeltester):
    model = JudgementsModel()
    model.set_judgements([("Risk of persistence", "high"), ("Risk of violence", "not rated")])
    qtmodeltester.check(model)
    assert model.data(model.index(0, JudgementColumn.LEVEL)) == "High"
    assert model.data(model.index(1, JudgementColumn.LEVEL)) == "Not rated"
    assert model.data(model.index(0, JudgementColumn.LEVEL), Qt.ItemDataRole.EditRole) == "high"
    assert not model.setData(model.index(0, JudgementColumn.LEVEL), "catastrophic")


def test_levels_are_chosen_from_a_list(qtbot):
    dialog = risk_dialog(qtbot, Recorder(1))
    delegate = dialog.table.itemDelegate()
    assert isinstance(delegate, JudgementDelegate)
    index = dialog.model.index(1, JudgementColumn.LEVEL)
    editor = delegate.createEditor(dialog.table.viewport(), QStyleOptionViewItem(), index)
    assert isinstance(editor, QComboBox)
    delegate.setEditorData(editor, index)
    assert editor.currentText() == "Not rated"
    assert [editor.itemText(i) for i in range(editor.count())] == [
        "Low",
        "Moderate",
        "High",
        "Not rated",
    ]
    editor.setCurrentIndex(editor.findText("Moderate"))
    delegate.setModelData(editor, dialog.model, index)
    assert dialog.model.judgements()[1][1] == "moderate"
    editor.deleteLater()


# -- team ----------------------------------------------------------------------------------------

STAFF = [
    StaffRow(
        2, "dr.jones", "Dr Priya Jones", Role.PSYCHOLOGIST, "Clinical psychologist", False, None
    ),
    StaffRow(3, "sam.patel", "Sam Patel", Role.CLINICIAN, "", False, None),
    StaffRow(4, "ali.khan", "Ali Khan", Role.PSYCHOLOGIST, "", True, None),
]


def test_assigning_staff_offers_who_is_not_on_the_team(qtbot):
    assign = Recorder()
    dialog = AssignStaffDialog(7, STAFF, assign, already_assigned={"Dr Priya Jones"})
    qtbot.addWidget(dialog)
    offered = [dialog.person.itemText(i) for i in range(dialog.person.count())]
    assert offered == ["Sam Patel (Clinician)"]  # the disabled account is not offered
    dialog.is_lead.setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    assert assign.calls == [((7, 3), {"is_lead": True})]


def test_when_everyone_is_assigned_there_is_no_assign_button(qtbot):
    dialog = AssignStaffDialog(7, STAFF[:1], Recorder(), already_assigned={"Dr Priya Jones"})
    qtbot.addWidget(dialog)
    assert dialog.save_button.isHidden()
    texts = [w.text() for w in dialog.findChildren(QLabel)]
    assert "Everyone on the clinical staff is already on this client's team." in texts


def test_an_assignment_the_service_refuses_is_shown(qtbot):
    refused = ValidationError("Sam Patel is already assigned to this client.")
    dialog = AssignStaffDialog(7, STAFF, Recorder(error=refused))
    qtbot.addWidget(dialog)
    dialog.save_button.click()
    assert dialog.problem.text() == "Sam Patel is already assigned to this client."


# -- emergency access ----------------------------------------------------------------------------


def test_emergency_access_explains_itself_and_needs_a_reason(qtbot):
    grant = Recorder(datetime.now(UTC) + timedelta(hours=4))
    dialog = EmergencyAccessDialog(7, grant, client_label="EXAMPLE, Alex")
    qtbot.addWidget(dialog)
    words = " ".join(w.text() for w in dialog.findChildren(QLabel))
    assert "EXAMPLE, Alex is not assigned to you" in words
    assert "recorded" in words and "limited time" in words
    dialog.save_button.click()
    assert grant.calls == []
    error_label_beside(dialog.reason, "Give your reason for opening this record.")
    assert dialog.expires_at is None


def test_emergency_access_is_granted_with_the_reason_and_shows_its_end(qtbot):
    ends = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
    grant = Recorder(ends)
    dialog = EmergencyAccessDialog(7, grant)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.reason, "Police call about a reported breach tonight.")
    with qtbot.waitSignal(dialog.granted) as granted:
        dialog.save_button.click()
    assert grant.calls == [((7, "Police call about a reported breach tonight."), {})]
    assert granted.args == [ends]
    local = ends.astimezone()
    assert f"until {local:%H:%M} on {local:%A %d %B %Y}" in dialog.outcome.text()
    assert not dialog.outcome.isHidden()
    assert dialog.save_button.text() == "&Continue to the record"
    dialog.save_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_a_reason_the_service_refuses_is_shown_beside_it(qtbot):
    short = ValidationError(
        "Please give the reason in a few words (at least 10 characters).", where="reason"
    )
    dialog = EmergencyAccessDialog(7, Recorder(error=short))
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.reason, "urgent")
    dialog.save_button.click()
    error_label_beside(
        dialog.reason, "Please give the reason in a few words (at least 10 characters)."
    )
    assert dialog.reason.toPlainText() == "urgent"


# -- the blocking helpers for the main window ------------------------------------------------------


def test_register_new_client_returns_the_new_client(qtbot, monkeypatch):
    def run(dialog: ClientDialog) -> int:
        type_everything(qtbot, dialog)
        dialog.save_button.click()
        return int(dialog.result())

    monkeypatch.setattr(ClientDialog, "exec", run)
    summary = client_form.register_new_client(None, FakeRegister(), sites=("Central",))
    assert summary == summary_of(TYPED)


def test_register_new_client_returns_none_when_cancelled(qtbot, monkeypatch):
    monkeypatch.setattr(ClientDialog, "exec", lambda dialog: dialog.reject() or 0)
    assert client_form.register_new_client(None, FakeRegister()) is None


def test_ask_emergency_access_is_true_once_granted(qtbot, monkeypatch):
    def run(dialog: EmergencyAccessDialog) -> int:
        dialog.reason.setPlainText("Out-of-hours risk call from the police.")
        dialog.save_button.click()
        dialog.reject()  # closing the window after the grant still counts as granted
        return int(dialog.result())

    monkeypatch.setattr(EmergencyAccessDialog, "exec", run)
    grant = Recorder(datetime.now(UTC) + timedelta(hours=4))
    assert client_form.ask_emergency_access(None, 7, grant) is True
    monkeypatch.setattr(EmergencyAccessDialog, "exec", lambda dialog: dialog.reject() or 0)
    assert client_form.ask_emergency_access(None, 7, grant) is False


# -- through the real services ---------------------------------------------------------------------


def test_registering_through_the_real_services(qtbot, db, psychologist):
    from clinic_app.services import clients
    from clinic_app.services.workspace import Workspace

    workspace = Workspace(db, psychologist)
    dialog = ClientDialog(workspace.bind(clients.register_client), sites=("North", "Central"))
    qtbot.addWidget(dialog)
    type_everything(qtbot, dialog)
    dialog.referral_date.setDate(QDate(2026, 1, 5))
    dialog.save_button.click()
    assert dialog.summary is not None
    details, version = workspace.call(clients.client_details, dialog.summary.id)
    assert details == replace(TYPED, nhs_number="9434765919")  # stored without spaces
    assert version == dialog.summary.version

    # The same case reference again: the service's problem lands beside the field.
    again = ClientDialog(workspace.bind(clients.register_client), sites=("North",))
    qtbot.addWidget(again)
    type_everything(qtbot, again)
    again.nhs_number.clear()
    again.save_button.click()
    error_label_beside(again.local_ref, "The case reference 'MASIP-0099' is already in use.")
    assert again.summary is None


def test_a_conflicting_edit_through_the_real_services(
    qtbot, db, psychologist, client_id, shown_errors
):
    from clinic_app.services import clients
    from clinic_app.services.workspace import Workspace

    workspace = Workspace(db, psychologist)
    existing = workspace.call(clients.client_details, client_id)
    dialog = ClientDialog.for_editing(workspace.bind(clients.update_client), client_id, existing)
    qtbot.addWidget(dialog)
    # Someone else saves first.
    workspace.call(
        clients.update_client,
        client_id,
        replace(existing[0], police_ref="PR/99999"),
        expected_version=existing[1],
    )
    dialog.family_name.setText("Changed")
    dialog.save_button.click()
    # Nothing is overwritten: the conflict dialog shows what I changed beside what is saved.
    assert shown_errors == []
    (conflict,) = dialog.findChildren(ConflictDialog)
    assert set(conflict.mine) == {"family_name"}
    assert conflict.saved["family_name"].toPlainText() == "Example"
    assert dialog.family_name.text() == "Changed"
    assert workspace.call(clients.client_details, client_id)[0].family_name == "Example"
    # Save mine over it: my change is saved, and the colleague's police reference kept.
    with qtbot.waitSignal(dialog.saved):
        conflict.save_mine_button.click()
    details, version = workspace.call(clients.client_details, client_id)
    assert (details.family_name, details.police_ref, version) == ("Changed", "PR/99999", 3)


def test_a_bad_nhs_number_is_explained_once_after_saving(qtbot):
    register = FakeRegister()
    dialog = registration(qtbot, register)
    dialog.show()
    dialog.nhs_number.setText("943 476 5918")
    dialog.save_button.click()
    shown = [
        label.text()
        for label in dialog.findChildren(QLabel)
        if label.isVisible() and "check digit" in label.text()
    ]
    assert len(shown) == 1
