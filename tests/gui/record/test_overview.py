"""The Overview tab: every section, the empty states, and the dialogs its buttons open.

The tab is handed fake use cases (plain functions over hand-built records). Dialogs open
with ``open()``, so tests reach them through ``tab.current_dialog`` and click their
buttons; nothing blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from PySide6.QtCore import QDate, QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from clinic_app.errors import ClinicError, NotFound
from clinic_app.models.enums import (
    Attendance,
    ClientStatus,
    ConsentToShare,
    Modality,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    Role,
    Typology,
    Urgency,
)
from clinic_app.services.clients import ClientDetails, ClientSummary, TeamRow
from clinic_app.services.notes import NoteContent, NoteRow
from clinic_app.services.record import (
    ClientRecord,
    RecordCounts,
    RecordOverview,
    RiskAssessmentRow,
    TypologyRow,
)
from clinic_app.services.referrals import ReferralRow
from clinic_app.services.risk import RiskEventRow
from clinic_app.services.staff import StaffRow
from clinic_app.views.common import feedback
from clinic_app.views.record.client_form import AssignStaffDialog, ClientDialog, TypologyDialog
from clinic_app.views.record.overview import (
    DEMO_TEXT,
    NO_RISK_ASSESSMENT,
    NO_SHARING_NOTES,
    NO_TEAM,
    NO_TYPOLOGY,
    OverviewActions,
    OverviewTab,
    TeamMember,
)
from clinic_app.views.record.risk_assessment import RiskAssessmentDialog

TODAY = date(2026, 3, 2)
CLIENT_ID = 7

DETAILS = ClientDetails(
    local_ref="MASIP-0042",
    given_name="Jordan",
    family_name="Whitfield",
    date_of_birth=date(1984, 7, 23),
    site="North",
    referral_date=date(2025, 11, 3),
    nhs_number="9990000018",
    police_ref="MPS/STAC/2025/1187",
    address="Flat 4, 12 Example Road",
    referral_source="Police",
    status=ClientStatus.ACTIVE,
    consent_to_share=ConsentToShare.GIVEN,
    sharing_notes="Told at assessment what is shared with the panel.",
    is_demo=True,
)
SUMMARY = ClientSummary(
    CLIENT_ID,
    DETAILS.local_ref,
    DETAILS.given_name,
    DETAILS.family_name,
    DETAILS.date_of_birth,
    DETAILS.nhs_number,
    DETAILS.site,
    DETAILS.status,
    DETAILS.is_demo,
    3,
)


def note(day: int, attendance: Attendance, *, in_error: bool = False) -> NoteRow:
    content = NoteContent(date(2026, 1, day), 50, Modality.IN_PERSON, attendance)
    errored = datetime(2026, 1, 30, tzinfo=UTC) if in_error else None
    return NoteRow(day, CLIENT_ID, 2, content, None, None, None, errored, "", 1)


def referral(n: int, status: ReferralStatus) -> ReferralRow:
    return ReferralRow(
        n,
        CLIENT_ID,
        1,
        "reason",
        ReferralUrgency.ROUTINE,
        status,
        date(2026, 1, 15),
        None,
        False,
        None,
        1,
    )


def risk_event(n: int, urgency: Urgency, *, decided: bool = False) -> RiskEventRow:
    from clinic_app.models.enums import ShareDecisionKind
    from clinic_app.services.risk import ShareDecisionRow

    decision = (
        ShareDecisionRow(ShareDecisionKind.SHARED, "why", None, "Police", 2, datetime.now(UTC))
        if decided
        else None
    )
    return RiskEventRow(
        n,
        CLIENT_ID,
        RiskEventKind.CONTACT_WITH_VICTIM,
        urgency,
        date(2026, 2, 10),
        "detail",
        "",
        None,
        2,
        datetime.now(UTC),
        decision,
    )


RICH = ClientRecord(
    client=SUMMARY,
    typologies=(
        TypologyRow(Typology.NOT_YET_DETERMINED, "", date(2025, 11, 10), 2),
        TypologyRow(
            Typology.REJECTED, "Pursuit began when the relationship ended.", date(2025, 12, 1), 2
        ),
        TypologyRow(Typology.RESENTFUL, "Driven by a sense of grievance.", date(2026, 2, 2), 2),
    ),
    risk_assessments=(
        RiskAssessmentRow(
            1,
            RiskTool.SAM,
            "",
            "1",
            date(2025, 11, 20),
            (("Case prioritisation", "high"),),
            "Initial.",
            "",
        ),
        RiskAssessmentRow(
            2,
            RiskTool.SRP,
            "",
            "2nd edition",
            date(2026, 2, 9),
            (("Risk of persistence", "high"), ("Risk of violence", "low")),
            "Contact attempts via social media in January.",
            "Risk of continued stalking remains high; risk of violence judged low.",
        ),
    ),
    third_parties=(),
    plans=(),
    notes=(
        note(5, Attendance.ATTENDED),
        note(12, Attendance.LATE),
        note(19, Attendance.DID_NOT_ATTEND),
        note(20, Attendance.CANCELLED_BY_CLIENT),
        note(26, Attendance.ATTENDED),
        note(27, Attendance.ATTENDED, in_error=True),
    ),
    risk_events=(
        risk_event(1, Urgency.URGENT),
        risk_event(2, Urgency.URGENT, decided=True),
        risk_event(3, Urgency.ROUTINE),
    ),
    referrals=(
        referral(1, ReferralStatus.SENT),
        referral(2, ReferralStatus.DRAFT),
        referral(3, ReferralStatus.CLOSED),
        referral(4, ReferralStatus.DECLINED),
    ),
    measures=(),
)
# RICH's notes: attended twice and late once, one not attended, one cancelled, and one
# attended but entered in error; referrals sent and draft open, closed and declined not;
# one urgent event undecided, one decided and one routine.
RICH_COUNTS = RecordCounts(
    attended=3, did_not_attend=1, open_referrals=2, urgent_awaiting_decision=1
)
NO_COUNTS = RecordCounts(attended=0, did_not_attend=0, open_referrals=0, urgent_awaiting_decision=0)
EMPTY = replace(RICH, typologies=(), risk_assessments=(), notes=(), risk_events=(), referrals=())
NEW_DETAILS = replace(
    DETAILS,
    nhs_number="",
    police_ref="",
    address="",
    referral_source="",
    sharing_notes="",
    is_demo=False,
    status=ClientStatus.REFERRED,
    consent_to_share=ConsentToShare.NOT_ASKED,
)
TEAM = (TeamMember("Dr Priya Jones", True), TeamMember("Sam Patel", False))
STAFF = [
    StaffRow(2, "dr.jones", "Dr Priya Jones", Role.PSYCHOLOGIST, "", False, None),
    StaffRow(3, "sam.patel", "Sam Patel", Role.CLINICIAN, "", False, None),
    StaffRow(4, "ali.khan", "Ali Khan", Role.PSYCHOLOGIST, "Forensic psychologist", False, None),
]


@dataclass
class Fakes:
    """The use cases the tab calls, recording every call."""

    record: ClientRecord = RICH
    details: ClientDetails = DETAILS
    version: int = 3
    team: tuple[TeamMember, ...] = TEAM
    load_error: ClinicError | None = None
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def _note(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))

    def named(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(a, k) for n, a, k in self.calls if n == name]

    def actions(self) -> OverviewActions:
        def overview(client_id: int) -> RecordOverview:
            self._note("overview", client_id)
            if self.load_error is not None:
                raise self.load_error
            return RecordOverview(
                details=self.details,
                version=self.version,
                team=tuple(TeamRow(i, m.name, m.is_lead) for i, m in enumerate(self.team)),
                typologies=self.record.typologies,
                risk_assessments=self.record.risk_assessments,
                # What the database counts for these records (see the service's tests).
                counts=RICH_COUNTS if self.record.notes else NO_COUNTS,
            )

        def client_details(client_id: int) -> tuple[ClientDetails, int]:
            self._note("client_details", client_id)
            return self.details, self.version

        def update_client(
            client_id: int, details: ClientDetails, *, expected_version: int
        ) -> ClientSummary:
            self._note("update_client", client_id, details, expected_version=expected_version)
            return SUMMARY

        def set_typology(
            client_id: int, typology: Typology, *, rationale: str, assessed_on: date
        ) -> None:
            self._note(
                "set_typology", client_id, typology, rationale=rationale, assessed_on=assessed_on
            )

        def record_risk_assessment(client_id: int, **kwargs: Any) -> int:
            self._note("record_risk_assessment", client_id, **kwargs)
            return 3

        def assign_staff(client_id: int, staff_id: int, *, is_lead: bool) -> None:
            self._note("assign_staff", client_id, staff_id, is_lead=is_lead)

        return OverviewActions(
            overview=overview,
            client_details=client_details,
            update_client=update_client,
            set_typology=set_typology,
            record_risk_assessment=record_risk_assessment,
            clinical_staff=lambda: STAFF,
            assign_staff=assign_staff,
            known_sites=lambda: ("North", "South"),
            today=lambda: TODAY,
        )


def make_tab(qtbot: Any, fakes: Fakes) -> OverviewTab:
    tab = OverviewTab(CLIENT_ID, fakes.actions())
    qtbot.addWidget(tab)
    return tab


def visible_text(tab: QWidget) -> str:
    """Every label the user can see (or would, when the tab is shown)."""
    return "\n".join(label.text() for label in tab.findChildren(QLabel) if label.isVisibleTo(tab))


@pytest.fixture
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(
        feedback, "show_error", lambda parent, error, *, title="": shown.append(error.message)
    )
    return shown


# -- what it shows ---------------------------------------------------------------------------------


def test_identity_is_shown_in_full(qtbot):
    tab = make_tab(qtbot, Fakes())
    assert tab.name.text() == "WHITFIELD, Jordan"
    assert tab.date_of_birth.text() == "23/07/1984 (age 41)"
    assert tab.nhs_number.text() == "999 000 0018"
    assert tab.local_ref.text() == "MASIP-0042"
    assert tab.police_ref.text() == "MPS/STAC/2025/1187"
    assert tab.address.text() == "Flat 4, 12 Example Road"
    assert tab.site.text() == "North"
    assert tab.status.text() == "Active"
    assert tab.referral.text() == "Police"
    assert tab.referral_date.text() == "03/11/2025"
    assert tab.date_of_birth.accessibleName() == "Date of birth: 23/07/1984 (age 41)"


def test_long_free_text_wraps_and_field_names_are_grey_at_high_contrast(qtbot):
    """Free text wraps within a narrow window rather than pushing it wider; a date or a
    count keeps to one line. Every field's name is #4a4a4a (8.9:1 on white)."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QFormLayout

    long_address = "Flat 4, " + ", ".join(f"{n} Long Example Road" for n in range(12))
    fakes = Fakes()
    fakes.details = replace(DETAILS, address=long_address)
    tab = make_tab(qtbot, fakes)
    tab.resize(700, 600)
    tab.show()
    qtbot.waitExposed(tab)
    assert tab.address.text() == long_address
    assert tab.address.wordWrap()
    qtbot.waitUntil(lambda: tab.address.height() > 3 * tab.name.height())  # laid out
    assert tab.address.width() < 700
    assert not tab.date_of_birth.wordWrap() and not tab.attended.wordWrap()
    names = [
        form.labelForField(value)
        for form in tab.findChildren(QFormLayout)
        for value in (tab.name, tab.address, tab.consent, tab.attended, tab.third_parties)
        if form.labelForField(value) is not None
    ]
    assert len(names) == 5
    for label in names:
        colour = label.palette().color(QPalette.ColorRole.WindowText)
        assert colour.name() == "#4a4a4a", label.text()


