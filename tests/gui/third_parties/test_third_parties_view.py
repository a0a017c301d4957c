"""The Victims and others tab and its forms (fakes), one pass through the real services, and
what the Overview says about protection."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from clinic_app.errors import AccessDenied, Problem, ValidationError
from clinic_app.models.enums import ProtectiveMeasureKind, ThirdPartyRelation
from clinic_app.services.third_parties import (
    Protection,
    ProtectiveMeasureInput,
    ProtectiveMeasureRow,
    ThirdPartyInput,
    ThirdPartyRow,
)
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import input_state
from clinic_app.views.common.widgets import to_qdate
from clinic_app.views.record.overview import NO_THIRD_PARTIES, OverviewTab
from clinic_app.views.third_parties import tab as view
from clinic_app.views.third_parties.actions import ThirdPartiesActions
from clinic_app.views.third_parties.dialogs import (
    EndPersonDialog,
    MeasureDialog,
    PersonDialog,
    RevokeMeasureDialog,
)
from clinic_app.views.third_parties.models import NO_MEASURES, NO_PEOPLE, PersonColumn
from clinic_app.views.third_parties.tab import ThirdPartiesTab
from tests.gui.record.test_overview import CLIENT_ID, Fakes

TODAY = date(2026, 3, 18)
V = ThirdPartyRelation


def measure(ident: int, person: int, **changes: Any) -> ProtectiveMeasureRow:
    values: dict[str, Any] = {
        "id": ident,
        "third_party_id": person,
        "kind": ProtectiveMeasureKind.STALKING_PROTECTION_ORDER,
        "starts_on": date(2026, 1, 10),
        "ends_on": date(2028, 1, 9),
        "forbids": "Contacting Sarah by any means; entering Elm Road.",
        "reference": "SPO 2026/114",
        "revoked_on": None,
    }
    return ProtectiveMeasureRow(**(values | changes))


SARAH = ThirdPartyRow(
    id=1,
    client_id=CLIENT_ID,
    label="Person 1",
    relation=V.VICTIM,
    name="Sarah Jones",
    aliases=("Sarah Smith", "sj_runs"),
    addresses=("14 Elm Road, Leyton, E10 5AB", "Works at Riverside Library"),
    phones=("07700 900123",),
    emails=("sarah.jones@example.org",),
    vehicles=("AB12 CDE",),
    advocate_service="Paladin National Stalking Advocacy Service",
    advocate_contact="A. Advocate, 020 7946 0000",
    wishes_and_concerns="No contact of any kind; fears he will come to her workplace.",
    details="Former partner.",
    ended_on=None,
    ended_reason="",
    measures=(
        measure(1, 1),
        measure(
            2,
            1,
            kind=ProtectiveMeasureKind.BAIL_CONDITIONS,
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 4, 1),
            forbids="Not to enter Leyton.",
            reference="",
        ),
        measure(
            3,
            1,
            kind=ProtectiveMeasureKind.RESTRAINING_ORDER,
            starts_on=date(2024, 1, 1),
            ends_on=date(2027, 1, 1),
            revoked_on=date(2025, 6, 1),
        ),
    ),
)
TOM = dataclasses.replace(
    SARAH,
    id=2,
    label="Person 2",
    relation=V.NEW_PARTNER,
    name="Tom Reed",
    aliases=(),
    addresses=(),
    phones=(),
    emails=(),
    vehicles=(),
    advocate_service="",
    advocate_contact="",
    wishes_and_concerns="",
    details="",
    ended_on=date(2026, 2, 1),
    ended_reason="Moved abroad.",
    measures=(),
)


class FakeThirdParties:
    """Stands in for the third-party services: keeps rows, records calls, refuses a few."""

    def __init__(self, rows: list[ThirdPartyRow] | None = None) -> None:
        self.rows = list(rows or [])
        self.calls: list[tuple[str, Any, Any]] = []
        self.fail: Exception | None = None
        self.refuse: list[Problem] = []

    def _check(self) -> None:
        if self.refuse:
            problems, self.refuse = self.refuse, []
            raise ValidationError(problems)

    def third_parties_for_client(self, client_id: int) -> list[ThirdPartyRow]:
        if self.fail is not None:
            raise self.fail
        return list(self.rows)

    def _replace(self, row: ThirdPartyRow) -> ThirdPartyRow:
        self.rows = [row if r.id == row.id else r for r in self.rows]
        return row

    def add_third_party(self, client_id: int, data: ThirdPartyInput) -> ThirdPartyRow:
        self.calls.append(("add_third_party", client_id, data))
        self._check()
        n = len(self.rows) + 1
        row = ThirdPartyRow(
            id=10 + n,
            client_id=client_id,
            label=f"Person {n}",
            ended_on=None,
            ended_reason="",
            **dataclasses.asdict(data),
        )
        self.rows.append(row)
        return row

    def update_third_party(
        self, person_id: int, data: ThirdPartyInput, /, *, expected_version: int | None = None
    ) -> ThirdPartyRow:
        self.calls.append(("update_third_party", person_id, data))
        self._check()
        old = next(r for r in self.rows if r.id == person_id)
        return self._replace(dataclasses.replace(old, **dataclasses.asdict(data)))

    def end_third_party(
        self, third_party_id: int, *, ended_on: date, reason: str, today: date | None = None
    ) -> ThirdPartyRow:
        self.calls.append(("end_third_party", third_party_id, (ended_on, reason, today)))
        self._check()
        old = next(r for r in self.rows if r.id == third_party_id)
        return self._replace(dataclasses.replace(old, ended_on=ended_on, ended_reason=reason))

    def add_protective_measure(
        self, person_id: int, data: ProtectiveMeasureInput
    ) -> ProtectiveMeasureRow:
        self.calls.append(("add_protective_measure", person_id, data))
        self._check()
        old = next(r for r in self.rows if r.id == person_id)
        row = ProtectiveMeasureRow(
            100 + len(self.calls), person_id, data.kind, data.starts_on, data.ends_on,
            data.forbids, data.reference, None,
        )  # fmt: skip
        self._replace(dataclasses.replace(old, measures=(*old.measures, row)))
        return row

    def _measure(self, measure_id: int, **changes: Any) -> ProtectiveMeasureRow:
        person = next(p for p in self.rows if any(m.id == measure_id for m in p.measures))
        new = dataclasses.replace(next(m for m in person.measures if m.id == measure_id), **changes)
        measures = tuple(new if m.id == measure_id else m for m in person.measures)
        self._replace(dataclasses.replace(person, measures=measures))
        return new

    def update_protective_measure(
        self,
        measure_id: int,
        data: ProtectiveMeasureInput,
        /,
        *,
        expected_version: int | None = None,
    ) -> ProtectiveMeasureRow:
        self.calls.append(("update_protective_measure", measure_id, data))
        self._check()
        return self._measure(measure_id, **dataclasses.asdict(data))

    def revoke_protective_measure(
        self, measure_id: int, *, revoked_on: date
    ) -> ProtectiveMeasureRow:
        self.calls.append(("revoke_protective_measure", measure_id, revoked_on))
        self._check()
        return self._measure(measure_id, revoked_on=revoked_on)

    def actions(self) -> ThirdPartiesActions:
        return ThirdPartiesActions(
            third_parties_for_client=self.third_parties_for_client,
            add_third_party=self.add_third_party,
            update_third_party=self.update_third_party,
            end_third_party=self.end_third_party,
            add_protective_measure=self.add_protective_measure,
            update_protective_measure=self.update_protective_measure,
            revoke_protective_measure=self.revoke_protective_measure,
            today=lambda: TODAY,
        )

    def named(self, name: str) -> list[tuple[Any, Any]]:
        return [(target, data) for call, target, data in self.calls if call == name]


@pytest.fixture
def errors_shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(
        feedback, "show_error", lambda parent, error, title="": shown.append(error.message)
    )
    return shown


class DialogScript:
    """Replaces exec_dialog: each step fills in and saves (or cancels) the next dialog."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)
        self.seen: list[QDialog] = []

    def __call__(self, dialog: QDialog) -> int:
        self.seen.append(dialog)
        step = self.steps.pop(0) if self.steps else None
        if step is not None:
            step(dialog)
        if dialog.result() != QDialog.DialogCode.Accepted:
            dialog.reject()
        return dialog.result()


