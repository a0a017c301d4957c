"""The Overview tab of a client's record: who the client is and where the work stands.

It shows identity (with a clear marker on demo records), the current typology with its
history, the latest risk assessment's judgements, the team, consent to share with the
private sharing notes, and a few counts (sessions, open referrals, urgent risk events
awaiting a share decision). It says whether victims or other people are recorded and which
protective measures are in force, with any ending within 28 days flagged in words (counts,
titles and dates only: no names, which live on the Victims and others tab). Its buttons
open the dialogs of :mod:`client_form` without blocking (``open()``), and the tab emits
``changed`` after any of them saved.

It reads through the background runner, in one unit of work (``record.overview``): the
counts are counted by the database, so the sessions and referrals themselves are read only
by their own tabs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QEnterEvent, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.models.enums import RiskTool
from clinic_app.services.clients import ClientDetails
from clinic_app.services.record import (
    RecordCounts,
    RecordOverview,
    RiskAssessmentRow,
    TypologyRow,
)
from clinic_app.services.staff import StaffRow
from clinic_app.services.third_parties import Protection
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.forms import ERROR_STYLE
from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.common.runner import runner
from clinic_app.views.record.client_form import AssignStaffDialog, ClientDialog, TypologyDialog
from clinic_app.views.record.form_parts import (
    LEVEL_WORDS,
    AssignStaff,
    RecordRiskAssessment,
    SetTypology,
    UpdateClient,
)
from clinic_app.views.record.risk_assessment import RiskAssessmentDialog
from clinic_app.wording import (
    CLIENT_STATUS_WORDS,
    CONSENT_WORDS,
    RISK_TOOL_WORDS,
    TYPOLOGY_WORDS,
    age_on,
    format_nhs_number,
)

NO_TYPOLOGY = "No typology recorded yet."
NO_RISK_ASSESSMENT = "No risk assessment recorded yet."
NO_TEAM = "No staff are assigned to this client."
NO_SHARING_NOTES = "No sharing notes recorded."
NO_SHAREABLE_SUMMARY = "No shareable summary written."
NO_THIRD_PARTIES = "None recorded. Add the victim on the Victims and others tab."
NO_MEASURES_IN_FORCE = "None in force."
NOT_RECORDED = "Not recorded"
DEMO_TEXT = "DEMO RECORD: test data, not a real person."
DEMO_STYLE = (
    "background: #fff3c4; color: #3d2e00; border: 2px solid #7a5c00; "
    "padding: 6px; font-weight: bold;"
)
HINT_COLOUR = "#4a4a4a"  # 8.9:1 on white
LOADING_TEXT = "Loading the overview…"


@dataclass(frozen=True)
class TeamMember:
    """A member of staff on the client's team."""

    name: str
    is_lead: bool


def _no_sites() -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class OverviewActions:
    """What the Overview tab needs, each bound to the signed-in user (``Workspace.bind``).

    ``overview`` reads what the tab shows (``record.overview``: identity, team lead first,
    typologies, risk assessments and counts); ``client_details`` reads the details afresh
    for editing; ``known_sites`` the programme sites to offer when editing details. Each
    runs on the background runner, never on the GUI thread.
    """

    overview: Callable[[int], RecordOverview]
    client_details: Callable[[int], tuple[ClientDetails, int]]
    update_client: UpdateClient
    set_typology: SetTypology
    record_risk_assessment: RecordRiskAssessment
    clinical_staff: Callable[[], Sequence[StaffRow]]
    assign_staff: AssignStaff
    known_sites: Callable[[], Sequence[str]] = _no_sites
    today: Callable[[], date] = date.today
    protection: Callable[[int, date], Protection] | None = None
    """``third_parties.protection``: without it the overview leaves the part out."""
    opened: Callable[[], tuple[RecordOverview, Protection] | None] = lambda: None
    """What the record's opening already read for this tab (``record.opening``), once:
    the tab's first load uses it rather than reading the same rows again."""