def test_a_value_can_be_selected_with_the_mouse_once_the_mouse_is_over_it(qtbot):
    tab = make_tab(qtbot, Fakes())
    tab.show()
    selectable = Qt.TextInteractionFlag.TextSelectableByMouse
    over = QEnterEvent(QPointF(2, 2), QPointF(2, 2), QPointF(2, 2))
    QApplication.sendEvent(tab.nhs_number, over)
    assert tab.nhs_number.textInteractionFlags() & selectable
    assert tab.nhs_number.text() == "999 000 0018"  # the text is unchanged by it


def test_a_demo_record_is_marked_in_words(qtbot):
    tab = make_tab(qtbot, Fakes())
    assert tab.demo_marker.isVisibleTo(tab)
    assert DEMO_TEXT in visible_text(tab)
    real = make_tab(qtbot, Fakes(details=NEW_DETAILS))
    assert not real.demo_marker.isVisibleTo(real)


def test_the_current_typology_with_its_date_rationale_and_history(qtbot):
    tab = make_tab(qtbot, Fakes())
    assert tab.typology.text() == "Resentful"
    assert tab.typology_date.text() == "Recorded on 02/02/2026"
    assert tab.typology_rationale.text() == "Driven by a sense of grievance."
    button = tab.typology_history_button
    assert button.isVisibleTo(tab)
    assert button.text() == "Show earlier t&ypologies (2)"
    assert not tab.typology_history.isVisibleTo(tab)
    button.click()
    assert tab.typology_history.isVisibleTo(tab)
    assert button.text() == "Hide earlier t&ypologies (2)"
    history = tab.typology_history.text()
    assert history.index("Rejected, recorded on 01/12/2025") < history.index(
        "Not yet determined, recorded on 10/11/2025"
    )  # newest first
    assert "Pursuit began when the relationship ended." in history
    button.click()
    assert not tab.typology_history.isVisibleTo(tab)