def make_tab(qtbot: Any, fake: FakeThirdParties) -> ThirdPartiesTab:
    tab = ThirdPartiesTab(CLIENT_ID, fake.actions())
    qtbot.addWidget(tab)
    tab.show()
    return tab


def cells(model: Any, row: int) -> list[str]:
    return [model.index(row, c).data() for c in range(model.columnCount())]


def problem_beside(dialog: QDialog, widget: QWidget) -> str:
    return widget.accessibleDescription()


# -- the list and the selected person --------------------------------------------------------


def test_an_empty_record_says_what_to_do(qtbot):
    tab = make_tab(qtbot, FakeThirdParties())
    assert tab.empty.isVisible() and tab.empty.text() == NO_PEOPLE
    assert NO_PEOPLE.startswith("No victims or other people recorded yet. Add the victim so that")
    assert not tab.splitter.isVisible()
    assert tab.add_button.isVisible()
    assert not tab.edit_button.isVisible() and not tab.end_button.isVisible()


def test_each_person_is_listed_and_the_selected_one_shown_in_full(qtbot):
    tab = make_tab(qtbot, FakeThirdParties([SARAH, TOM]))
    assert cells(tab.proxy, 0) == [
        "Person 1", "Victim", "Sarah Jones", "2 in force, 1 EXPIRING", "Current",
    ]  # fmt: skip
    assert cells(tab.proxy, 1) == [
        "Person 2", "Victim's new partner", "Tom Reed", "None recorded", "Ended on 01/02/2026",
    ]  # fmt: skip
    expiring = tab.proxy.index(0, PersonColumn.PROTECTION)
    assert expiring.data(Qt.ItemDataRole.FontRole).bold()
    assert expiring.data(Qt.ItemDataRole.DecorationRole) is not None
    shown = tab.details.toPlainText()
    for text in (
        "Sarah Smith", "sj_runs", "14 Elm Road, Leyton, E10 5AB", "Works at Riverside Library",
        "07700 900123", "sarah.jones@example.org", "AB12 CDE", "Paladin National Stalking",
        "A. Advocate, 020 7946 0000", "fears he will come to her workplace", "Former partner.",
    ):  # fmt: skip
        assert text in shown
    assert [cells(tab.measures_proxy, r)[:4] for r in range(3)] == [
        ["Stalking protection order", "In force", "10/01/2026", "09/01/2028"],
        ["Bail conditions", "EXPIRING: ends in 14 days", "01/03/2026", "01/04/2026"],
        ["Restraining order", "Revoked on 01/06/2025", "01/01/2024", "01/01/2027"],
    ]
    assert "Not recorded" not in shown  # everything about her was recorded
    assert tab.measure_details.toPlainText().startswith(
        "Stalking protection order: In force. From 10/01/2026 until 09/01/2028. "
        "Reference: SPO 2026/114."
    )
    assert "Contacting Sarah by any means; entering Elm Road." in tab.measure_details.toPlainText()
    assert tab.measures_proxy.index(1, 1).data(Qt.ItemDataRole.FontRole).bold()
    assert tab.measures_proxy.index(0, 1).data(Qt.ItemDataRole.FontRole) is None
    assert tab.select_person(TOM.id)
    assert "RECORD ENDED on 01/02/2026" in tab.details.toPlainText()
    assert "Moved abroad." in tab.details.toPlainText()
    assert "Not recorded: other names, addresses and places, phone numbers" in (
        tab.details.toPlainText()
    )
    assert tab.no_measures.isVisible() and tab.no_measures.text() == NO_MEASURES
    assert not tab.end_button.isEnabled()  # already ended: nothing to do, and the tip says so
    assert not tab.revoke_button.isVisible()


