"""The Referrals tab, its dialogs, the letter review, and the service directory (fakes)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTableView,
    QWidget,
)

from clinic_app.errors import ClinicError, InvalidTransition, Problem, ValidationError
from clinic_app.models.enums import (
    DisclosureKind,
    Gateway,
    ReferralStatus,
    ReferralUrgency,
    ServiceKind,
)
from clinic_app.reports import referral_letter
from clinic_app.reports.content import LetterFacts
from clinic_app.services.referrals import (
    ReferralRow,
    StatusChangeRow,
    allowed_next,
    transition_problem,
)
from clinic_app.services.service_directory import ServiceRow
from clinic_app.services.sharing.disclosures import DisclosureRow
from clinic_app.services.sharing.letters import IssuedLetter, LetterPreview, ReferralWording
from clinic_app.views.common import feedback
from clinic_app.views.referrals import dialogs as referral_dialogs
from clinic_app.views.referrals import models as referral_models
from clinic_app.views.referrals import services_directory as directory
from clinic_app.views.referrals import tab as view
from clinic_app.views.referrals.actions import ReferralsActions
from clinic_app.views.referrals.dialogs import ChangeStatusDialog, LetterDialog, NewReferralDialog
from clinic_app.views.referrals.models import (
    CLOSED_CANNOT_CHANGE,
    NO_REFERRALS,
    NO_SERVICES,
    ReferralColumn,
    ReferralTableModel,
)
from clinic_app.views.referrals.services_directory import (
    ServiceDialog,
    ServicesActions,
    ServicesDirectoryDialog,
    ServicesDirectoryView,
)
from clinic_app.views.referrals.tab import ReferralsTab

S = ReferralStatus
CLIENT = 7
TODAY = date(2026, 3, 18)
PD = ServiceRow(1, "North PD Service", ServiceKind.PERSONALITY_DISORDER, 42, "Ward 4", "3457005")
TALKING = ServiceRow(2, "Talking Therapies South", ServiceKind.TALKING_THERAPIES, 21, "01632")
RETIRED = ServiceRow(3, "Old Alcohol Team", ServiceKind.SUBSTANCE_MISUSE, 14, active=False)
SERVICES = [PD, TALKING, RETIRED]


def change(frm: ReferralStatus | None, to: ReferralStatus, on: date, note: str = "") -> Any:
    return StatusChangeRow(
        frm, to, on, note, 2, "Dr Jones", datetime(on.year, on.month, on.day, 10, tzinfo=UTC)
    )


def referral(
    ident: int,
    status: ReferralStatus,
    *,
    service: ServiceRow = PD,
    created: date = date(2026, 1, 10),
    sent: date | None = date(2026, 1, 12),
    history: tuple[StatusChangeRow, ...] | None = None,
    reason: str = "PRIVATE-REASON emotional instability",
) -> ReferralRow:
    if history is None:
        history = (change(None, S.DRAFT, created),)
        if status is not S.DRAFT:
            history += (change(S.DRAFT, status, sent or created),)
    return ReferralRow(
        ident,
        CLIENT,
        service.id,
        reason,
        ReferralUrgency.ROUTINE,
        status,
        created,
        sent if status is not S.DRAFT else None,
        False,
        None,
        1,
        clinical_detail="PRIVATE-DETAIL sertraline",
        service_name=service.name,
        expected_response_days=service.expected_response_days,
        history=history,
        created_by=2,
    )


def letter_pdf() -> bytes:
    facts = LetterFacts(
        1, CLIENT, TODAY, PD.name, "Personality disorder service", "Ward 4", None,
        "Alex Example", date(1985, 4, 12), "9434765919", "", "MASIP-0001", False, "Routine",
        "Sent", date(2026, 1, 10), date(2026, 1, 12), "Reason.", "", False, None, (),
        "Dr Jones", "", "",
    )  # fmt: skip
    frame = referral_letter.letter_frame(facts, document_id="doc-1", issued_on=TODAY)
    return referral_letter.render_referral_letter(facts, frame)


class FakeReferrals:
    """Stands in for the referral services: keeps rows, records calls, applies their rules."""

    def __init__(self, rows: list[ReferralRow] | None = None) -> None:
        self.rows = list(rows or [])
        self.services = list(SERVICES)
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []
        self.fail: Exception | None = None
        self.fail_next_change: Exception | None = None
        self.pdf = letter_pdf()

    def referrals_for_client(self, client_id: int) -> list[ReferralRow]:
        self.calls.append(("referrals_for_client", client_id, {}))
        if self.fail is not None:
            raise self.fail
        return list(self.rows)

    def service_directory(self) -> list[ServiceRow]:
        return list(self.services)

    def create_referral(self, client_id: int, **kwargs: Any) -> ReferralRow:
        self.calls.append(("create_referral", client_id, kwargs))
        problems = []
        if not kwargs["reason"].strip():
            problems.append(Problem("reason", "The reason for referral is required."))
        if kwargs["fact_shareable"] and kwargs["share_gateway"] is None:
            problems.append(Problem("share_gateway", "Record the consent or gateway."))
        if problems:
            raise ValidationError(problems)
        service = next(s for s in self.services if s.id == kwargs["service_id"])
        row = dataclasses.replace(
            referral(100 + len(self.rows), S.DRAFT, service=service, created=TODAY, sent=None),
            reason=kwargs["reason"],
            urgency=kwargs["urgency"],
        )
        self.rows.append(row)
        return row

    def change_status(self, referral_id: int, to: ReferralStatus, **kwargs: Any) -> ReferralRow:
        self.calls.append(("change_status", (referral_id, to), kwargs))
        if self.fail_next_change is not None:
            error, self.fail_next_change = self.fail_next_change, None
            raise error
        row = next(r for r in self.rows if r.id == referral_id)
        problem = transition_problem(row.status, to)
        if problem:
            raise InvalidTransition(problem)
        if to is S.DECLINED and not kwargs["note"].strip():
            raise ValidationError([Problem("note", "The reason for declining is required.")])
        updated = dataclasses.replace(
            row,
            status=to,
            version=row.version + 1,
            history=(*row.history, change(row.status, to, kwargs["on"], kwargs["note"])),
        )
        self.rows = [updated if r.id == referral_id else r for r in self.rows]
        return updated

    def preview_referral_letter(
        self, referral_id: int, *, wording: ReferralWording | None = None
    ) -> LetterPreview:
        self.calls.append(("preview_referral_letter", referral_id, {}))
        return LetterPreview(
            referral_id,
            "doc-1",
            TODAY,
            self.pdf,
            "a" * 64,
            PD.name,
            "Referral letter MASIP-0001 2026-03-18.pdf",
        )

    def issue_referral_letter(self, referral_id: int, out: Path, **kwargs: Any) -> IssuedLetter:
        self.calls.append(("issue_referral_letter", (referral_id, out), kwargs))
        if not kwargs["client_informed"] and not kwargs["client_not_informed_reason"].strip():
            message = "The reason the client has not been told is required."
            raise ValidationError([Problem("client_not_informed_reason", message)])
        row = DisclosureRow(
            1, "doc-1", CLIENT, "MASIP-0001", DisclosureKind.REFERRAL_LETTER, "clinical",
            PD.name, "", "Referral", kwargs["gateway"], 2, "Dr Jones", kwargs["client_informed"],
            kwargs["client_not_informed_reason"], None, None, kwargs["expected_sha256"],
            datetime(2026, 3, 18, 12, tzinfo=UTC), referral_id, None,
        )  # fmt: skip
        return IssuedLetter(row, out, kwargs["expected_sha256"])

    def actions(self) -> ReferralsActions:
        return ReferralsActions(
            referrals_for_client=self.referrals_for_client,
            service_directory=self.service_directory,
            create_referral=self.create_referral,
            change_status=self.change_status,
            preview_referral_letter=self.preview_referral_letter,
            issue_referral_letter=self.issue_referral_letter,
            today=lambda: TODAY,
        )

    def named(self, name: str) -> list[tuple[Any, dict[str, Any]]]:
        return [(target, kwargs) for call, target, kwargs in self.calls if call == name]


@pytest.fixture
def errors_shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Known errors that would be shown in a message box, captured instead."""
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


