"""Registering and editing a client, and the small dialogs of the client's Overview.

Every dialog here takes the use case it calls (bound to the signed-in user by
``Workspace.bind``) so tests can hand it a fake. Dialogs never block on their own: the
caller shows them with ``open()`` (the Overview tab does) or ``exec()`` (the helpers
:func:`register_new_client` and :func:`ask_emergency_access` at the bottom, for the main
window). On Save a dialog calls its use case; a ``ValidationError`` puts each problem
under its field and keeps what was typed; any other known error (for instance someone
else changed the record first) is shown in a message box, and the dialog stays open.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from typing import Any

from PySide6.QtCore import (
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import Problem, ValidationError
from clinic_app.models.enums import ClientStatus, ConsentToShare, Typology
from clinic_app.services.clients import (
    EARLIEST_BIRTH,
    ClientDetails,
    ClientSummary,
    detail_problems,
)
from clinic_app.services.conflicts import changed, merge, reapply
from clinic_app.services.staff import StaffRow
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.forms import ERROR_STYLE
from clinic_app.views.common.widgets import to_date
from clinic_app.views.record.form_parts import (
    HINT_STYLE,
    REFERRAL_SOURCES,
    VALID_STYLE,
    AssignStaff,
    BlankableDateEdit,
    FormRows,
    SavingDialog,
    SetTypology,
    UpdateClient,
    date_edit,
    enum_combo,
    fill_group,
    hint,
    multi_line,
    nhs_number_feedback,
)
from clinic_app.wording import CLIENT_STATUS_WORDS, CONSENT_WORDS, TYPOLOGY_WORDS, format_nhs_number

# -- registering and editing a client ----------------------------------------------------------


class ClientDialog(SavingDialog):
    """Register a client (no ``existing`` details) or edit one (``existing`` = details, version).

    ``save`` is the use case to call with the typed details: for registration
    ``clients.register_client`` bound to the user; for editing, a callable that calls
    ``clients.update_client(client_id, details, expected_version=version)`` (see
    :meth:`for_editing`). On success the dialog emits ``saved`` with the
    ``ClientSummary`` the use case returned, keeps it in ``summary`` and closes accepted.

    Signals:
        saved(ClientSummary): the client as registered or updated.
    """

    saved = Signal(object)

    def __init__(
        self,
        save: Callable[[ClientDetails], ClientSummary],
        existing: tuple[ClientDetails, int] | None = None,
        *,
        sites: Sequence[str] = (),
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        details = existing[0] if existing is not None else None
        if details is None:
            title, save_text = "Register a client", "&Register client"
        else:
            title = f"Edit details of {details.family_name.upper()}, {details.given_name}"
            save_text = "&Save changes"
        super().__init__(title, save_text, parent)
        self._save = save
        self._today = today
        self.version = existing[1] if existing is not None else None
        # Editing: the details as opened, and the save given the version to save over
        # (after a conflict).
        self._opened = details
        self.save_at_version: Callable[[ClientDetails, int], ClientSummary] | None = None
        self.summary: ClientSummary | None = None
        now = today()

        intro = hint(
            "Fields marked (required) must be filled in. Only what a partner agency "
            "needs to identify the client is ever shared.",
            "About this form",
        )

        # Identity
        self.local_ref = QLineEdit(details.local_ref if details else "")
        self.local_ref.setPlaceholderText("e.g. MASIP-0042")
        self.given_name = QLineEdit(details.given_name if details else "")
        self.family_name = QLineEdit(details.family_name if details else "")
        self.date_of_birth = date_edit(
            details.date_of_birth if details else None, maximum=now, name="Date of birth"
        )
        self.nhs_number = QLineEdit(format_nhs_number(details.nhs_number) if details else "")
        self.nhs_number.setPlaceholderText("e.g. 943 476 5919")
        self.nhs_feedback = QLabel()
        self.nhs_feedback.setWordWrap(True)
        self.is_demo = QCheckBox("&Demo record (test data; allows 999 test NHS numbers)")
        self.is_demo.setChecked(details.is_demo if details else False)
        self.is_demo.setAccessibleName("Demo record")
        self.address = multi_line(details.address if details else "", name="Address", lines=3)

        identity = QGroupBox("Identity")
        identity.setAccessibleName("Identity")
        form = FormRows(self.errors)
        form.add("local_ref", "&Case reference", self.local_ref, required=True)
        form.add("given_name", "&Given name", self.given_name, required=True)
        form.add("family_name", "&Family name", self.family_name, required=True)
        form.add("date_of_birth", "Date of &birth", self.date_of_birth, required=True)
        form.add("nhs_number", "&NHS number", self.nhs_number, note=self.nhs_feedback)
        form.layout.addRow("", self.is_demo)
        form.add("address", "&Address", self.address)
        fill_group(identity, form, stretch=True)

        # Programme
        self.police_ref = QLineEdit(details.police_ref if details else "")
        self.site = QComboBox()
        self.site.setEditable(True)
        self.site.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        known = sorted(
            {s.strip() for s in sites if s.strip()} | ({details.site} if details else set())
        )
        self.site.addItems(known)
        self.site.setCurrentIndex(-1)
        self.site.setEditText(details.site if details else (known[0] if len(known) == 1 else ""))
        self.referral_source = QComboBox()
        self.referral_source.setEditable(True)
        self.referral_source.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.referral_source.addItems(REFERRAL_SOURCES)
        self.referral_source.setCurrentIndex(-1)
        self.referral_source.setEditText(details.referral_source if details else "")
        self.referral_date = date_edit(
            details.referral_date if details else now, maximum=now, name="Referral date"
        )
        self.status = enum_combo(
            CLIENT_STATUS_WORDS, details.status if details else ClientStatus.REFERRED, name="Status"
        )
        programme = QGroupBox("Programme")
        programme.setAccessibleName("Programme")
        form = FormRows(self.errors)
        form.add("police_ref", "&Police or partner reference", self.police_ref)
        form.add("site", "Programme s&ite", self.site, required=True)
        form.add("referral_source", "Referral s&ource", self.referral_source)
        form.add("referral_date", "Referral da&te", self.referral_date, required=True)
        form.add("status", "Stat&us", self.status)
        fill_group(programme, form, stretch=True)

        # Sharing
        self.consent_to_share = enum_combo(
            CONSENT_WORDS,
            details.consent_to_share if details else ConsentToShare.NOT_ASKED,
            name="Consent to share",
        )
        self.sharing_notes = multi_line(
            details.sharing_notes if details else "",
            name="Sharing and gateway notes. Private: never shared",
            lines=5,
        )
        self.sharing_notes.setPlaceholderText(
            "e.g. what the client was told about sharing, and the gateway relied on"
        )
        sharing = QGroupBox("Information sharing")
        sharing.setAccessibleName("Information sharing")
        form = FormRows(self.errors)
        form.add("consent_to_share", "Cons&ent to share", self.consent_to_share)
        form.add(
            "sharing_notes",
            "Sharing and gate&way notes",
            self.sharing_notes,
            note=hint("Private: never shared.", "Private: never shared"),
        )
        fill_group(sharing, form, stretch=False)

        right = QVBoxLayout()
        right.addWidget(programme)
        right.addWidget(sharing, stretch=1)
        columns = QHBoxLayout()
        columns.addWidget(identity, stretch=1)
        columns.addLayout(right, stretch=1)
        layout = self.main_layout()
        layout.addWidget(intro)
        layout.addLayout(columns, stretch=1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self.nhs_number.textChanged.connect(self._on_nhs_number_changed)
        self.is_demo.toggled.connect(self._on_nhs_number_changed)
        self._on_nhs_number_changed()
        order: list[QWidget] = [
            self.local_ref,
            self.given_name,
            self.family_name,
            self.date_of_birth,
            self.nhs_number,
            self.is_demo,
            self.address,
            self.police_ref,
            self.site,
            self.referral_source,
            self.referral_date,
            self.status,
            self.consent_to_share,
            self.sharing_notes,
            self.save_button,
        ]
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)
        self.local_ref.setFocus()
        self.fit(960)

    @classmethod
    def for_editing(
        cls,
        update_client: UpdateClient,
        client_id: int,
        existing: tuple[ClientDetails, int],
        *,
        sites: Sequence[str] = (),
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> ClientDialog:
        """The dialog editing ``existing`` (details and the version they were read at)."""
        version = existing[1]

        def save(details: ClientDetails, version: int = version) -> ClientSummary:
            return update_client(client_id, details, expected_version=version)

        dialog = cls(save, existing, sites=sites, today=today, parent=parent)
        dialog.save_at_version = save
        return dialog

    def details(self) -> ClientDetails:
        """The details as typed (the use case trims and checks them)."""
        return ClientDetails(
            local_ref=self.local_ref.text(),
            given_name=self.given_name.text(),
            family_name=self.family_name.text(),
            date_of_birth=to_date(self.date_of_birth.date()),
            site=self.site.currentText(),
            referral_date=to_date(self.referral_date.date()),
            nhs_number=self.nhs_number.text(),
            police_ref=self.police_ref.text(),
            address=self.address.toPlainText(),
            referral_source=self.referral_source.currentText(),
            status=ClientStatus(self.status.currentData()),
            consent_to_share=ConsentToShare(self.consent_to_share.currentData()),
            sharing_notes=self.sharing_notes.toPlainText(),
            is_demo=self.is_demo.isChecked(),
        )

    def save(self) -> None:
        edit = self.date_of_birth
        if isinstance(edit, BlankableDateEdit) and edit.is_blank():
            # Say everything else that is wrong too, by the service's own rules, with a
            # date of birth that raises no problem of its own standing in for the blank.
            stand_in = replace(self.details(), date_of_birth=EARLIEST_BIRTH)
            others = [
                p
                for p in detail_problems(stand_in, today=self._today())
                if p.where not in ("date_of_birth", "referral_date")
            ]
            raise ValidationError(
                [Problem("date_of_birth", "The date of birth is required."), *others]
            )
        save, details, again = self._save, self.details(), self.save_at_version
        opened = self._opened
        self.run_save(
            lambda: save(details),
            self._on_saved,
            again=None
            if again is None or opened is None
            else lambda conflict, edits: partial(
                again,
                reapply(merge(opened, details, conflict.saved_record), edits),
                conflict.version,
            ),
            mine_changed=None if opened is None else changed(opened, details),
        )

    def _on_saved(self, summary: ClientSummary) -> None:
        self.summary = summary
        self.saved.emit(summary)
        self.accept()

    def show_problems(self, problems: Sequence[Problem]) -> None:
        # The live check under the NHS number already says what is wrong with the number
        # itself; say it once. Other problems with it (already in use) still show.
        live = self.nhs_feedback.text()
        super().show_problems(
            [p for p in problems if not (p.where == "nhs_number" and p.message == live)]
        )

    def _on_nhs_number_changed(self) -> None:
        valid, text = nhs_number_feedback(self.nhs_number.text(), is_demo=self.is_demo.isChecked())
        self.nhs_feedback.setText(text)
        self.nhs_feedback.setAccessibleName(f"NHS number check: {text}")
        if valid is None:
            self.nhs_feedback.setStyleSheet(HINT_STYLE)
        else:
            self.nhs_feedback.setStyleSheet(VALID_STYLE if valid else ERROR_STYLE)


# -- typology ------------------------------------------------------------------------------------


class TypologyDialog(SavingDialog):
    """Record the clinician's current judgement of typology; earlier ones are kept.

    Signals:
        saved(): the typology was recorded.
    """

    saved = Signal()

    def __init__(
        self,
        client_id: int,
        set_typology: SetTypology,
        *,
        current: Typology | None = None,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Set typology", "&Save typology", parent)
        self.client_id = client_id
        self._set_typology = set_typology
        self.typology = enum_combo(
            TYPOLOGY_WORDS, current or Typology.NOT_YET_DETERMINED, name="Typology"
        )
        self.rationale = multi_line("", name="Rationale", lines=6)
        self.assessed_on = date_edit(today(), maximum=today(), name="Date of this judgement")
        form = FormRows(self.errors)
        form.add("typology", "&Typology", self.typology)
        self._rationale_label = form.add("rationale", "&Rationale", self.rationale)
        form.add("assessed_on", "&Date", self.assessed_on, required=True)
        layout = self.main_layout()
        layout.addWidget(
            hint(
                "Typology (Mullen et al.) is your clinical judgement. It can change; "
                "earlier judgements stay in the record.",
                "About typology",
            )
        )
        layout.addLayout(form.layout)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.typology.currentIndexChanged.connect(self._on_typology_changed)
        self._on_typology_changed()
        self.typology.setFocus()
        self.fit(560)

    def chosen(self) -> Typology:
        return Typology(self.typology.currentData())

    def _on_typology_changed(self) -> None:
        required = self.chosen() is not Typology.NOT_YET_DETERMINED
        text = "&Rationale (required)" if required else "&Rationale (optional)"
        self._rationale_label.setText(text)
        self._rationale_label.setAccessibleName(text.replace("&", ""))
        self.rationale.setAccessibleName(text.replace("&", ""))

    def save(self) -> None:
        set_typology, client_id, typology = self._set_typology, self.client_id, self.chosen()
        rationale, assessed_on = self.rationale.toPlainText(), to_date(self.assessed_on.date())
        self.run_save(
            lambda: set_typology(client_id, typology, rationale=rationale, assessed_on=assessed_on),
            lambda _none: self._on_saved(),
        )

    def _on_saved(self) -> None:
        self.saved.emit()
        self.accept()


# -- team ----------------------------------------------------------------------------------------


class AssignStaffDialog(SavingDialog):
    """Add a member of the clinical staff to the client's team.

    Signals:
        saved(): the member of staff was assigned.
    """

    saved = Signal()

    def __init__(
        self,
        client_id: int,
        staff: Sequence[StaffRow],
        assign_staff: AssignStaff,
        *,
        already_assigned: Collection[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Assign staff", "&Assign", parent)
        self.client_id = client_id
        self._assign = assign_staff
        self.person = QComboBox()
        self.person.setAccessibleName("Member of staff")
        for row in staff:
            if row.disabled or row.display_name in already_assigned:
                continue
            role = row.job_title or row.role.value.capitalize()
            self.person.addItem(f"{row.display_name} ({role})", row.id)
        self.is_lead = QCheckBox("Make them the &lead clinician")
        self.is_lead.setAccessibleName("Make them the lead clinician")
        form = FormRows(self.errors)
        layout = self.main_layout()
        if self.person.count():
            form.add("staff_id", "&Member of staff", self.person, required=True)
            form.layout.addRow("", self.is_lead)
            layout.addLayout(form.layout)
        else:
            # Nothing to choose: say so, and offer no button that cannot work.
            self.person.hide()
            self.is_lead.hide()
            self.save_button.hide()
            close = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
            close.setText("Close")
            close.setAccessibleName("Close")
            layout.addWidget(
                hint(
                    "Everyone on the clinical staff is already on this client's team.",
                    "Nobody left to assign",
                )
            )
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.fit(460)

    def save(self) -> None:
        staff_id = self.person.currentData()
        if staff_id is None:
            raise ValidationError("Choose a member of staff.", where="staff_id")
        assign, client_id, is_lead = self._assign, self.client_id, self.is_lead.isChecked()
        chosen = int(staff_id)
        self.run_save(
            lambda: assign(client_id, chosen, is_lead=is_lead), lambda _none: self._on_saved()
        )

    def _on_saved(self) -> None:
        self.saved.emit()
        self.accept()


# -- emergency access ----------------------------------------------------------------------------


class EmergencyAccessDialog(SavingDialog):
    """Break-glass access to a client who is not assigned to the user.

    It explains what happens, asks for the reason and calls ``grant_emergency_access``.
    Once granted it shows until when, and ``Continue`` closes it accepted.

    Signals:
        granted(datetime): when the emergency access ends.
    """

    granted = Signal(object)

    def __init__(
        self,
        client_id: int,
        grant_emergency_access: Callable[[int, str], datetime],
        *,
        client_label: str = "this client",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Emergency access", "&Open with emergency access", parent)
        self.client_id = client_id
        self._grant = grant_emergency_access
        self.expires_at: datetime | None = None
        explanation = QLabel(
            f"<b>{_escape(client_label)} is not assigned to you.</b><br><br>"
            "You can still open the record if you need to, for example to respond to a "
            "risk. Your access and the reason you give are recorded in the audit trail and "
            "may be reviewed. Access lasts a limited time, then ends by itself."
        )
        explanation.setWordWrap(True)
        explanation.setTextFormat(Qt.TextFormat.RichText)
        explanation.setAccessibleName(
            f"{client_label} is not assigned to you. Your access and reason are recorded, "
            "and access lasts a limited time."
        )
        self.reason = multi_line("", name="Reason for emergency access (required)", lines=4)
        self.reason.setPlaceholderText("e.g. urgent risk call from the police out of hours")
        form = FormRows(self.errors)
        form.add("reason", "&Reason", self.reason, required=True)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setAccessibleName("Emergency access granted")
        self.outcome.hide()
        layout = self.main_layout()
        layout.addWidget(explanation)
        layout.addLayout(form.layout)
        layout.addWidget(self.outcome)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.reason.setFocus()
        self.fit(520)

    def save(self) -> None:
        if self.expires_at is not None:
            self.accept()  # already granted: this is Continue
            return
        reason = self.reason.toPlainText()
        if not reason.strip():
            raise ValidationError("Give your reason for opening this record.", where="reason")
        grant, client_id = self._grant, self.client_id
        self.run_save(lambda: grant(client_id, reason), self._on_granted)

    def _on_granted(self, expires: datetime) -> None:
        self.expires_at = expires
        local = expires.astimezone() if expires.tzinfo is not None else expires
        text = (
            f"Emergency access granted until {local:%H:%M} on {local:%A %d %B %Y}. "
            "Your reason has been recorded."
        )
        self.outcome.setText(text)
        self.outcome.setAccessibleDescription(text)
        self.outcome.show()
        self.reason.setReadOnly(True)
        self.save_button.setText("&Continue to the record")
        self.save_button.setAccessibleName("Continue to the record")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).hide()
        self.granted.emit(expires)
        self.save_button.setFocus()
        self.fit()

    def reject(self) -> None:
        if self.expires_at is not None:
            self.accept()  # access is granted either way; say so to the caller
            return
        super().reject()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- for the main window: run a dialog to its end ----------------------------------------------


def register_new_client(
    parent: QWidget | None,
    register_client: Callable[[ClientDetails], ClientSummary],
    *,
    sites: Sequence[str] = (),
    restore: dict[str, Any] | None = None,
) -> ClientSummary | None:
    """Run the registration dialog (blocking); the new client, or None if cancelled.

    ``restore`` puts back what the form held when the screen locked.
    """
    dialog = ClientDialog(register_client, sites=sites, parent=parent)
    remember_form(dialog, client_id=None, tab="", form="register")
    if restore:
        restore_input_state(dialog, restore)
    try:
        dialog.exec()
        return dialog.summary
    finally:
        dialog.deleteLater()


def ask_emergency_access(
    parent: QWidget | None,
    client_id: int,
    grant_emergency_access: Callable[[int, str], datetime],
    *,
    client_label: str = "This client",
) -> bool:
    """Run the emergency access dialog (blocking); True once access has been granted."""
    dialog = EmergencyAccessDialog(
        client_id, grant_emergency_access, client_label=client_label, parent=parent
    )
    try:
        dialog.exec()
        return dialog.expires_at is not None
    finally:
        dialog.deleteLater()