def test_a_load_failure_is_said_plainly(qtbot):
    fake = FakeThirdParties([SARAH])
    fake.fail = AccessDenied("You do not have access to this client's record.")
    tab = make_tab(qtbot, fake)
    assert tab.empty.text().startswith("The people recorded could not be loaded.")
    assert "You do not have access" in tab.empty.text()
    assert not tab.add_button.isVisible() and not tab.splitter.isVisible()


# -- the forms ------------------------------------------------------------------------------------


def fill_person(dialog: PersonDialog) -> None:
    dialog.relation.setCurrentIndex(0)
    dialog.name.setText("Sarah Jones")
    dialog.aliases.setPlainText("Sarah Smith\n\n  sj_runs  \n")
    dialog.addresses.setPlainText("14 Elm Road, Leyton, E10 5AB\nWorks at Riverside Library")
    dialog.phones.setPlainText("07700 900123")
    dialog.emails.setPlainText("sarah.jones@example.org")
    dialog.vehicles.setPlainText("AB12 CDE")
    dialog.advocate_service.setText("Paladin")
    dialog.advocate_contact.setPlainText("A. Advocate")
    dialog.wishes.setPlainText("No contact.")
    dialog.details.setPlainText("Former partner.")
    dialog.save_button.click()


def test_adding_a_person_takes_one_entry_a_line(qtbot, monkeypatch):
    fake = FakeThirdParties()
    tab = make_tab(qtbot, fake)
    changed = []
    tab.changed.connect(lambda: changed.append(True))
    monkeypatch.setattr(view, "exec_dialog", DialogScript(fill_person))
    row = tab.open_add_person()
    [(client, data)] = fake.named("add_third_party")
    assert client == CLIENT_ID
    assert data.relation is V.VICTIM and data.name == "Sarah Jones"
    assert data.aliases == ("Sarah Smith", "sj_runs")  # blank lines left out, spaces trimmed
    assert data.addresses == ("14 Elm Road, Leyton, E10 5AB", "Works at Riverside Library")
    assert (data.phones, data.emails, data.vehicles) == (
        ("07700 900123",),
        ("sarah.jones@example.org",),
        ("AB12 CDE",),
    )
    assert (data.advocate_contact, data.wishes_and_concerns) == ("A. Advocate", "No contact.")
    assert row is not None and tab.selected_person() == row
    assert tab.message.text() == "Person 1 (victim) added."
    assert changed == [True] and tab.splitter.isVisible()