def make_tab(qtbot: Any, fake: FakeReferrals) -> ReferralsTab:
    tab = ReferralsTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    return tab


def cells(model: Any, row: int) -> list[str]:
    return [model.index(row, c).data() for c in range(model.columnCount())]


def unnamed_controls(widget: QWidget) -> list[str]:
    kinds = (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, QDateEdit, QSpinBox, QTableView)
    return [
        f"{type(w).__name__} {getattr(w, 'text', lambda: '')()}"
        for w in widget.findChildren(QWidget)
        if isinstance(w, kinds)
        and not w.accessibleName()
        and w.isVisibleTo(widget)
        # Parts of another control (a table's corner button, a spin box's text) are named
        # through that control.
        and not isinstance(w.parent(), (QAbstractItemView, QAbstractSpinBox, QComboBox))
    ]


# -- the list -------------------------------------------------------------------------------------


OVERDUE = referral(1, S.SENT, created=date(2026, 1, 10), sent=date(2026, 1, 12))  # due 23 Feb
ACCEPTED = referral(
    2,
    S.ACCEPTED,
    service=TALKING,
    created=date(2026, 2, 20),
    history=(
        change(None, S.DRAFT, date(2026, 2, 20)),
        change(S.DRAFT, S.SENT, date(2026, 2, 21)),
        change(S.SENT, S.ACKNOWLEDGED, date(2026, 2, 25), "Letter received."),
        change(S.ACKNOWLEDGED, S.ACCEPTED, date(2026, 3, 1)),
    ),
)
DECLINED = referral(
    3,
    S.DECLINED,
    created=date(2025, 12, 1),
    history=(
        change(None, S.DRAFT, date(2025, 12, 1)),
        change(S.DRAFT, S.SENT, date(2025, 12, 2)),
        change(S.SENT, S.DECLINED, date(2025, 12, 20), "Does not meet the criteria."),
    ),
)
CLOSED = referral(4, S.CLOSED, created=date(2025, 6, 1))