def test_the_latest_risk_assessment_with_each_judgement_and_the_shareable_summary(qtbot):
    tab = make_tab(qtbot, Fakes())
    assert tab.risk_tool.text() == (
        "Stalking Risk Profile (SRP), version 2nd edition, assessed on 09/02/2026"
    )
    text = visible_text(tab)
    assert "Risk of persistence:" in text and "Risk of violence:" in text
    judgements = [
        label.text() for label in tab.risk_judgements_box.findChildren(QLabel) if label.text()
    ]
    assert judgements == ["Risk of persistence:", "High", "Risk of violence:", "Low"]
    assert tab.risk_rationale.text() == "Contact attempts via social media in January."
    assert tab.risk_summary.text() == (
        "Risk of continued stalking remains high; risk of violence judged low."
    )
    assert "Rationale (private: never shared)" in text
    assert "Shareable summary (may be shared with partners)" in text
    tab.risk_history_button.click()
    assert "Stalking Assessment and Management (SAM), version 1" in tab.risk_history.text()
    assert "Case prioritisation: High" in tab.risk_history.text()


def test_another_tool_is_named_as_entered(qtbot):
    other = RiskAssessmentRow(
        9,
        RiskTool.OTHER,
        "Local tool",
        "3",
        date(2026, 2, 1),
        (("Overall risk", "moderate"),),
        "r",
        "",
    )
    tab = make_tab(qtbot, Fakes(record=replace(RICH, risk_assessments=(other,))))
    assert tab.risk_tool.text().startswith("Local tool, version 3")
    assert not tab.risk_history_button.isVisibleTo(tab)
    assert tab.risk_summary.text() == "No shareable summary written."