def test_the_services_problems_are_shown_beside_their_fields_and_the_text_stays(qtbot, monkeypatch):
    fake = FakeThirdParties()
    tab = make_tab(qtbot, fake)
    fake.refuse = [
        Problem("phones", "'call me' does not look like one of the phone numbers."),
        Problem("name", "The name is required."),
        Problem("elsewhere", "Something about the whole form."),
    ]
    kept: dict[str, Any] = {}

    def try_once(dialog: PersonDialog) -> None:
        dialog.phones.setPlainText("call me")
        dialog.save_button.click()
        kept["accepted"] = dialog.result() == QDialog.DialogCode.Accepted
        kept["phones"] = dialog.phones.toPlainText()
        kept["phones problem"] = dialog.phones.accessibleDescription()
        kept["name problem"] = dialog.name.accessibleDescription()
        kept["general"] = dialog.general_errors.text()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(try_once))
    assert tab.open_add_person() is None
    assert kept == {
        "accepted": False,
        "phones": "call me",
        "phones problem": "'call me' does not look like one of the phone numbers.",
        "name problem": "The name is required.",
        "general": "Something about the whole form.",
    }
    assert fake.rows == [] and tab.empty.isVisible()


def test_editing_starts_from_what_is_recorded(qtbot, monkeypatch):
    fake = FakeThirdParties([SARAH])
    tab = make_tab(qtbot, fake)

    def change(dialog: PersonDialog) -> None:
        assert dialog.name.text() == "Sarah Jones"
        assert dialog.aliases.toPlainText() == "Sarah Smith\nsj_runs"
        assert dialog.relation.currentText() == "Victim"
        dialog.phones.setPlainText("07700 900123\n07700 900999")
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(change))
    tab.open_edit_person()
    [(person_id, data)] = fake.named("update_third_party")
    assert person_id == SARAH.id and data.phones == ("07700 900123", "07700 900999")
    assert data.aliases == SARAH.aliases and data.vehicles == SARAH.vehicles
    assert "07700 900999" in tab.details.toPlainText()