def _days_away(days: int) -> str:
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def tool_words(row: RiskAssessmentRow) -> str:
    if row.tool is RiskTool.OTHER and row.tool_name:
        return row.tool_name
    return RISK_TOOL_WORDS[row.tool]


class _Value(QLabel):
    """A value on the overview, read aloud with the name of what it is, that the mouse can
    select (to copy a reference, say).

    A selectable label lays out and paints its text through a text document of its own,
    which for the overview's thirty values was about a third of building and painting the
    tab; a value becomes selectable when the mouse first comes over it, before any press.
    Free text wraps; a value of a fixed, short form (a date, a number) does not, which
    spares the layout asking its height for each width.
    """

    def __init__(self, name: str, *, bold: bool = False, wrap: bool = True) -> None:
        super().__init__()
        self.name = name
        self.setWordWrap(wrap)
        self.setTextFormat(Qt.TextFormat.PlainText)
        if bold:
            font = self.font()
            font.setBold(True)
            self.setFont(font)
        self.setAccessibleName(name)

    def show_text(self, text: str) -> None:
        self.setText(text)
        self.setAccessibleName(f"{self.name}: {text}" if text else self.name)

    def enterEvent(self, event: QEnterEvent) -> None:
        if not self.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse:
            self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        super().enterEvent(event)


def _group(title: str) -> tuple[QGroupBox, QVBoxLayout]:
    box = QGroupBox(title)
    box.setAccessibleName(title)
    layout = QVBoxLayout(box)
    return box, layout