def test_team_consent_and_private_sharing_notes(qtbot):
    tab = make_tab(qtbot, Fakes())
    assert tab.team_list.text() == "Dr Priya Jones (lead clinician)\nSam Patel"
    assert tab.consent.text() == "Given"
    assert tab.sharing_notes.text() == "Told at assessment what is shared with the panel."
    assert "Sharing and gateway notes (private: never shared)" in visible_text(tab)


def test_counts_of_sessions_referrals_and_urgent_events(qtbot):
    tab = make_tab(qtbot, Fakes())
    assert tab.attended.text() == "3"  # attended twice and late once; the note in error not
    assert tab.did_not_attend.text() == "1"
    assert tab.open_referrals.text() == "2"  # sent and draft; closed and declined are not
    assert tab.urgent_events.text() == "1"  # the decided and the routine ones do not count
    assert tab.urgent_warning.isVisibleTo(tab)
    assert "1 urgent risk event needs a decision on sharing" in tab.urgent_warning.text()


def test_a_new_client_shows_empty_states_in_words(qtbot):
    tab = make_tab(qtbot, Fakes(record=EMPTY, details=NEW_DETAILS, team=()))
    text = visible_text(tab)
    assert NO_TYPOLOGY in text
    assert NO_RISK_ASSESSMENT in text
    assert NO_TEAM in text
    assert NO_SHARING_NOTES in text
    assert "No NHS number recorded" in text
    assert tab.police_ref.text() == "Not recorded"
    assert tab.consent.text() == "Not asked"
    for hidden in (
        tab.typology_history_button,
        tab.typology_rationale,
        tab.risk_history_button,
        tab.risk_summary,
        tab.urgent_warning,
        tab.demo_marker,
    ):
        assert not hidden.isVisibleTo(tab)
    assert (tab.attended.text(), tab.did_not_attend.text()) == ("0", "0")
    assert (tab.open_referrals.text(), tab.urgent_events.text()) == ("0", "0")