def test_ending_a_record_asks_the_date_and_reason(qtbot, monkeypatch, errors_shown):
    fake = FakeThirdParties([SARAH])
    tab = make_tab(qtbot, fake)
    fake.refuse = [Problem("reason", "The reason is required.")]

    def end(dialog: EndPersonDialog) -> None:
        assert dialog.ended_on.maximumDate() == to_qdate(TODAY)
        dialog.save_button.click()  # no reason: refused, the form stays
        assert dialog.reason.accessibleDescription() == "The reason is required."
        dialog.ended_on.setDate(to_qdate(date(2026, 3, 10)))
        dialog.reason.setPlainText("No longer at risk: moved abroad.")
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(end))
    row = tab.open_end_person()
    assert row is not None and row.ended_on == date(2026, 3, 10)
    assert fake.named("end_third_party")[-1] == (
        SARAH.id,
        (date(2026, 3, 10), "No longer at risk: moved abroad.", TODAY),
    )
    assert tab.message.text() == "The record of Person 1 ended on 10/03/2026."
    assert not tab.end_button.isEnabled()
    assert tab.open_end_person() is None
    assert errors_shown == ["This person's record has already been ended."]


def test_a_measure_is_added_with_or_without_an_end_date(qtbot, monkeypatch, errors_shown):
    fake = FakeThirdParties([SARAH])
    tab = make_tab(qtbot, fake)

    def no_kind(dialog: MeasureDialog) -> None:
        dialog.forbids.setPlainText("Not to contact her.")
        dialog.save_button.click()
        assert dialog.kind.accessibleDescription() == "Choose the kind of measure."

    def licence(dialog: MeasureDialog) -> None:
        no_kind(dialog)
        dialog.kind.setCurrentIndex(dialog.kind.findText("Licence conditions"))
        dialog.starts_on.setDate(to_qdate(date(2026, 3, 1)))
        dialog.has_end.setChecked(False)
        assert not dialog.ends_on.isEnabled()
        dialog.reference.setText("HMPPS 77")
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(licence))
    row = tab.open_add_measure()
    assert row is not None
    [(person_id, data)] = fake.named("add_protective_measure")
    assert person_id == SARAH.id
    assert data == ProtectiveMeasureInput(
        ProtectiveMeasureKind.LICENCE_CONDITIONS,
        date(2026, 3, 1),
        "Not to contact her.",
        None,
        "HMPPS 77",
    )
    assert tab.selected_measure() == row
    assert cells(tab.measures_proxy, 3)[1:4] == ["In force", "01/03/2026", "No end date"]
    assert tab.message.text() == "Licence conditions recorded for Person 1."


def test_a_measure_is_corrected_and_revoked(qtbot, monkeypatch, errors_shown):
    fake = FakeThirdParties([SARAH])
    tab = make_tab(qtbot, fake)
    bail = SARAH.measures[1]
    assert tab.measure_rows.select_id(bail.id)

    def vary(dialog: MeasureDialog) -> None:
        assert dialog.kind.currentText() == "Bail conditions" and dialog.has_end.isChecked()
        dialog.ends_on.setDate(to_qdate(date(2026, 9, 1)))
        dialog.save_button.click()

    def revoke(dialog: RevokeMeasureDialog) -> None:
        dialog.revoked_on.setDate(to_qdate(date(2026, 3, 15)))
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(vary, revoke))
    assert tab.open_edit_measure() is not None
    assert fake.named("update_protective_measure")[0][1].ends_on == date(2026, 9, 1)
    assert cells(tab.measures_proxy, 1)[1] == "In force"  # no longer expiring
    assert tab.selected_measure() is not None and tab.selected_measure().id == bail.id
    revoked = tab.open_revoke_measure()
    assert revoked is not None and revoked.revoked_on == date(2026, 3, 15)
    assert cells(tab.measures_proxy, 1)[1] == "Revoked on 15/03/2026"
    assert not tab.revoke_button.isEnabled()
    assert tab.open_revoke_measure() is None
    assert errors_shown == ["This measure is already recorded as revoked."]