def test_model_passes_the_model_tester(qtbot, qtmodeltester):
    model = ReferralTableModel()
    model.set_rows([OVERDUE, ACCEPTED, DECLINED, CLOSED], TODAY)
    qtmodeltester.check(model)
    tab = make_tab(qtbot, FakeReferrals([OVERDUE, ACCEPTED]))
    qtmodeltester.check(tab.proxy)


def test_the_list_shows_status_and_follow_up_in_words(qtbot):
    tab = make_tab(qtbot, FakeReferrals([OVERDUE, ACCEPTED, DECLINED, CLOSED]))
    assert [r.id for r in tab.referrals()] == [2, 1, 3, 4]  # newest written first
    model = tab.model
    rows = {model.item(r).id: cells(model, r) for r in range(model.rowCount())}
    assert rows[1] == [
        "North PD Service",
        "Routine",
        "Sent",
        "OVERDUE",  # sent 12 January, 42 days: due 23 February
        "10/01/2026",
        "12/01/2026",
        "No",
    ]
    assert rows[2][ReferralColumn.FOLLOW_UP] == "On track"
    assert rows[3][ReferralColumn.FOLLOW_UP] == "Awaiting action"
    assert rows[4][ReferralColumn.FOLLOW_UP] == "On track"
    overdue = model.index([r.id for r in model.items()].index(1), ReferralColumn.FOLLOW_UP)
    assert "Overdue by 23 days" in overdue.data(Qt.ItemDataRole.ToolTipRole)
    assert overdue.data(Qt.ItemDataRole.FontRole).bold()
    assert overdue.data(Qt.ItemDataRole.DecorationRole) is not None  # not colour alone