def test_refresh_shows_what_changed(qtbot):
    fakes = Fakes(record=EMPTY)
    tab = make_tab(qtbot, fakes)
    assert tab.typology.text() == NO_TYPOLOGY
    fakes.record = RICH
    tab.refresh()
    assert tab.typology.text() == "Resentful"
    assert tab.risk_summary.isVisibleTo(tab)


def test_a_record_that_cannot_be_loaded_says_so_without_dead_buttons(qtbot):
    fakes = Fakes(load_error=NotFound("That client could not be found."))
    tab = make_tab(qtbot, fakes)
    assert tab.load_problem.isVisibleTo(tab)
    assert "That client could not be found." in tab.load_problem.text()
    assert not tab.content_area.isVisibleTo(tab)
    for button in (tab.edit_button, tab.typology_button, tab.risk_button, tab.assign_button):
        assert not button.isVisibleTo(tab)
    fakes.load_error = None
    tab.retry_button.click()
    assert not tab.load_problem.isVisibleTo(tab)
    assert tab.edit_button.isVisibleTo(tab)
    assert tab.name.text() == "WHITFIELD, Jordan"


def test_every_control_has_an_accessible_name_and_its_own_access_key(qtbot):
    tab = make_tab(qtbot, Fakes())
    widgets = tab.findChildren(QLabel) + tab.findChildren(QPushButton)
    assert all(w.accessibleName() for w in widgets), [
        w.text() for w in widgets if not w.accessibleName()
    ]
    letters = [
        b.text()[b.text().index("&") + 1].lower()
        for b in tab.findChildren(QPushButton)
        if "&" in b.text()
    ]
    assert len(letters) == len(set(letters))
    # The record window's tabs take Alt+O, P, S, R, F and M.
    assert not set(letters) & set("opsrfm")


# -- the buttons open the dialogs ------------------------------------------------------------------