def _hinted(label: QLabel) -> QLabel:
    """The grey of a field's name (8.9:1 on white), as a palette: a style sheet of its own
    on each label was about a fifth of building the tab."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(HINT_COLOUR))
    label.setPalette(palette)
    return label


def _form_row(form: QFormLayout, text: str, *, wrap: bool = True) -> _Value:
    label = QLabel(text)
    label.setAccessibleName(text)
    _hinted(label)
    value = _Value(text, wrap=wrap)
    form.addRow(label, value)
    return value


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setAccessibleName(text)
    _hinted(label)
    return label


class OverviewTab(RecordPart):
    """The client at a glance, with the actions that change who they are and their risk.

    Signals:
        changed(): emitted after a dialog opened from here saved a change to the record.
    """

    def __init__(
        self, client_id: int, actions: OverviewActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self._loaded_once = False
        self.record: RecordOverview | None = None
        self.details: ClientDetails | None = None
        self.team: tuple[TeamMember, ...] = ()
        # The dialog opened from a button, while it is open (tests drive it through this).
        self.current_dialog: QDialog | None = None
        self.setAccessibleName("Overview")

        self.edit_button = self._button("&Edit details…", "Edit the client's details")
        self.typology_button = self._button("Set &typology…", "Set the typology")
        self.risk_button = self._button("Record risk &assessment…", "Record a risk assessment")
        # Alt+S opens the Sessions tab of the record, so this button takes Alt+G.
        self.assign_button = self._button("Assi&gn staff…", "Assign staff to this client")
        self.edit_button.clicked.connect(self._on_edit_details)
        self.typology_button.clicked.connect(self._on_set_typology)
        self.risk_button.clicked.connect(self._on_record_risk_assessment)
        self.assign_button.clicked.connect(self._on_assign_staff)
        bar = QHBoxLayout()
        for button in (
            self.edit_button,
            self.typology_button,
            self.risk_button,
            self.assign_button,
        ):
            bar.addWidget(button)
        bar.addStretch()

        self.demo_marker = QLabel(DEMO_TEXT)
        self.demo_marker.setStyleSheet(DEMO_STYLE)
        self.demo_marker.setAccessibleName(DEMO_TEXT)
        self.demo_marker.hide()

        self.load_problem = QLabel()
        self.load_problem.setWordWrap(True)
        self.load_problem.setStyleSheet(ERROR_STYLE)
        self.load_problem.setAccessibleName("The overview could not be loaded")
        self.retry_button = self._button("Try &loading again", "Try loading the overview again")
        self.retry_button.clicked.connect(self.refresh)
        self.load_problem.hide()
        self.retry_button.hide()
        self.loading = QLabel(LOADING_TEXT)
        self.loading.setAccessibleName(LOADING_TEXT)
        _hinted(self.loading)

        content = QWidget()
        grid = QGridLayout(content)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        left = QVBoxLayout()
        right = QVBoxLayout()
        left.addWidget(self._build_identity())
        left.addWidget(self._build_sharing())
        left.addWidget(self._build_team())
        left.addStretch()
        right.addWidget(self._build_typology())
        right.addWidget(self._build_risk())
        right.addWidget(self._build_protection())
        right.addWidget(self._build_counts())
        right.addStretch()
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        self.content_area = QScrollArea()
        self.content_area.setWidgetResizable(True)
        self.content_area.setFrameShape(QFrame.Shape.NoFrame)
        self.content_area.setWidget(content)
        self.content_area.setAccessibleName("Overview of the client")

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.demo_marker)
        layout.addWidget(self.load_problem)
        layout.addWidget(self.retry_button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.loading)
        layout.addWidget(self.content_area, stretch=1)
        self.content_area.hide()
        for button in self._action_buttons():
            button.hide()  # nothing to act on until the record is shown
        self.refresh()

    # -- building ----------------------------------------------------------------------------

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        return button

    def _build_identity(self) -> QGroupBox:
        box, column = _group("Identity")
        form = QFormLayout()
        self.name = _form_row(form, "Name")
        self.date_of_birth = _form_row(form, "Date of birth", wrap=False)
        self.nhs_number = _form_row(form, "NHS number", wrap=False)
        self.local_ref = _form_row(form, "Case reference")
        self.police_ref = _form_row(form, "Police or partner reference")
        self.address = _form_row(form, "Address")
        self.site = _form_row(form, "Programme site")
        self.status = _form_row(form, "Status", wrap=False)
        self.referral = _form_row(form, "Referred by")
        self.referral_date = _form_row(form, "Referral date", wrap=False)
        column.addLayout(form)
        return box

    def _build_sharing(self) -> QGroupBox:
        box, column = _group("Information sharing")
        form = QFormLayout()
        self.consent = _form_row(form, "Consent to share")
        column.addLayout(form)
        column.addWidget(_caption("Sharing and gateway notes (private: never shared)"))
        self.sharing_notes = _Value("Sharing and gateway notes, private")
        column.addWidget(self.sharing_notes)
        return box

    def _build_team(self) -> QGroupBox:
        box, column = _group("Team")
        self.team_list = _Value("Team")
        column.addWidget(self.team_list)
        return box

    def _build_typology(self) -> QGroupBox:
        box, column = _group("Typology")
        self.typology = _Value("Current typology", bold=True)
        self.typology_date = _Value("Typology recorded on")
        self.typology_rationale_caption = _caption("Rationale (private)")
        self.typology_rationale = _Value("Typology rationale")
        self.typology_history_button = self._button(
            "Earlier t&ypologies", "Show or hide earlier typologies"
        )
        self.typology_history_button.setCheckable(True)
        self.typology_history = _Value("Earlier typologies")
        self.typology_history.hide()
        self.typology_history_button.toggled.connect(self._on_typology_history_toggled)
        for widget in (
            self.typology,
            self.typology_date,
            self.typology_rationale_caption,
            self.typology_rationale,
        ):
            column.addWidget(widget)
        column.addWidget(self.typology_history_button, alignment=Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.typology_history)
        return box

    def _build_risk(self) -> QGroupBox:
        box, column = _group("Latest risk assessment")
        self.risk_tool = _Value("Risk assessment", bold=True)
        self.risk_judgements_box = QWidget()
        self.risk_judgements = QFormLayout(self.risk_judgements_box)
        self.risk_judgements.setContentsMargins(12, 0, 0, 0)
        self.risk_rationale_caption = _caption("Rationale (private: never shared)")
        self.risk_rationale = _Value("Risk assessment rationale, private")
        self.risk_summary_caption = _caption("Shareable summary (may be shared with partners)")
        self.risk_summary = _Value("Shareable summary")
        self.risk_history_button = self._button(
            "Earlier ris&k assessments", "Show or hide earlier risk assessments"
        )
        self.risk_history_button.setCheckable(True)
        self.risk_history = _Value("Earlier risk assessments")
        self.risk_history.hide()
        self.risk_history_button.toggled.connect(self._on_risk_history_toggled)
        for widget in (
            self.risk_tool,
            self.risk_judgements_box,
            self.risk_rationale_caption,
            self.risk_rationale,
            self.risk_summary_caption,
            self.risk_summary,
        ):
            column.addWidget(widget)
        column.addWidget(self.risk_history_button, alignment=Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.risk_history)
        return box

    def _build_protection(self) -> QGroupBox:
        box, column = _group("Victims and protective measures")
        self.protection_box = box
        form = QFormLayout()
        self.third_parties = _form_row(form, "Victims and others recorded")
        self.measures_in_force = _form_row(form, "Protective measures in force")
        column.addLayout(form)
        self.expiring_warning = QLabel()
        self.expiring_warning.setWordWrap(True)
        self.expiring_warning.setTextFormat(Qt.TextFormat.PlainText)
        self.expiring_warning.setStyleSheet(ERROR_STYLE + " font-weight: bold;")
        self.expiring_warning.setAccessibleName("Protective measures expiring soon")
        self.expiring_warning.hide()
        column.addWidget(self.expiring_warning)
        if self._actions.protection is None:
            box.hide()  # never setVisible(True) here: without a parent yet it would open a window
        return box

    def _build_counts(self) -> QGroupBox:
        box, column = _group("At a glance")
        form = QFormLayout()
        self.attended = _form_row(form, "Sessions attended", wrap=False)
        self.did_not_attend = _form_row(form, "Sessions not attended (DNA)", wrap=False)
        self.open_referrals = _form_row(form, "Open referrals", wrap=False)
        self.urgent_events = _form_row(
            form, "Urgent risk events awaiting a share decision", wrap=False
        )
        column.addLayout(form)
        self.urgent_warning = QLabel()
        self.urgent_warning.setWordWrap(True)
        self.urgent_warning.setStyleSheet(ERROR_STYLE + " font-weight: bold;")
        self.urgent_warning.setAccessibleName("Urgent risk warning")
        self.urgent_warning.hide()
        column.addWidget(self.urgent_warning)
        return box

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the overview (on the runner); it is shown when it arrives."""
        overview, protection = self._actions.overview, self._actions.protection
        opened = self._actions.opened
        client_id, today = self.client_id, self._actions.today()
        # Only the first load may show what the record's opening read: a later one is
        # asked for because something changed (and one asked for first may be dropped
        # for a newer one before it runs).
        first, self._loaded_once = not self._loaded_once, True

        def read() -> tuple[RecordOverview, Protection | str | None]:
            already = opened()  # taken by any read, so that nothing is kept unused
            if first and already is not None:
                return already[0], (already[1] if protection is not None else None)
            shown: Protection | str | None = None
            if protection is not None:
                try:
                    shown = protection(client_id, today)
                except ClinicError as error:
                    shown = error.message  # the rest of the overview still shows
            return overview(client_id), shown

        runner().run(
            read,
            self._show_loaded,
            key=f"overview:{client_id}",
            parent=self,
            failed=lambda error: self._show_load_problem(error.message),
        )

    def _show_loaded(self, loaded: tuple[RecordOverview, Protection | str | None]) -> None:
        record, protection = loaded
        team = tuple(TeamMember(t.name, t.is_lead) for t in record.team)
        self.record, self.details, self.team = record, record.details, team
        self.loading.hide()
        self.load_problem.hide()
        self.retry_button.hide()
        self.content_area.show()
        for button in self._action_buttons():
            button.show()
        self._show_identity(record.details)
        self._show_sharing(record.details)
        self._show_team(team)
        self._show_typology(record.typologies)
        self._show_risk(record.risk_assessments)
        self._show_counts(record.counts)
        self._show_protection(protection)

    def _action_buttons(self) -> tuple[QPushButton, ...]:
        return (self.edit_button, self.typology_button, self.risk_button, self.assign_button)

    def _show_load_problem(self, message: str) -> None:
        text = f"The overview could not be loaded. {message}"
        self.load_problem.setText(text)
        self.load_problem.setAccessibleDescription(text)
        self.load_problem.show()
        self.retry_button.show()
        self.loading.hide()
        self.content_area.hide()
        self.demo_marker.hide()
        for button in self._action_buttons():
            button.hide()  # nothing to act on: no dead buttons

    def _show_identity(self, d: ClientDetails) -> None:
        today = self._actions.today()
        self.demo_marker.setVisible(d.is_demo)
        self.name.show_text(f"{d.family_name.upper()}, {d.given_name}")
        self.date_of_birth.show_text(
            f"{d.date_of_birth:%d/%m/%Y} (age {age_on(d.date_of_birth, today)})"
        )
        nhs = format_nhs_number(d.nhs_number) if d.nhs_number else "No NHS number recorded"
        self.nhs_number.show_text(nhs)
        self.local_ref.show_text(d.local_ref)
        self.police_ref.show_text(d.police_ref or NOT_RECORDED)
        self.address.show_text(d.address or NOT_RECORDED)
        self.site.show_text(d.site)
        self.status.show_text(CLIENT_STATUS_WORDS[d.status])
        self.referral.show_text(d.referral_source or NOT_RECORDED)
        self.referral_date.show_text(f"{d.referral_date:%d/%m/%Y}")

    def _show_sharing(self, d: ClientDetails) -> None:
        self.consent.show_text(CONSENT_WORDS[d.consent_to_share])
        self.sharing_notes.show_text(d.sharing_notes.strip() or NO_SHARING_NOTES)

    def _show_team(self, team: Sequence[TeamMember]) -> None:
        lines = [f"{m.name} (lead clinician)" if m.is_lead else m.name for m in team]
        self.team_list.show_text("\n".join(lines) or NO_TEAM)

    def _show_typology(self, rows: Sequence[TypologyRow]) -> None:
        has_any = bool(rows)
        for widget in (
            self.typology_date,
            self.typology_rationale_caption,
            self.typology_rationale,
        ):
            widget.setVisible(has_any)
        earlier = list(reversed(rows[:-1]))
        self.typology_history_button.setVisible(bool(earlier))
        self.typology_history.setVisible(bool(earlier) and self.typology_history_button.isChecked())
        if not has_any:
            self.typology.show_text(NO_TYPOLOGY)
            return
        current = rows[-1]
        self.typology.show_text(TYPOLOGY_WORDS[current.typology])
        self.typology_date.show_text(f"Recorded on {current.assessed_on:%d/%m/%Y}")
        self.typology_rationale.show_text(current.rationale.strip() or "No rationale given.")
        self._on_typology_history_toggled(self.typology_history_button.isChecked())
        self.typology_history.show_text(
            "\n\n".join(
                f"{TYPOLOGY_WORDS[row.typology]}, recorded on {row.assessed_on:%d/%m/%Y}"
                + (f"\n{row.rationale.strip()}" if row.rationale.strip() else "")
                for row in earlier
            )
        )

    def _show_risk(self, rows: Sequence[RiskAssessmentRow]) -> None:
        has_any = bool(rows)
        for widget in (
            self.risk_judgements_box,
            self.risk_rationale_caption,
            self.risk_rationale,
            self.risk_summary_caption,
            self.risk_summary,
        ):
            widget.setVisible(has_any)
        while self.risk_judgements.rowCount():
            self.risk_judgements.removeRow(0)
        earlier = list(reversed(rows[:-1]))
        self.risk_history_button.setVisible(bool(earlier))
        self.risk_history.setVisible(bool(earlier) and self.risk_history_button.isChecked())
        if not has_any:
            self.risk_tool.show_text(NO_RISK_ASSESSMENT)
            return
        latest = rows[-1]
        self.risk_tool.show_text(
            f"{tool_words(latest)}, version {latest.tool_version}, "
            f"assessed on {latest.assessed_on:%d/%m/%Y}"
        )
        for name, level in latest.judgements:
            label = QLabel(f"{name}:")
            label.setAccessibleName(name)
            value = _Value(name, bold=True)
            value.show_text(LEVEL_WORDS.get(level, level))
            self.risk_judgements.addRow(label, value)
        self.risk_rationale.show_text(latest.rationale.strip() or "No rationale given.")
        self.risk_summary.show_text(latest.shareable_summary.strip() or NO_SHAREABLE_SUMMARY)
        self._on_risk_history_toggled(self.risk_history_button.isChecked())
        self.risk_history.show_text(
            "\n\n".join(
                f"{tool_words(row)}, version {row.tool_version}, assessed on "
                f"{row.assessed_on:%d/%m/%Y}\n"
                + "; ".join(f"{name}: {LEVEL_WORDS.get(lvl, lvl)}" for name, lvl in row.judgements)
                for row in earlier
            )
        )

    def _show_counts(self, counts: RecordCounts) -> None:
        urgent = counts.urgent_awaiting_decision
        self.attended.show_text(str(counts.attended))
        self.did_not_attend.show_text(str(counts.did_not_attend))
        self.open_referrals.show_text(str(counts.open_referrals))
        self.urgent_events.show_text(str(urgent))
        if urgent:
            events = (
                "1 urgent risk event needs" if urgent == 1 else f"{urgent} urgent risk events need"
            )
            text = f"Warning: {events} a decision on sharing. See the Risk tab."
            self.urgent_warning.setText(text)
            self.urgent_warning.setAccessibleDescription(text)
        self.urgent_warning.setVisible(bool(urgent))

    def _show_protection(self, shown: Protection | str | None) -> None:
        if shown is None:
            return
        today = self._actions.today()
        if isinstance(shown, str):
            self.third_parties.show_text(f"Could not be read. {shown}")
            self.measures_in_force.show_text("")
            self.expiring_warning.hide()
            return
        if shown.people:
            victims = f"{shown.victims} victim{'s' if shown.victims != 1 else ''}"
            people = f"{shown.people} {'person' if shown.people == 1 else 'people'}"
            self.third_parties.show_text(f"{people} ({victims})")
        else:
            self.third_parties.show_text(NO_THIRD_PARTIES)
        expiring = set(shown.expiring)
        lines = []
        for title, ends_on in shown.measures_in_force:
            until = f"until {ends_on:%d/%m/%Y}" if ends_on else "no end date"
            flag = " (EXPIRING SOON)" if ends_on and (title, ends_on) in expiring else ""
            lines.append(f"{title}, {until}{flag}")
        self.measures_in_force.show_text("\n".join(lines) or NO_MEASURES_IN_FORCE)
        if shown.expiring:
            ending = "; ".join(
                f"{title} on {ends_on:%d/%m/%Y} ({_days_away((ends_on - today).days)})"
                for title, ends_on in shown.expiring
            )
            text = (
                f"Warning: ending soon: {ending}. Check whether "
                f"{'it is' if len(shown.expiring) == 1 else 'each is'} being renewed or "
                "replaced. See the Victims and others tab."
            )
            self.expiring_warning.setText(text)
            self.expiring_warning.setAccessibleDescription(text)
        self.expiring_warning.setVisible(bool(shown.expiring))

    # -- actions -----------------------------------------------------------------------------

    def edit_details_dialog(self, then: Callable[[QDialog], None]) -> None:
        """Read the details afresh (so the version is current) and the sites, on the
        runner; hand the edit dialog over them to ``then`` (nothing, if they cannot be read)."""
        client_details, known_sites = self._actions.client_details, self._actions.known_sites
        client_id = self.client_id

        def read() -> tuple[tuple[ClientDetails, int], Sequence[str]]:
            loaded = client_details(client_id)
            try:
                sites = tuple(known_sites())
            except ClinicError:
                sites = ()  # the form still works: the site is typed instead
            return loaded, sites

        def build(read_back: tuple[tuple[ClientDetails, int], Sequence[str]]) -> None:
            loaded, sites = read_back
            dialog = ClientDialog.for_editing(
                self._actions.update_client,
                client_id,
                loaded,
                sites=sites,
                today=self._actions.today,
                parent=self,
            )
            dialog.saved.connect(self._on_saved)
            then(dialog)

        runner().run(read, build, key=f"overview-form:{client_id}", parent=self)

    def typology_dialog(self) -> TypologyDialog:
        current = self.record.current_typology if self.record is not None else None
        dialog = TypologyDialog(
            self.client_id,
            self._actions.set_typology,
            current=current,
            today=self._actions.today,
            parent=self,
        )
        dialog.saved.connect(self._on_saved)
        return dialog

    def risk_assessment_dialog(self) -> RiskAssessmentDialog:
        dialog = RiskAssessmentDialog(
            self.client_id,
            self._actions.record_risk_assessment,
            today=self._actions.today,
            parent=self,
        )
        dialog.saved.connect(self._on_saved)
        return dialog

    def assign_staff_dialog(self, then: Callable[[QDialog], None]) -> None:
        """Read the clinical staff on the runner; hand the dialog to ``then``."""

        def build(staff: Sequence[StaffRow]) -> None:
            dialog = AssignStaffDialog(
                self.client_id,
                staff,
                self._actions.assign_staff,
                already_assigned={m.name for m in self.team},
                parent=self,
            )
            dialog.saved.connect(self._on_saved)
            then(dialog)

        runner().run(
            self._actions.clinical_staff,
            build,
            key=f"overview-form:{self.client_id}",
            parent=self,
        )

    def _open(
        self, dialog: QDialog | None, form: str, restore: dict[str, Any] | None = None
    ) -> None:
        if dialog is None:
            return
        remember_form(dialog, client_id=self.client_id, tab="Overview", form=form)
        if restore:
            restore_input_state(dialog, restore)
        self.current_dialog = dialog
        dialog.finished.connect(lambda _result: self._on_dialog_finished(dialog))
        dialog.open()

    def _on_dialog_finished(self, dialog: QDialog) -> None:
        if self.current_dialog is dialog:
            self.current_dialog = None
        dialog.deleteLater()

    def _on_edit_details(self) -> None:
        self.edit_details_dialog(lambda dialog: self._open(dialog, "details"))

    def _on_set_typology(self) -> None:
        self._open(self.typology_dialog(), "typology")

    def _on_record_risk_assessment(self) -> None:
        self._open(self.risk_assessment_dialog(), "risk_assessment")

    def _on_assign_staff(self) -> None:
        self.assign_staff_dialog(lambda dialog: self._open(dialog, "assign_staff"))

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if there is no such
        form. Forms over freshly read data open when that data arrives."""
        del params  # the overview's forms are about the client itself
        if form == "details":
            self.edit_details_dialog(lambda dialog: self._open(dialog, form, state))
        elif form == "assign_staff":
            self.assign_staff_dialog(lambda dialog: self._open(dialog, form, state))
        elif form == "typology":
            self._open(self.typology_dialog(), form, state)
        elif form == "risk_assessment":
            self._open(self.risk_assessment_dialog(), form, state)
        else:
            return False
        return True

    def _on_typology_history_toggled(self, shown: bool) -> None:
        count = len(self.record.typologies) - 1 if self.record is not None else 0
        self.typology_history.setVisible(shown and count > 0)
        verb = "Hide" if shown else "Show"
        self.typology_history_button.setText(f"{verb} earlier t&ypologies ({count})")

    def _on_risk_history_toggled(self, shown: bool) -> None:
        count = len(self.record.risk_assessments) - 1 if self.record is not None else 0
        self.risk_history.setVisible(shown and count > 0)
        verb = "Hide" if shown else "Show"
        self.risk_history_button.setText(f"{verb} earlier ris&k assessments ({count})")

    def _on_saved(self) -> None:
        self.refresh()
        self.changed.emit()