def test_the_selected_referral_shows_in_full_with_its_history(qtbot):
    tab = make_tab(qtbot, FakeReferrals([OVERDUE, ACCEPTED, DECLINED]))
    assert tab.select_referral(2)
    text = tab.details.toPlainText()
    assert "Referral to Talking Therapies South" in text
    assert "Status: Accepted since 1 March 2026" in text
    assert "PRIVATE-REASON emotional instability" in text
    assert "PRIVATE-DETAIL sertraline" in text
    assert "Sent → Acknowledged" in text and "Letter received." in text
    assert "Dr Jones" in text
    assert tab.select_referral(3)
    declined = tab.details.toPlainText()
    assert "Reason given for declining" in declined
    assert "Does not meet the criteria." in declined
    assert "Awaiting action." in declined
    assert not tab.select_referral(999)


def test_no_referrals_shows_words_and_no_dead_buttons(qtbot):
    tab = make_tab(qtbot, FakeReferrals([]))
    tab.show()
    assert tab.empty.isVisible() and tab.empty.text() == NO_REFERRALS
    assert not tab.splitter.isVisible()
    assert tab.new_button.isVisible()
    assert not tab.status_button.isVisible() and not tab.letter_button.isVisible()


def test_a_loading_failure_is_said_in_words(qtbot):
    fake = FakeReferrals([OVERDUE])
    fake.fail = ClinicError("The database is busy. Try again.")
    tab = make_tab(qtbot, fake)
    assert tab.empty.text() == "Referrals could not be loaded. The database is busy. Try again."


def test_every_control_has_an_accessible_name(qtbot):
    tab = make_tab(qtbot, FakeReferrals([OVERDUE, ACCEPTED]))
    assert unnamed_controls(tab) == []
    for dialog in (
        NewReferralDialog(CLIENT, SERVICES, FakeReferrals().create_referral),
        ChangeStatusDialog(OVERDUE, FakeReferrals().change_status, today=TODAY),
        LetterDialog(OVERDUE, FakeReferrals().preview_referral_letter(1), lambda *a, **k: None),
    ):
        qtbot.addWidget(dialog)
        assert unnamed_controls(dialog) == [], type(dialog).__name__


# -- new referral ---------------------------------------------------------------------------------


def test_a_new_referral_is_saved_as_a_draft(qtbot, monkeypatch):
    fake = FakeReferrals([OVERDUE])
    tab = make_tab(qtbot, fake)

    def fill(dialog: NewReferralDialog) -> None:
        # Only services in use are offered.
        assert [s.name for s in dialog.services] == [PD.name, TALKING.name]
        dialog.service.setCurrentIndex(0)
        dialog.urgency_buttons[ReferralUrgency.URGENT].setChecked(True)
        dialog.reason.setPlainText("Assessment for personality disorder.")
        dialog.clinical_detail.setPlainText("Two admissions in 2024.")
        dialog.share_yes.setChecked(True)
        dialog.gateway.setCurrentIndex(referral_models.LETTER_GATEWAYS.index(Gateway.CONSENT))
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(fill))
    with qtbot.waitSignal(tab.changed):
        row = tab.open_new_referral()
    assert row is not None
    ((client, kwargs),) = fake.named("create_referral")
    assert client == CLIENT
    assert kwargs == {
        "service_id": PD.id,
        "reason": "Assessment for personality disorder.",
        "urgency": ReferralUrgency.URGENT,
        "clinical_detail": "Two admissions in 2024.",
        "fact_shareable": True,
        "share_gateway": Gateway.CONSENT,
    }
    assert tab.selected_referral() == row
    assert tab.message.text() == "Draft referral to North PD Service saved."