def test_edit_details_opens_the_form_over_fresh_details_and_saves(qtbot):
    fakes = Fakes()
    tab = make_tab(qtbot, fakes)
    fakes.version = 4  # someone saved since the tab loaded: the edit starts from version 4
    loads = len(fakes.named("overview"))
    tab.edit_button.click()
    dialog = tab.current_dialog
    assert isinstance(dialog, ClientDialog)
    assert dialog.isVisible()
    assert dialog.given_name.text() == "Jordan"
    dialog.family_name.setText("Whitfield-Smith")
    with qtbot.waitSignal(tab.changed):
        dialog.save_button.click()
    [(args, kwargs)] = fakes.named("update_client")
    assert args == (
        CLIENT_ID,
        replace(DETAILS, family_name="Whitfield-Smith", nhs_number="999 000 0018"),
    )
    assert kwargs == {"expected_version": 4}
    assert len(fakes.named("overview")) == loads + 1  # the tab reloaded
    assert tab.current_dialog is None


def test_set_typology_opens_the_dialog_at_the_current_typology(qtbot):
    fakes = Fakes()
    tab = make_tab(qtbot, fakes)
    tab.typology_button.click()
    dialog = tab.current_dialog
    assert isinstance(dialog, TypologyDialog)
    assert dialog.chosen() is Typology.RESENTFUL
    dialog.typology.setCurrentIndex(dialog.typology.findData(Typology.PREDATORY))
    dialog.rationale.setPlainText("Planning and information gathering.")
    dialog.assessed_on.setDate(QDate(2026, 3, 1))
    with qtbot.waitSignal(tab.changed):
        dialog.save_button.click()
    assert fakes.named("set_typology") == [
        (
            (CLIENT_ID, Typology.PREDATORY),
            {"rationale": "Planning and information gathering.", "assessed_on": date(2026, 3, 1)},
        )
    ]


def test_record_risk_assessment_opens_the_dialog_and_saves(qtbot):
    fakes = Fakes()
    tab = make_tab(qtbot, fakes)
    tab.risk_button.click()
    dialog = tab.current_dialog
    assert isinstance(dialog, RiskAssessmentDialog)
    dialog.tool_version.setText("2nd edition")
    dialog.rationale.setPlainText("Reasons.")
    with qtbot.waitSignal(tab.changed):
        dialog.save_button.click()
    [(args, kwargs)] = fakes.named("record_risk_assessment")
    assert args == (CLIENT_ID,)
    assert kwargs["tool"] is RiskTool.SRP
    assert kwargs["assessed_on"] == TODAY
    assert set(kwargs["judgements"].values()) == {"not rated"}


def test_assign_staff_offers_only_who_is_not_on_the_team(qtbot):
    fakes = Fakes()
    tab = make_tab(qtbot, fakes)
    tab.assign_button.click()
    dialog = tab.current_dialog
    assert isinstance(dialog, AssignStaffDialog)
    assert [dialog.person.itemText(i) for i in range(dialog.person.count())] == [
        "Ali Khan (Forensic psychologist)"
    ]
    with qtbot.waitSignal(tab.changed):
        dialog.save_button.click()
    assert fakes.named("assign_staff") == [((CLIENT_ID, 4), {"is_lead": False})]


def test_cancelling_a_dialog_changes_nothing(qtbot):
    fakes = Fakes()
    tab = make_tab(qtbot, fakes)
    emitted: list[bool] = []
    tab.changed.connect(lambda: emitted.append(True))
    tab.typology_button.click()
    dialog = tab.current_dialog
    assert dialog is not None
    dialog.reject()
    assert emitted == []
    assert fakes.named("set_typology") == []
    assert tab.current_dialog is None


def test_details_that_cannot_be_read_are_explained_and_no_form_opens(qtbot, shown_errors):
    fakes = Fakes()
    tab = make_tab(qtbot, fakes)

    def refuse(client_id: int) -> tuple[ClientDetails, int]:
        raise NotFound("That client could not be found.")

    tab._actions = replace(tab._actions, client_details=refuse)
    tab.edit_button.click()
    assert shown_errors == ["That client could not be found."]
    assert tab.current_dialog is None