def test_cancelling_a_form_changes_nothing(qtbot, monkeypatch):
    fake = FakeThirdParties([SARAH])
    tab = make_tab(qtbot, fake)
    monkeypatch.setattr(view, "exec_dialog", DialogScript(None, None, None, None))
    assert tab.open_add_person() is None
    assert tab.open_edit_person() is None
    assert tab.open_add_measure() is None
    assert tab.open_revoke_measure() is None
    assert fake.calls == [] and fake.rows == [SARAH]


# -- what every form offers a keyboard and screen-reader user -----------------------------------


def all_dialogs(qtbot: Any) -> list[QDialog]:
    dialogs: list[QDialog] = [
        PersonDialog(lambda data: SARAH),
        PersonDialog(lambda data: SARAH, existing=SARAH),
        EndPersonDialog(SARAH, lambda on, reason: SARAH, today=TODAY),
        MeasureDialog(SARAH, lambda data: SARAH.measures[0], today=TODAY),
        MeasureDialog(
            SARAH, lambda data: SARAH.measures[0], existing=SARAH.measures[0], today=TODAY
        ),
        RevokeMeasureDialog(SARAH, SARAH.measures[0], lambda on: SARAH.measures[0], today=TODAY),
    ]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
    return dialogs


def _controls(root: QWidget) -> list[QWidget]:
    return [
        w
        for w in root.findChildren(QWidget)
        if isinstance(
            w, QLineEdit | QComboBox | QPlainTextEdit | QCheckBox | QPushButton | QAbstractSpinBox
        )
        if not isinstance(w.parentWidget(), QComboBox | QAbstractSpinBox)
    ]


def test_every_control_has_an_accessible_name_and_its_own_access_key(qtbot):
    for dialog in all_dialogs(qtbot):
        unnamed = [w for w in _controls(dialog) if not w.accessibleName()]
        assert unnamed == [], dialog.windowTitle()
        names = [w.accessibleName() for w in _controls(dialog)]
        assert len(names) == len(set(names)), dialog.windowTitle()  # kept at lock by name
        texts = [
            w.text()
            for w in dialog.findChildren(QWidget)
            if isinstance(w, QLabel | QPushButton | QCheckBox)
        ]
        letters = [t[t.index("&") + 1].lower() for t in texts if "&" in t]
        assert len(letters) == len(set(letters)), f"{dialog.windowTitle()}: {letters}"
        for label in dialog.findChildren(QLabel):
            if "&" in label.text():
                assert label.buddy() is not None, label.text()


def test_enter_saves_and_never_cancels(qtbot):
    for dialog in all_dialogs(qtbot):
        dialog.show()
        assert dialog.save_button.isDefault(), dialog.windowTitle()
        assert not dialog.cancel_button.isDefault() and not dialog.cancel_button.autoDefault()
        dialog.reject()


def test_the_tab_is_named_for_a_screen_reader(qtbot):
    tab = make_tab(qtbot, FakeThirdParties([SARAH, TOM]))
    unnamed = [w for w in _controls(tab) if not w.accessibleName()]
    assert unnamed == []
    assert tab.table.accessibleName() and tab.measures_table.accessibleName()
    assert tab.details.accessibleName() == "The selected person in full"