def test_new_referral_problems_show_beside_their_fields(qtbot, errors_shown):
    fake = FakeReferrals()
    dialog = NewReferralDialog(CLIENT, SERVICES, fake.create_referral)
    qtbot.addWidget(dialog)
    dialog.reason.setPlainText("Typed text stays.")
    dialog.save_button.click()  # no service chosen
    assert fake.named("create_referral") == []
    assert not dialog.gateway.isEnabled()  # a gateway only matters when sharing
    label = dialog.errors._fields["service"][1]
    assert label.text() == "Choose the service to refer to."
    dialog.service.setCurrentIndex(1)
    dialog.reason.setPlainText("   ")
    dialog.share_yes.setChecked(True)
    assert dialog.gateway.isEnabled()
    dialog.save_button.click()
    assert dialog.errors._fields["reason"][1].text() == "The reason for referral is required."
    assert dialog.errors._fields["share_gateway"][1].text() == "Record the consent or gateway."
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert errors_shown == []


def test_with_no_service_in_use_the_user_is_told_why(qtbot, monkeypatch, errors_shown):
    fake = FakeReferrals()
    fake.services = [RETIRED]
    tab = make_tab(qtbot, fake)
    script = DialogScript()
    monkeypatch.setattr(view, "exec_dialog", script)
    assert tab.open_new_referral() is None
    assert script.seen == []
    assert errors_shown == [NO_SERVICES]


def test_ctrl_n_writes_a_new_referral(qtbot, monkeypatch):
    tab = make_tab(qtbot, FakeReferrals([OVERDUE]))
    with qtbot.waitActive(tab):
        tab.show()
        tab.activateWindow()
    script = DialogScript(None)
    monkeypatch.setattr(view, "exec_dialog", script)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert len(script.seen) == 1 and isinstance(script.seen[0], NewReferralDialog)


# -- change of status -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [s for s in S if s is not S.CLOSED])
def test_only_the_allowed_next_statuses_are_offered(qtbot, status):
    dialog = ChangeStatusDialog(referral(1, status), FakeReferrals().change_status, today=TODAY)
    qtbot.addWidget(dialog)
    assert dialog.options == list(allowed_next(status))
    assert dialog.status.count() == len(allowed_next(status))
    assert status not in dialog.options


def test_declining_asks_for_the_reason(qtbot, monkeypatch):
    fake = FakeReferrals([OVERDUE])
    tab = make_tab(qtbot, fake)

    def decline(dialog: ChangeStatusDialog) -> None:
        dialog.choose(S.DECLINED)
        assert dialog.note_label.text() == "Reason the service gave for declining (&required)"
        dialog.save_button.click()
        assert dialog.errors._fields["note"][1].text() == "The reason for declining is required."
        assert dialog.result() != QDialog.DialogCode.Accepted
        dialog.note.setPlainText("Does not meet criteria.")
        dialog.on.setDate(QDate(2026, 3, 10))
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(decline))
    with qtbot.waitSignal(tab.changed):
        row = tab.open_change_status(OVERDUE)
    assert row is not None and row.status is S.DECLINED
    calls = fake.named("change_status")
    assert calls[-1] == (
        (1, S.DECLINED),
        {
            "on": date(2026, 3, 10),
            "note": "Does not meet criteria.",
            "expected_version": OVERDUE.version,
        },
    )
    assert tab.message.text() == "Referral to North PD Service is now declined."
    assert tab.selected_referral() is not None and tab.selected_referral().id == 1


def test_a_step_cannot_be_dated_before_the_current_status_or_in_the_future(qtbot):
    dialog = ChangeStatusDialog(ACCEPTED, FakeReferrals().change_status, today=TODAY)
    qtbot.addWidget(dialog)
    assert dialog.on.minimumDate() == QDate(2026, 3, 1)
    assert dialog.on.maximumDate() == QDate(2026, 3, 18)


def test_a_closed_referral_says_it_cannot_change(qtbot, monkeypatch, errors_shown):
    tab = make_tab(qtbot, FakeReferrals([CLOSED]))
    script = DialogScript()
    monkeypatch.setattr(view, "exec_dialog", script)
    tab.status_button.click()
    assert errors_shown == [CLOSED_CANNOT_CHANGE]
    assert script.seen == []


