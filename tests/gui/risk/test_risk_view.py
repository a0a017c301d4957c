"""The Risk tab, its dialogs and the urgent-risk banner, driven with fake actions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from clinic_app.errors import AccessDenied, Problem, ValidationError
from clinic_app.models.enums import Gateway, RiskEventKind, ShareDecisionKind, Urgency
from clinic_app.services.risk import RiskEventRow, ShareDecisionRow
from clinic_app.views.common import feedback
from clinic_app.views.risk import tab as risk_view
from clinic_app.views.risk.actions import RiskActions
from clinic_app.views.risk.dialogs import RiskEventDialog, ShareDecisionDialog
from clinic_app.views.risk.models import (
    AWAITING_DECISION,
    BANNER_BACKGROUND,
    BANNER_TEXT,
    NO_EVENTS,
    RiskColumn,
    RiskEventModel,
    contrast_ratio,
    decision_words,
)
from clinic_app.views.risk.tab import RiskTab, UrgentRiskBanner
from clinic_app.wording import GATEWAY_WORDS, RISK_EVENT_DESCRIBED, RISK_URGENCY_EXPLAINED

CLIENT = 7
STAFF = {2: "Dr Jones", 3: "Sam Okafor"}
DECIDED_AT = datetime(2025, 3, 12, 9, 15, tzinfo=UTC)


def event(
    event_id: int,
    *,
    kind: RiskEventKind = RiskEventKind.DISCLOSED_INTENT,
    urgency: Urgency = Urgency.ROUTINE,
    on: date = date(2025, 3, 1),
    detail: str = "PRIVATE-CANARY said he would find her",
    statement: str = "Disclosed an intention to contact the victim.",
    decision: ShareDecisionRow | None = None,
    note_id: int | None = None,
) -> RiskEventRow:
    return RiskEventRow(
        event_id,
        CLIENT,
        kind,
        urgency,
        on,
        detail,
        statement,
        note_id,
        2,
        datetime(on.year, on.month, on.day, 12, 0, tzinfo=UTC),
        decision,
    )


def shared(with_whom: str = "Metropolitan Police, DC Patel") -> ShareDecisionRow:
    return ShareDecisionRow(
        ShareDecisionKind.SHARED, "Risk to the victim", Gateway.CDA_S115, with_whom, 3, DECIDED_AT
    )


def not_shared() -> ShareDecisionRow:
    return ShareDecisionRow(
        ShareDecisionKind.NOT_SHARED, "No risk to others", None, "", 3, DECIDED_AT
    )


class FakeRisk:
    """Stands in for the risk services: keeps rows, records calls, applies their rules."""

    def __init__(self, rows: list[RiskEventRow] | None = None) -> None:
        self.rows = list(rows or [])
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []
        self.fail_loading: Exception | None = None

    def events_for_client(self, client_id: int) -> list[RiskEventRow]:
        self.calls.append(("events_for_client", client_id, {}))
        if self.fail_loading is not None:
            raise self.fail_loading
        return list(self.rows)

    def urgent_without_decision(self, client_id: int) -> list[RiskEventRow]:
        self.calls.append(("urgent_without_decision", client_id, {}))
        if self.fail_loading is not None:
            raise self.fail_loading
        return [e for e in self.rows if e.urgency is Urgency.URGENT and e.decision is None]

    def record_risk_event(self, client_id: int, **kwargs: Any) -> RiskEventRow:
        self.calls.append(("record_risk_event", client_id, kwargs))
        problems = []
        if not kwargs["detail"].strip():
            problems.append(Problem("detail", "The description is required."))
        if kwargs["urgency"] is Urgency.URGENT and not kwargs["shareable_statement"].strip():
            problems.append(Problem("shareable_statement", "The shareable statement is required."))
        if problems:
            raise ValidationError(problems)
        row = event(
            100 + len(self.rows),
            kind=kwargs["kind"],
            urgency=kwargs["urgency"],
            on=kwargs["occurred_on"],
            detail=kwargs["detail"],
            statement=kwargs["shareable_statement"],
            note_id=kwargs["session_note_id"],
        )
        self.rows.append(row)
        return row

    def record_share_decision(self, risk_event_id: int, **kwargs: Any) -> ShareDecisionRow:
        self.calls.append(("record_share_decision", risk_event_id, kwargs))
        problems = []
        if not kwargs["reason"].strip():
            problems.append(Problem("reason", "The reason is required."))
        if kwargs["decision"] is ShareDecisionKind.SHARED:
            if kwargs["gateway"] is None:
                problems.append(
                    Problem("gateway", "Choose the legal gateway the information is shared under.")
                )
            if not kwargs["shared_with"].strip():
                problems.append(Problem("shared_with", "Who it was shared with is required."))
        if problems:
            raise ValidationError(problems)
        row = ShareDecisionRow(
            kwargs["decision"],
            kwargs["reason"],
            kwargs["gateway"],
            kwargs["shared_with"],
            2,
            DECIDED_AT,
        )
        self.rows = [
            dataclasses.replace(e, decision=row) if e.id == risk_event_id else e for e in self.rows
        ]
        return row

    def actions(self) -> RiskActions:
        return RiskActions(
            events_for_client=self.events_for_client,
            urgent_without_decision=self.urgent_without_decision,
            record_risk_event=self.record_risk_event,
            record_share_decision=self.record_share_decision,
            describe_staff=STAFF.__getitem__,
        )

    def named(self, name: str) -> list[tuple[Any, dict[str, Any]]]:
        return [(target, kwargs) for call, target, kwargs in self.calls if call == name]


@pytest.fixture
def no_error_boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
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


def fill_event(
    dialog: RiskEventDialog,
    *,
    kind: RiskEventKind = RiskEventKind.CONTACT_WITH_VICTIM,
    urgency: Urgency = Urgency.SOON,
    on: date = date(2025, 3, 10),
    detail: str = "Waited outside her workplace.",
    statement: str = "Reported waiting outside the victim's workplace.",
) -> None:
    dialog.kind.setCurrentIndex(list(RISK_EVENT_DESCRIBED).index(kind))
    dialog.urgency_buttons[urgency].setChecked(True)
    dialog.occurred_on.setDate(QDate(on.year, on.month, on.day))
    dialog.detail.setPlainText(detail)
    dialog.shareable_statement.setPlainText(statement)


def error_text(dialog: RiskEventDialog | ShareDecisionDialog, where: str) -> str:
    _field, label = dialog.errors._fields[where]
    return label.text() if not label.isHidden() else ""


# -- the risk event dialog ---------------------------------------------------------------------


def test_event_dialog_saves_typed_values(qtbot):
    fake = FakeRisk()
    dialog = RiskEventDialog(CLIENT, fake.actions(), session_note_id=42)
    qtbot.addWidget(dialog)
    fill_event(dialog, kind=RiskEventKind.ORDER_BREACH, urgency=Urgency.URGENT)

    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()

    [(client_id, kwargs)] = fake.named("record_risk_event")
    assert client_id == CLIENT
    assert kwargs == {
        "kind": RiskEventKind.ORDER_BREACH,
        "urgency": Urgency.URGENT,
        "occurred_on": date(2025, 3, 10),
        "detail": "Waited outside her workplace.",
        "shareable_statement": "Reported waiting outside the victim's workplace.",
        "session_note_id": 42,
    }
    assert type(kwargs["kind"]) is RiskEventKind and type(kwargs["occurred_on"]) is date
    assert saved.args == [dialog.saved_event]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_urgent_event_without_shareable_statement_shows_problem_beside_the_field(qtbot):
    fake = FakeRisk()
    dialog = RiskEventDialog(CLIENT, fake.actions())
    qtbot.addWidget(dialog)
    fill_event(dialog, urgency=Urgency.URGENT, statement="   ")

    dialog.save_button.click()

    assert error_text(dialog, "shareable_statement") == "The shareable statement is required."
    assert (
        dialog.shareable_statement.accessibleDescription() == "The shareable statement is required."
    )
    assert error_text(dialog, "detail") == ""
    assert dialog.saved_event is None
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.detail.toPlainText() == "Waited outside her workplace."  # input kept


def test_event_dialog_asks_for_kind_and_urgency_before_calling_the_service(qtbot):
    fake = FakeRisk()
    dialog = RiskEventDialog(CLIENT, fake.actions())
    qtbot.addWidget(dialog)

    dialog.save_button.click()

    assert error_text(dialog, "kind") == "Choose what kind of event this is."
    assert error_text(dialog, "urgency") == "Choose how urgent this is."
    assert fake.named("record_risk_event") == []


def test_event_dialog_labels_what_is_private_and_what_may_be_shared(qtbot):
    dialog = RiskEventDialog(CLIENT, FakeRisk().actions())
    qtbot.addWidget(dialog)
    labels = [w.text() for w in dialog.findChildren(risk_view.QLabel)]
    assert "&Private: never shared" in labels
    assert "&May be shared with partner agencies: write only what partners need" in labels
    assert dialog.from_note.isHidden()  # not opened from a session note
    kinds = [dialog.kind.itemText(i) for i in range(dialog.kind.count())]
    assert "A new victim" in kinds and all(k[0].isupper() for k in kinds)
    assert dialog.kind.currentIndex() == -1  # a deliberate choice, no default
    assert dialog.occurred_on.maximumDate() == QDate.currentDate()  # never in the future
    for urgency, button in dialog.urgency_buttons.items():
        assert button.accessibleDescription() == RISK_URGENCY_EXPLAINED[urgency]


def test_event_dialog_from_a_session_note_says_so(qtbot):
    dialog = RiskEventDialog(CLIENT, FakeRisk().actions(), session_note_id=5)
    qtbot.addWidget(dialog)
    assert not dialog.from_note.isHidden()
    assert "session note" in dialog.from_note.text()


def test_event_dialog_shows_problems_it_has_no_field_for_at_the_foot(qtbot):
    fake = FakeRisk()

    def refuse(client_id: int, **kwargs: Any) -> RiskEventRow:
        raise ValidationError([Problem("elsewhere", "Something else is wrong.")])

    dialog = RiskEventDialog(CLIENT, dataclasses.replace(fake.actions(), record_risk_event=refuse))
    qtbot.addWidget(dialog)
    fill_event(dialog)
    dialog.save_button.click()
    assert not dialog.general_errors.isHidden()
    assert dialog.general_errors.text() == "Something else is wrong."


def test_event_dialog_shows_other_known_errors_and_keeps_the_input(qtbot, no_error_boxes):
    fake = FakeRisk()

    def refuse(client_id: int, **kwargs: Any) -> RiskEventRow:
        raise AccessDenied("You do not have access to this record.")

    dialog = RiskEventDialog(CLIENT, dataclasses.replace(fake.actions(), record_risk_event=refuse))
    qtbot.addWidget(dialog)
    fill_event(dialog)
    dialog.save_button.click()
    assert no_error_boxes == ["You do not have access to this record."]
    assert dialog.saved_event is None
    assert dialog.detail.toPlainText() == "Waited outside her workplace."


# -- the share decision dialog -----------------------------------------------------------------


def test_sharing_without_gateway_or_recipient_shows_problems_beside_the_fields(qtbot):
    fake = FakeRisk([event(1, urgency=Urgency.URGENT)])
    dialog = ShareDecisionDialog(fake.rows[0], fake.actions())
    qtbot.addWidget(dialog)
    dialog.share.setChecked(True)
    dialog.reason.setPlainText("Police need to know.")

    dialog.save_button.click()

    assert error_text(dialog, "gateway") == (
        "Choose the legal gateway the information is shared under."
    )
    assert error_text(dialog, "shared_with") == "Who it was shared with is required."
    assert dialog.decision is None
    assert dialog.recorded.isHidden()


def test_decision_must_be_chosen(qtbot):
    fake = FakeRisk([event(1)])
    dialog = ShareDecisionDialog(fake.rows[0], fake.actions())
    qtbot.addWidget(dialog)
    dialog.save_button.click()
    assert error_text(dialog, "decision") == "Choose whether to share this event."
    assert fake.named("record_share_decision") == []


def test_sharing_saves_typed_values_and_shows_who_recorded_it_and_when(qtbot):
    fake = FakeRisk([event(1, kind=RiskEventKind.ESCALATION, urgency=Urgency.URGENT)])
    dialog = ShareDecisionDialog(fake.rows[0], fake.actions())
    qtbot.addWidget(dialog)
    facts = {
        label.accessibleName(): label.text() for label in dialog.findChildren(risk_view.QLabel)
    }
    assert facts["Kind"] == "Escalation (weapons, violence, surveillance)"
    assert facts["Urgency"] == "URGENT"
    assert facts["Happened on"] == "1 March 2025"
    assert facts["Shareable statement"] == "Disclosed an intention to contact the victim."
    gateways = [dialog.gateway.itemText(i) for i in range(dialog.gateway.count())]
    assert "DPA 2018 Schedule 1 para 18 (safeguarding)" in gateways
    assert "Common-law public-interest disclosure (serious harm)" in gateways

    dialog.share.setChecked(True)
    dialog.reason.setPlainText("Escalation: the victim's safety.")
    dialog.gateway.setCurrentIndex(gateways.index("Crime and Disorder Act 1998 s115"))
    dialog.shared_with.setText("Metropolitan Police, DC Patel")
    assert dialog.not_told_reason.isEnabled()  # not told (yet): say why
    dialog.not_told_reason.setText("Telling him first would raise the risk to the victim")
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()

    [(event_id, kwargs)] = fake.named("record_share_decision")
    assert event_id == 1
    assert kwargs == {
        "decision": ShareDecisionKind.SHARED,
        "reason": "Escalation: the victim's safety.",
        "gateway": Gateway.CDA_S115,
        "shared_with": "Metropolitan Police, DC Patel",
        "client_informed": False,
        "client_not_informed_reason": "Telling him first would raise the risk to the victim",
    }
    assert dialog.decision is not None
    assert not dialog.recorded.isHidden()
    local = DECIDED_AT.astimezone()
    assert "Recorded by Dr Jones" in dialog.recorded.text()
    assert f"{local.day} {local:%B %Y} at {local:%H:%M}" in dialog.recorded.text()
    assert not dialog.share.isEnabled() and dialog.reason.isReadOnly()
    assert dialog.save_button.isHidden() and not dialog.close_button.isHidden()
    dialog.reject()  # Escape after saving: the decision stands
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_not_sharing_sends_no_gateway_or_recipient(qtbot):
    fake = FakeRisk([event(1)])
    dialog = ShareDecisionDialog(fake.rows[0], fake.actions())
    qtbot.addWidget(dialog)
    dialog.share.setChecked(True)
    dialog.gateway.setCurrentIndex(0)
    dialog.shared_with.setText("typed before changing my mind")
    dialog.do_not_share.setChecked(True)
    assert not dialog.gateway.isEnabled() and not dialog.shared_with.isEnabled()
    dialog.reason.setPlainText("Clinical matter only.")
    dialog.not_told_reason.setText("typed before ticking told")
    dialog.client_told.setChecked(True)
    assert not dialog.not_told_reason.isEnabled()
    dialog.save_button.click()
    [(_id, kwargs)] = fake.named("record_share_decision")
    assert kwargs["decision"] is ShareDecisionKind.NOT_SHARED
    assert kwargs["gateway"] is None and kwargs["shared_with"] == ""
    assert kwargs["client_informed"] is True and kwargs["client_not_informed_reason"] == ""


def test_an_event_without_a_shareable_statement_cannot_be_shared(qtbot):
    fake = FakeRisk([event(1, statement="")])
    dialog = ShareDecisionDialog(fake.rows[0], fake.actions())
    qtbot.addWidget(dialog)
    assert not dialog.share.isEnabled()
    assert "can only be recorded as not shared" in dialog.statement.text()


def test_decision_dialog_shows_the_current_decision_it_replaces(qtbot):
    fake = FakeRisk([event(1, decision=not_shared())])
    dialog = ShareDecisionDialog(fake.rows[0], fake.actions())
    qtbot.addWidget(dialog)
    texts = [label.text() for label in dialog.findChildren(risk_view.QLabel)]
    assert any(t.startswith("Not shared, by Sam Okafor on") for t in texts)


# -- the urgent-risk banner --------------------------------------------------------------------


def test_banner_shows_exactly_while_urgent_events_await_a_decision(qtbot):
    fake = FakeRisk(
        [
            event(1, urgency=Urgency.URGENT, kind=RiskEventKind.NEW_VICTIM, on=date(2025, 3, 2)),
            event(2, urgency=Urgency.URGENT, kind=RiskEventKind.ESCALATION, on=date(2025, 3, 4)),
            event(3, urgency=Urgency.SOON),
            event(4, urgency=Urgency.URGENT, decision=shared()),
        ]
    )
    opened: list[RiskEventRow] = []

    def decide(e: RiskEventRow) -> None:
        opened.append(e)
        fake.record_share_decision(
            e.id, decision=ShareDecisionKind.NOT_SHARED, reason="x", gateway=None, shared_with=""
        )

    host = QWidget()
    qtbot.addWidget(host)
    banner = UrgentRiskBanner(lambda: fake.urgent_without_decision(CLIENT), decide, host)

    assert not banner.isHidden()
    assert banner.title.text() == "URGENT: 2 risk events need a share decision"
    assert banner.listing.text() == ("•  A new victim on 02/03/2025\n•  Escalation on 04/03/2025")
    assert banner.accessibleName() == "Urgent risk alert"
    assert "URGENT: 2 risk events need a share decision" in banner.accessibleDescription()
    assert "A new victim on 02/03/2025" in banner.accessibleDescription()
    assert not banner.icon.pixmap().isNull()  # a warning icon, not colour alone
    assert banner.decide_button.text() == "Record &decision…"
    assert banner.decide_button.accessibleName()

    banner.hide()  # nothing may hide it while events are undecided
    assert not banner.isHidden()

    banner.decide_button.click()
    assert [e.id for e in opened] == [1]
    assert banner.title.text() == "URGENT: 1 risk event needs a share decision"

    fake.record_share_decision(
        2, decision=ShareDecisionKind.NOT_SHARED, reason="x", gateway=None, shared_with=""
    )
    banner.refresh()
    assert banner.isHidden()
    assert banner.accessibleDescription() == ""


def test_banner_is_hidden_when_nothing_is_urgent(qtbot):
    fake = FakeRisk([event(1, urgency=Urgency.SOON)])
    banner = UrgentRiskBanner(lambda: fake.urgent_without_decision(CLIENT), lambda e: None)
    qtbot.addWidget(banner)
    assert banner.isHidden()
    assert not banner.needed


def test_banner_made_before_its_record_shows_with_it_not_as_a_window(qtbot):
    fake = FakeRisk([event(1, urgency=Urgency.URGENT)])
    banner = UrgentRiskBanner(lambda: fake.urgent_without_decision(CLIENT), lambda e: None)
    assert not banner.isVisible()  # no window of its own
    record = QWidget()
    qtbot.addWidget(record)
    QVBoxLayout(record).addWidget(banner)
    record.show()
    assert banner.isVisible()


def test_banner_says_so_when_it_cannot_check(qtbot):
    fake = FakeRisk()
    fake.fail_loading = AccessDenied("You do not have access to this record.")
    host = QWidget()
    qtbot.addWidget(host)
    banner = UrgentRiskBanner(lambda: fake.urgent_without_decision(CLIENT), lambda e: None, host)
    assert not banner.isHidden()
    assert "could not check" in banner.title.text()
    assert "You do not have access to this record." in banner.listing.text()
    assert banner.decide_button.isHidden() and not banner.retry_button.isHidden()
    fake.fail_loading = None
    banner.retry_button.click()
    assert banner.isHidden()


def test_banner_colours_meet_wcag_aa_contrast():
    assert contrast_ratio(BANNER_TEXT, BANNER_BACKGROUND) >= 4.5
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)


# -- the table model ---------------------------------------------------------------------------


def test_model_passes_the_model_tester(qtmodeltester):
    model = RiskEventModel()
    model.set_rows(
        [
            event(1, decision=shared()),
            event(2, urgency=Urgency.URGENT),
            event(3, decision=not_shared(), statement=""),
        ],
        STAFF,
    )
    qtmodeltester.check(model)
    empty = RiskEventModel()
    qtmodeltester.check(empty)


def test_decision_column_says_what_was_decided_in_words():
    model = RiskEventModel()
    model.set_rows(
        [
            event(1, decision=shared("Probation, J. Reid")),
            event(2, decision=not_shared()),
            event(3, urgency=Urgency.URGENT),
        ],
        STAFF,
    )

    def cell(row: int, column: RiskColumn) -> str:
        return model.data(model.index(row, column))

    assert cell(0, RiskColumn.DECISION) == (
        "Shared with Probation, J. Reid under Crime and Disorder Act 1998 s115"
    )
    assert cell(1, RiskColumn.DECISION) == "Not shared"
    assert cell(2, RiskColumn.DECISION) == AWAITING_DECISION
    assert decision_words(None) == "AWAITING DECISION"
    assert cell(2, RiskColumn.URGENCY) == "Urgent"
    assert model.data(model.index(2, RiskColumn.URGENCY), Qt.ItemDataRole.FontRole).bold()
    assert cell(0, RiskColumn.RECORDED_BY) == "Dr Jones"
    assert cell(0, RiskColumn.DATE) == "01/03/2025"
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in RiskColumn] == [
        "Date",
        "Kind",
        "Urgency",
        "Shareable statement",
        "Decision",
        "Recorded by",
    ]


# -- the tab -----------------------------------------------------------------------------------


def several() -> FakeRisk:
    return FakeRisk(
        [
            event(1, on=date(2025, 1, 14), decision=shared()),
            event(2, on=date(2025, 3, 10), urgency=Urgency.URGENT),
            event(3, on=date(2025, 2, 3), decision=not_shared()),
        ]
    )


def test_tab_lists_events_newest_first_with_details(qtbot):
    tab = RiskTab(CLIENT, several().actions())
    qtbot.addWidget(tab)
    assert [e.id for e in tab.events()] == [2, 3, 1]
    assert tab.empty.isHidden() and not tab.table.isHidden()
    assert tab.selected_event() is not None and tab.selected_event().id == 2
    details = tab.details.toPlainText()
    assert "Private: never shared" in details and "PRIVATE-CANARY" in details
    assert "Disclosed an intention to contact the victim." in details
    assert AWAITING_DECISION in details
    tab.select_event(1)
    details = tab.details.toPlainText()
    assert "Shared with Metropolitan Police, DC Patel" in details
    assert "Decided by Sam Okafor" in details and "Risk to the victim" in details


def test_tab_shows_an_empty_state_in_words(qtbot):
    tab = RiskTab(CLIENT, FakeRisk().actions())
    qtbot.addWidget(tab)
    assert not tab.empty.isHidden()
    assert tab.empty.text() == NO_EVENTS == "No risk events recorded."
    assert tab.table.isHidden() and tab.details.isHidden()
    assert tab.decide_button.isHidden()  # no dead button
    assert not tab.record_button.isHidden()


def test_tab_says_when_events_cannot_be_loaded(qtbot):
    fake = FakeRisk()
    fake.fail_loading = AccessDenied("You do not have access to this record.")
    tab = RiskTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    assert tab.empty.text() == (
        "Risk events could not be loaded. You do not have access to this record."
    )


def test_open_new_event_passes_the_session_note_through(qtbot, monkeypatch):
    fake = FakeRisk()
    tab = RiskTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    script = DialogScript(lambda d: (fill_event(d, urgency=Urgency.ROUTINE), d.save_button.click()))
    monkeypatch.setattr(risk_view, "exec_dialog", script)

    with qtbot.waitSignal(tab.changed):
        saved = tab.open_new_event(session_note_id=31)

    [dialog] = script.seen  # routine: no decision dialog follows
    assert isinstance(dialog, RiskEventDialog) and not dialog.from_note.isHidden()
    [(_client, kwargs)] = fake.named("record_risk_event")
    assert kwargs["session_note_id"] == 31
    assert saved is not None and tab.selected_event() == saved
    assert not tab.table.isHidden()


def test_saving_an_urgent_event_leads_straight_to_the_share_decision(qtbot, monkeypatch):
    fake = FakeRisk()
    tab = RiskTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)

    def decide(dialog: ShareDecisionDialog) -> None:
        assert not dialog.prompt.isHidden()
        assert dialog.cancel_button.text() == "Decide &later"
        dialog.share.setChecked(True)
        dialog.reason.setPlainText("Contact with the victim.")
        dialog.gateway.setCurrentIndex(list(GATEWAY_WORDS).index(Gateway.PUBLIC_INTEREST))
        dialog.shared_with.setText("Police, DC Patel")
        dialog.save_button.click()
        dialog.close_button.click()

    script = DialogScript(
        lambda d: (fill_event(d, urgency=Urgency.URGENT), d.save_button.click()), decide
    )
    monkeypatch.setattr(risk_view, "exec_dialog", script)
    with qtbot.waitSignals([tab.changed, tab.changed]):
        saved = tab.open_new_event()

    assert [type(d) for d in script.seen] == [RiskEventDialog, ShareDecisionDialog]
    assert isinstance(script.seen[1], ShareDecisionDialog)
    assert saved is not None and script.seen[1].risk_event.id == saved.id
    [(event_id, kwargs)] = fake.named("record_share_decision")
    assert event_id == saved.id and kwargs["gateway"] is Gateway.PUBLIC_INTEREST
    assert tab.model.data(tab.model.index(0, RiskColumn.DECISION)) == (
        "Shared with Police, DC Patel under Common-law public-interest disclosure (serious harm)"
    )


def test_deciding_later_leaves_the_event_awaiting(qtbot, monkeypatch):
    fake = FakeRisk()
    tab = RiskTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    host = QWidget()
    qtbot.addWidget(host)
    banner = tab.make_banner(host)
    script = DialogScript(
        lambda d: (fill_event(d, urgency=Urgency.URGENT), d.save_button.click()),
        lambda d: d.cancel_button.click(),
    )
    monkeypatch.setattr(risk_view, "exec_dialog", script)
    tab.open_new_event()
    assert fake.named("record_share_decision") == []
    assert tab.model.data(tab.model.index(0, RiskColumn.DECISION)) == AWAITING_DECISION
    banner.refresh()
    assert not banner.isHidden()


def test_cancelling_the_event_dialog_changes_nothing(qtbot, monkeypatch):
    fake = FakeRisk()
    tab = RiskTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    changed: list[bool] = []
    tab.changed.connect(lambda: changed.append(True))
    monkeypatch.setattr(risk_view, "exec_dialog", DialogScript(None))
    assert tab.open_new_event() is None
    assert changed == [] and fake.named("record_risk_event") == []


def test_record_decision_button_opens_the_dialog_for_the_selected_event(qtbot, monkeypatch):
    fake = several()
    tab = RiskTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    tab.select_event(3)
    script = DialogScript(None)
    monkeypatch.setattr(risk_view, "exec_dialog", script)
    tab.decide_button.click()
    [dialog] = script.seen
    assert isinstance(dialog, ShareDecisionDialog) and dialog.risk_event.id == 3
    assert dialog.prompt.isHidden()


def test_ctrl_r_records_a_risk_event(qtbot, monkeypatch):
    tab = RiskTab(CLIENT, several().actions())
    qtbot.addWidget(tab)
    with qtbot.waitActive(tab):
        tab.show()
        tab.activateWindow()
    tab.table.setFocus()
    script = DialogScript(None)
    monkeypatch.setattr(risk_view, "exec_dialog", script)
    qtbot.keyClick(tab.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert [type(d) for d in script.seen] == [RiskEventDialog]


def test_banner_made_by_the_tab_records_through_the_tab(qtbot, monkeypatch):
    fake = several()
    tab = RiskTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    host = QWidget()
    qtbot.addWidget(host)
    banner = tab.make_banner(host)
    assert banner.title.text() == "URGENT: 1 risk event needs a share decision"

    def decide(dialog: ShareDecisionDialog) -> None:
        dialog.do_not_share.setChecked(True)
        dialog.reason.setPlainText("Already known to police through their own enquiry.")
        dialog.save_button.click()

    monkeypatch.setattr(risk_view, "exec_dialog", DialogScript(decide))
    with qtbot.waitSignal(tab.changed):
        banner.decide_button.click()
    assert banner.isHidden()
    assert tab.model.data(tab.model.index(tab.model.row_of_event(2), RiskColumn.DECISION)) == (
        "Not shared"
    )


def test_the_event_and_decision_dialogs_leave_the_keyboard_where_it_is_until_shown(qtbot):
    """Their note line and urgent prompt were shown before they had a parent: each
    flashed up as a window of its own and took the keyboard."""
    from tests.gui.conftest import keyboard_kept

    fake = FakeRisk([event(1, urgency=Urgency.URGENT)])
    with keyboard_kept(qtbot):
        event_dialog = RiskEventDialog(CLIENT, fake.actions(), session_note_id=5)
        decision_dialog = ShareDecisionDialog(fake.rows[0], fake.actions(), prompt_now=True)
    qtbot.addWidget(event_dialog)
    qtbot.addWidget(decision_dialog)
    assert event_dialog.from_note.isVisibleTo(event_dialog)
    assert decision_dialog.prompt.isVisibleTo(decision_dialog)