def test_every_form_comes_back_after_a_lock(qtbot, monkeypatch):
    fake = FakeThirdParties([SARAH, TOM])
    tab = make_tab(qtbot, fake)
    shown: list[dict[str, Any]] = []

    def fake_exec(dialog: QDialog) -> int:
        shown.append(input_state(dialog))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(view, "exec_dialog", fake_exec)
    assert tab.reopen_form("add_person", {}, {"Name": "Canary-12 Sarah"})
    assert shown[-1]["Name"] == "Canary-12 Sarah"
    assert tab.reopen_form("edit_person", {"person_id": SARAH.id}, {"Other details": "Canary-13"})
    assert shown[-1]["Other details"] == "Canary-13"
    assert tab.reopen_form(
        "end_person", {"person_id": SARAH.id}, {"Reason for ending the record": "Canary-14"}
    )
    assert shown[-1]["Reason for ending the record"] == "Canary-14"
    assert tab.reopen_form("add_measure", {"person_id": SARAH.id}, {"What it forbids": "C-15"})
    assert shown[-1]["What it forbids"] == "C-15"
    assert tab.reopen_form("edit_measure", {"measure_id": 2}, {"Reference": "C-16"})
    assert shown[-1]["Reference"] == "C-16"
    assert tab.reopen_form("revoke_measure", {"measure_id": 1}, {})
    # What is gone, or can no longer be done, is not reopened.
    assert not tab.reopen_form("end_person", {"person_id": TOM.id}, {})
    assert not tab.reopen_form("revoke_measure", {"measure_id": 3}, {})
    assert not tab.reopen_form("edit_person", {"person_id": 999}, {})
    assert not tab.reopen_form("no such form", {}, {})
    assert fake.calls == []


# -- through the real services -------------------------------------------------------------------


def test_adding_a_victim_and_an_order_through_the_real_services(
    qtbot, monkeypatch, db, psychologist, client_id
):
    from clinic_app.services import third_parties
    from clinic_app.services.workspace import Workspace

    workspace = Workspace(db, psychologist)
    actions = ThirdPartiesActions(
        third_parties_for_client=workspace.bind(third_parties.third_parties_for_client),
        add_third_party=workspace.bind(third_parties.add_third_party),
        update_third_party=workspace.bind(third_parties.update_third_party),
        end_third_party=workspace.bind(third_parties.end_third_party),
        add_protective_measure=workspace.bind(third_parties.add_protective_measure),
        update_protective_measure=workspace.bind(third_parties.update_protective_measure),
        revoke_protective_measure=workspace.bind(third_parties.revoke_protective_measure),
        today=lambda: TODAY,
    )
    tab = ThirdPartiesTab(client_id, actions)
    qtbot.addWidget(tab)
    seen: dict[str, str] = {}

    def bad_then_good(dialog: PersonDialog) -> None:
        dialog.name.setText("Sarah Jones")
        dialog.phones.setPlainText("07700 900123\ncall me")
        dialog.vehicles.setPlainText("ab12 cde")
        dialog.save_button.click()
        seen["phones"] = dialog.phones.accessibleDescription()
        assert workspace.call(third_parties.third_parties_for_client, client_id) == ()
        dialog.phones.setPlainText("07700 900123")
        dialog.save_button.click()

    def order(dialog: MeasureDialog) -> None:
        dialog.kind.setCurrentIndex(dialog.kind.findText("Interim stalking protection order"))
        dialog.starts_on.setDate(to_qdate(date(2026, 3, 1)))
        dialog.ends_on.setDate(to_qdate(date(2026, 2, 1)))  # before it starts: refused
        dialog.forbids.setPlainText("Contacting Sarah by any means.")
        dialog.save_button.click()
        seen["ends_on"] = dialog.ends_on.accessibleDescription()
        dialog.ends_on.setDate(to_qdate(date(2026, 4, 1)))
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(bad_then_good, order))
    assert tab.open_add_person() is not None
    assert seen["phones"] == "'call me' does not look like one of the phone numbers."
    assert cells(tab.proxy, 0) == ["Person 1", "Victim", "Sarah Jones", "None recorded", "Current"]
    assert "AB12 CDE" in tab.details.toPlainText()  # as the service keeps it
    assert tab.open_add_measure() is not None
    assert seen["ends_on"] == "The end date cannot be before the start date."
    assert cells(tab.measures_proxy, 0)[:2] == [
        "Interim stalking protection order",
        "EXPIRING: ends in 14 days",
    ]
    shown = workspace.call(third_parties.protection, client_id, TODAY)
    assert shown.expiring == (("Interim stalking protection order", date(2026, 4, 1)),)