def test_a_refused_change_is_shown_in_plain_words(qtbot, monkeypatch, errors_shown):
    fake = FakeReferrals([OVERDUE])
    fake.fail_next_change = InvalidTransition("A referral that is sent cannot become seen.")
    tab = make_tab(qtbot, fake)

    def accept(dialog: ChangeStatusDialog) -> None:
        dialog.choose(S.ACKNOWLEDGED)
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(accept))
    assert tab.open_change_status(OVERDUE) is None
    assert errors_shown == ["A referral that is sent cannot become seen."]


def test_enter_on_a_referral_opens_the_change_of_status(qtbot, monkeypatch):
    tab = make_tab(qtbot, FakeReferrals([OVERDUE, ACCEPTED]))
    tab.show()
    script = DialogScript(None)
    monkeypatch.setattr(view, "exec_dialog", script)
    tab.select_referral(1)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    (dialog,) = script.seen
    assert isinstance(dialog, ChangeStatusDialog) and dialog.referral.id == 1


# -- the letter -----------------------------------------------------------------------------------


def test_the_letter_is_reviewed_then_saved_and_recorded(qtbot, monkeypatch, tmp_path):
    fake = FakeReferrals([OVERDUE])
    tab = make_tab(qtbot, fake)
    out = tmp_path / "letter.pdf"
    asked: list[str] = []

    def ask(parent: QWidget, suggested: str) -> Path:
        asked.append(suggested)
        return out

    def review(dialog: LetterDialog) -> None:
        assert dialog.pages.page_count() >= 1  # the exact pages are on screen
        assert dialog.pages.data == fake.pdf
        dialog.save_button.click()  # nothing chosen yet
        assert dialog.errors._fields["gateway"][1].text() == (
            "Choose the legal gateway the letter is shared under."
        )
        assert dialog.errors._fields["client_informed"][1].text() == (
            "Say whether the client has been told about it."
        )
        assert asked == []
        dialog.gateway.setCurrentIndex(
            referral_models.LETTER_GATEWAYS.index(Gateway.DPA_SCH1_PARA2)
        )
        dialog.told_yes.setChecked(True)
        assert not dialog.not_told_reason.isVisibleTo(dialog)
        dialog.save_button.click()

    monkeypatch.setattr(referral_dialogs, "ask_save_path", ask)
    monkeypatch.setattr(view, "exec_dialog", DialogScript(review))
    with qtbot.waitSignal(tab.changed):
        issued = tab.open_letter(OVERDUE)
    assert issued is not None
    assert asked == ["Referral letter MASIP-0001 2026-03-18.pdf"]
    ((target, kwargs),) = fake.named("issue_referral_letter")
    assert target == (1, out)
    assert kwargs == {
        "document_id": "doc-1",
        "issued_on": TODAY,
        "expected_sha256": "a" * 64,
        "gateway": Gateway.DPA_SCH1_PARA2,
        "client_informed": True,
        "client_not_informed_reason": "",
    }
    assert tab.message.text() == (
        f"Referral letter saved to {out} and recorded in the disclosure register as shared "
        "with North PD Service."
    )


def test_a_client_not_told_needs_the_reason(qtbot, monkeypatch, tmp_path):
    fake = FakeReferrals([OVERDUE])
    tab = make_tab(qtbot, fake)
    monkeypatch.setattr(
        referral_dialogs, "ask_save_path", lambda parent, suggested: tmp_path / "x.pdf"
    )

    def review(dialog: LetterDialog) -> None:
        dialog.gateway.setCurrentIndex(0)
        dialog.told_no.setChecked(True)
        assert dialog.not_told_reason.isVisibleTo(dialog)
        dialog.save_button.click()
        label = dialog.errors._fields["client_not_informed_reason"][1]
        assert label.text() == "The reason the client has not been told is required."
        dialog.not_told_reason.setPlainText("In crisis: to be told next session.")
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(review))
    assert tab.open_letter(OVERDUE) is not None
    calls = fake.named("issue_referral_letter")
    assert [kw["client_not_informed_reason"] for _, kw in calls] == [
        "",
        "In crisis: to be told next session.",
    ]


def test_cancelling_the_save_location_produces_nothing(qtbot, monkeypatch):
    fake = FakeReferrals([OVERDUE])
    tab = make_tab(qtbot, fake)
    monkeypatch.setattr(referral_dialogs, "ask_save_path", lambda parent, suggested: None)

    def review(dialog: LetterDialog) -> None:
        dialog.gateway.setCurrentIndex(0)
        dialog.told_yes.setChecked(True)
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(review))
    assert tab.open_letter(OVERDUE) is None
    assert fake.named("issue_referral_letter") == []


def test_a_letter_that_cannot_be_written_is_explained(qtbot, monkeypatch, errors_shown, tmp_path):
    fake = FakeReferrals([OVERDUE])

    def fail(*args: Any, **kwargs: Any) -> IssuedLetter:
        raise PermissionError("read-only")

    tab = ReferralsTab(CLIENT, dataclasses.replace(fake.actions(), issue_referral_letter=fail))
    qtbot.addWidget(tab)
    monkeypatch.setattr(
        referral_dialogs, "ask_save_path", lambda parent, suggested: tmp_path / "x.pdf"
    )

    def review(dialog: LetterDialog) -> None:
        dialog.gateway.setCurrentIndex(0)
        dialog.told_yes.setChecked(True)
        dialog.save_button.click()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(review))
    assert tab.open_letter(OVERDUE) is None
    assert errors_shown == [
        "The letter could not be saved there (the folder may not exist or may be read-only). "
        "Nothing was saved or recorded. Choose another place."
    ]


def test_a_letter_that_cannot_be_prepared_is_explained(qtbot, monkeypatch, errors_shown):
    fake = FakeReferrals([OVERDUE])

    def fail(referral_id: int) -> LetterPreview:
        raise ClinicError("That referral could not be found.")

    tab = ReferralsTab(CLIENT, dataclasses.replace(fake.actions(), preview_referral_letter=fail))
    qtbot.addWidget(tab)
    script = DialogScript()
    monkeypatch.setattr(view, "exec_dialog", script)
    tab.letter_button.click()
    assert errors_shown == ["That referral could not be found."]
    assert script.seen == []


# -- the service directory ------------------------------------------------------------------------


class FakeDirectory:
    def __init__(self, rows: list[ServiceRow]) -> None:
        self.rows = list(rows)
        self.calls: list[tuple[str, Any]] = []

    def add_service(self, **kwargs: Any) -> ServiceRow:
        self.calls.append(("add", kwargs))
        if kwargs["snomed_concept_id"] == "3457006":
            raise ValidationError(
                [Problem("snomed_concept_id", "This is not a valid SNOMED CT id.")]
            )
        row = ServiceRow(50, kwargs["name"], kwargs["kind"], kwargs["expected_response_days"])
        self.rows.append(row)
        return row

    def update_service(self, service_id: int, **kwargs: Any) -> ServiceRow:
        self.calls.append(("update", (service_id, kwargs)))
        old = next(r for r in self.rows if r.id == service_id)
        row = dataclasses.replace(old, name=kwargs["name"])
        self.rows = [row if r.id == service_id else r for r in self.rows]
        return row

    def set_service_active(self, service_id: int, *, active: bool) -> ServiceRow:
        self.calls.append(("active", (service_id, active)))
        old = next(r for r in self.rows if r.id == service_id)
        row = dataclasses.replace(old, active=active)
        self.rows = [row if r.id == service_id else r for r in self.rows]
        return row

    def actions(self) -> ServicesActions:
        return ServicesActions(
            lambda: list(self.rows), self.add_service, self.update_service, self.set_service_active
        )