def test_an_edit_over_a_colleagues_change_shows_both_and_loses_neither(
    qtbot, monkeypatch, db, psychologist, clinician, client_id
):
    from clinic_app.services import clients, third_parties
    from clinic_app.services.workspace import Workspace
    from clinic_app.views.common.conflict import ConflictDialog

    workspace = Workspace(db, psychologist)
    workspace.call(clients.assign_staff, client_id, clinician.id)
    person = workspace.call(third_parties.add_third_party, client_id, SARAH.as_input())
    actions = ThirdPartiesActions(
        third_parties_for_client=workspace.bind(third_parties.third_parties_for_client),
        add_third_party=workspace.bind(third_parties.add_third_party),
        update_third_party=workspace.bind(third_parties.update_third_party),
        end_third_party=workspace.bind(third_parties.end_third_party),
        add_protective_measure=workspace.bind(third_parties.add_protective_measure),
        update_protective_measure=workspace.bind(third_parties.update_protective_measure),
        revoke_protective_measure=workspace.bind(third_parties.revoke_protective_measure),
        today=lambda: TODAY,
    )
    tab = ThirdPartiesTab(client_id, actions)
    qtbot.addWidget(tab)
    shown: dict[str, object] = {}

    def edit(dialog: PersonDialog) -> None:
        # A colleague saves the advocate's contact while this form is open.
        Workspace(db, clinician).call(
            third_parties.update_third_party,
            person.id,
            dataclasses.replace(SARAH.as_input(), advocate_contact="B. Advocate, 020 7946 1111"),
            expected_version=person.version,
        )
        dialog.wishes.setPlainText("No contact at her workplace.")
        dialog.save_button.click()
        (conflict,) = dialog.findChildren(ConflictDialog)
        shown["parts"] = set(conflict.mine)
        conflict.save_mine_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(edit))
    assert tab.open_edit_person(person) is not None
    assert shown["parts"] == {"wishes_and_concerns"}  # only what this user changed
    (now,) = workspace.call(third_parties.third_parties_for_client, client_id)
    assert now.wishes_and_concerns == "No contact at her workplace."
    assert now.advocate_contact == "B. Advocate, 020 7946 1111"  # the colleague's, kept


# -- the Overview ------------------------------------------------------------------------------


def overview(qtbot: Any, protection: Any) -> OverviewTab:
    tab = OverviewTab(CLIENT_ID, dataclasses.replace(Fakes().actions(), protection=protection))
    qtbot.addWidget(tab)
    return tab


def test_the_overview_says_what_protects_the_victim_without_naming_anyone(qtbot):
    asked = []

    def protection(client_id: int, today: date) -> Protection:
        asked.append((client_id, today))
        return Protection(
            people=2,
            victims=1,
            measures_in_force=(
                ("Bail conditions", date(2026, 3, 16)),
                ("Stalking protection order", None),
            ),
            expiring=(("Bail conditions", date(2026, 3, 16)),),
        )

    tab = overview(qtbot, protection)
    assert asked == [(CLIENT_ID, date(2026, 3, 2))]
    assert tab.third_parties.text() == "2 people (1 victim)"
    assert tab.measures_in_force.text() == (
        "Bail conditions, until 16/03/2026 (EXPIRING SOON)\nStalking protection order, no end date"
    )
    assert not tab.expiring_warning.isHidden()
    assert tab.expiring_warning.text() == (
        "Warning: ending soon: Bail conditions on 16/03/2026 (in 14 days). Check whether it is "
        "being renewed or replaced. See the Victims and others tab."
    )


def test_the_overview_with_no_one_recorded_says_where_to_add_them(qtbot):
    tab = overview(qtbot, lambda client_id, today: Protection(0, 0, (), ()))
    assert tab.third_parties.text() == NO_THIRD_PARTIES
    assert tab.measures_in_force.text() == "None in force."
    assert tab.expiring_warning.isHidden()
    without = OverviewTab(CLIENT_ID, Fakes().actions())
    qtbot.addWidget(without)
    assert without.protection_box.isHidden()