def test_the_directory_lists_services_in_use_first(qtbot, qtmodeltester):
    view_ = ServicesDirectoryView(FakeDirectory([RETIRED, TALKING, PD]).actions())
    qtbot.addWidget(view_)
    qtmodeltester.check(view_.model)
    qtmodeltester.check(view_.proxy)
    assert [s.name for s in view_.services()] == [PD.name, TALKING.name, RETIRED.name]
    row = [view_.proxy.index(2, c).data() for c in range(view_.proxy.columnCount())]
    assert row == [
        "Old Alcohol Team",
        "Substance misuse service",
        "14 days",
        "None",
        "No: taken out of use",
        "None recorded",
    ]
    assert unnamed_controls(view_) == []


def test_an_empty_directory_says_what_to_do(qtbot):
    view_ = ServicesDirectoryView(FakeDirectory([]).actions())
    qtbot.addWidget(view_)
    view_.show()
    assert view_.empty.isVisible() and view_.empty.text() == directory.NO_SERVICES
    assert view_.add_button.isVisible()
    assert not view_.edit_button.isVisible() and not view_.active_button.isVisible()


def test_adding_a_service_checks_the_snomed_id_as_it_is_typed(qtbot, monkeypatch):
    fake = FakeDirectory([PD])
    view_ = ServicesDirectoryView(fake.actions())
    qtbot.addWidget(view_)

    def fill(dialog: ServiceDialog) -> None:
        assert unnamed_controls(dialog) == []
        dialog.name.setText("Forensic Service")
        dialog.kind.setCurrentIndex(list(ServiceKind).index(ServiceKind.FORENSIC))
        dialog.response_days.setValue(56)
        dialog.snomed.setText("3457006")
        assert dialog.snomed_check.text().startswith("This is not a valid SNOMED CT id")
        dialog.save_button.click()  # the service refuses it too: shown under the field
        assert dialog.errors._fields["snomed_concept_id"][1].text() == (
            "This is not a valid SNOMED CT id."
        )
        dialog.snomed.setText("306292001")
        assert dialog.snomed_check.text() == directory.SNOMED_OK
        dialog.contact.setPlainText("Secure unit")
        dialog.save_button.click()

    monkeypatch.setattr(directory, "exec_dialog", DialogScript(fill))
    with qtbot.waitSignal(view_.changed):
        row = view_.open_service_dialog()
    assert row is not None and row.name == "Forensic Service"
    assert fake.calls[-1] == (
        "add",
        {
            "name": "Forensic Service",
            "kind": ServiceKind.FORENSIC,
            "contact": "Secure unit",
            "expected_response_days": 56,
            "snomed_concept_id": "306292001",
        },
    )
    assert view_.message.text() == "Forensic Service added to the directory."


def test_editing_a_service_starts_from_its_details(qtbot, monkeypatch):
    fake = FakeDirectory([PD])
    view_ = ServicesDirectoryView(fake.actions())
    qtbot.addWidget(view_)

    def edit(dialog: ServiceDialog) -> None:
        assert (dialog.name.text(), dialog.response_days.value(), dialog.snomed.text()) == (
            PD.name,
            42,
            "3457005",
        )
        dialog.name.setText("North Personality Disorder Service")
        dialog.save_button.click()

    monkeypatch.setattr(directory, "exec_dialog", DialogScript(edit))
    view_.edit_button.click()
    assert fake.calls[-1][0] == "update"
    assert view_.services()[0].name == "North Personality Disorder Service"


def test_a_service_is_taken_out_of_use_not_deleted(qtbot):
    fake = FakeDirectory([PD, TALKING])
    view_ = ServicesDirectoryView(fake.actions())
    qtbot.addWidget(view_)
    view_.select_service(PD.id)
    assert view_.active_button.text() == "Take out of &use"
    with qtbot.waitSignal(view_.changed):
        view_.active_button.click()
    assert fake.calls == [("active", (PD.id, False))]
    assert view_.selected_service() is not None and not view_.selected_service().active
    assert view_.active_button.text() == "Put back into &use"
    assert "out of use" in view_.message.text()
    view_.active_button.click()
    assert fake.calls[-1] == ("active", (PD.id, True))


def test_the_directory_window_closes(qtbot):
    dialog = ServicesDirectoryDialog(FakeDirectory([PD]).actions())
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
