"""The Victims and others tab: the people the client's behaviour affects, and what protects them.

In a stalking service the victim is the person the work protects. The tab lists each person
recorded for the client (label, relationship, name, their protective measures at a glance,
and whether their record has ended) and shows the selected one in full: other names, places,
numbers, vehicles, their advocate, their wishes and safety concerns, and their protective
measures with where each stands today (an order ending within 28 days says EXPIRING in words,
in bold, with a warning icon: never colour alone).

From it a clinician adds a person (Ctrl+N within the tab), edits them, ends their record,
and adds, corrects or revokes a protective measure. Every form goes through
:func:`exec_dialog`, so tests can drive it without a modal loop, and each is marked to be
kept if the screen locks while it is open.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.services.third_parties import ProtectiveMeasureRow, ThirdPartyRow
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.list_tab import (
    rows_table,
)
from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import OpenableTable, ProxyRows
from clinic_app.views.common.widgets import exec_dialog
from clinic_app.views.third_parties.actions import ThirdPartiesActions
from clinic_app.views.third_parties.dialogs import (
    EndPersonDialog,
    MeasureDialog,
    PersonDialog,
    RevokeMeasureDialog,
)
from clinic_app.views.third_parties.models import (
    ABOUT,
    ALREADY_ENDED,
    ALREADY_REVOKED,
    CHOOSE_MEASURE,
    CHOOSE_PERSON,
    NO_MEASURES,
    NO_PEOPLE,
    TAB_TITLE,
    MeasureColumn,
    MeasuresTableModel,
    PeopleTableModel,
    PersonColumn,
    describe_measure,
    describe_person,
)


def _table(name: str) -> OpenableTable:
    return rows_table(OpenableTable(), name=name)


def _button(text: str, name: str, tip: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    if tip:
        button.setToolTip(tip)
    return button


class ThirdPartiesTab(RecordPart):
    """The Victims and others tab of a client's record.

    Signals:
        changed(): emitted after the tab added, changed or ended a person, or added,
            changed or revoked a protective measure.
    """

    def __init__(
        self, client_id: int, actions: ThirdPartiesActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self.setAccessibleName(TAB_TITLE)
        layout = QVBoxLayout(self)

        about = QLabel(ABOUT)
        about.setWordWrap(True)
        about.setAccessibleName("About this tab")
        layout.addWidget(about)

        buttons = QHBoxLayout()
        self.add_button = _button(
            "Add &person…", "Add a victim or another person", "Add a person (Ctrl+N)"
        )
        self.edit_button = _button(
            "&Edit person…", "Edit what is recorded about the selected person", "Edit (Enter)"
        )
        self.end_button = _button("E&nd their record…", "End the selected person's record")
        self.add_button.clicked.connect(self._on_add_person)
        self.edit_button.clicked.connect(self._on_edit_person)
        self.end_button.clicked.connect(self._on_end_person)
        for button in (self.add_button, self.edit_button, self.end_button):
            buttons.addWidget(button)
        buttons.addStretch()
        layout.addLayout(buttons)
        self.add_shortcut = QShortcut(QKeySequence("Ctrl+N"), self)
        self.add_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.add_shortcut.activated.connect(self._on_add_person)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAccessibleName("Last action")
        self.message.hide()
        layout.addWidget(self.message)

        self.empty = QLabel(NO_PEOPLE)
        self.empty.setAccessibleName(NO_PEOPLE)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setContentsMargins(24, 24, 24, 0)
        layout.addWidget(self.empty, stretch=1)

        # The people, top left.
        self.model = PeopleTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = _table("People recorded, in the order recorded")
        self.table.setModel(self.proxy)
        self.rows = ProxyRows(self.table, self.proxy, self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PersonColumn.NAME, QHeaderView.ResizeMode.Stretch)
        self.table.open_requested.connect(self._on_person_opened)
        self.table.doubleClicked.connect(self._on_person_opened)

        # The selected person in full, below the list.
        self.details = QTextBrowser()
        self.details.setAccessibleName("The selected person in full")
        self.details.setOpenLinks(False)

        # Their protective measures, on the right.
        self.measures_model = MeasuresTableModel()
        self.measures_proxy = QSortFilterProxyModel(self)
        self.measures_proxy.setSourceModel(self.measures_model)
        self.measures_table: QTableView = _table("Protective measures of the selected person")
        self.measures_table.setModel(self.measures_proxy)
        self.measure_rows = ProxyRows(self.measures_table, self.measures_proxy, self.measures_model)
        measures_header = self.measures_table.horizontalHeader()
        measures_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        measures_header.setSectionResizeMode(MeasureColumn.FORBIDS, QHeaderView.ResizeMode.Stretch)
        self.measures_table.open_requested.connect(self._on_measure_opened)
        self.measures_table.doubleClicked.connect(self._on_measure_opened)
        self.measures_title = QLabel("<b>Protective measures</b>")
        self.measures_title.setAccessibleName("Protective measures")
        self.add_measure_button = _button(
            "Add protective &measure…", "Add a protective measure for the selected person"
        )
        self.edit_measure_button = _button(
            "Edi&t measure…", "Correct the selected protective measure", "Edit (Enter)"
        )
        self.revoke_button = _button(
            "&Revoke measure…", "Record that the selected protective measure was revoked"
        )
        self.add_measure_button.clicked.connect(self._on_add_measure)
        self.edit_measure_button.clicked.connect(self._on_edit_measure)
        self.revoke_button.clicked.connect(self._on_revoke_measure)
        measure_buttons = QHBoxLayout()
        for button in (self.add_measure_button, self.edit_measure_button, self.revoke_button):
            measure_buttons.addWidget(button)
        measure_buttons.addStretch()
        self.no_measures = QLabel(NO_MEASURES)
        self.no_measures.setAccessibleName(NO_MEASURES)
        self.no_measures.setWordWrap(True)
        self.no_measures.setTextFormat(Qt.TextFormat.PlainText)
        measures_box = QWidget()
        measures_layout = QVBoxLayout(measures_box)
        measures_layout.setContentsMargins(0, 0, 0, 0)
        measures_layout.addWidget(self.measures_title)
        measures_layout.addLayout(measure_buttons)
        measures_layout.addWidget(self.no_measures)
        measures_layout.addWidget(self.measures_table, stretch=2)
        self.measure_details = QTextBrowser()
        self.measure_details.setAccessibleName("The selected protective measure in full")
        self.measure_details.setOpenLinks(False)
        measures_layout.addWidget(self.measure_details, stretch=1)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(self.details)
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 3)
        left.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(measures_box)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([10_000, 9_000])  # the list of people needs the wider half
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, stretch=4)
        self.table.selectionModel().currentRowChanged.connect(self._on_person_changed)
        self.measures_table.selectionModel().currentRowChanged.connect(self._on_measure_changed)

        order: list[QWidget] = [
            self.add_button, self.edit_button, self.end_button, self.table, self.details,
            self.add_measure_button, self.edit_measure_button, self.revoke_button,
            self.measures_table, self.measure_details,
        ]  # fmt: skip
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)
        self._loading = False
        self._select_after_load: tuple[int, int | None] | None = None
        self._after_load: list[Callable[[], object]] = []
        self.refresh()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self, *, person: int | None = None, measure: int | None = None) -> None:
        """Reload the people (off the GUI thread), keeping the selected person (and measure)
        selected, or selecting ``person`` (and ``measure``) once they are shown."""
        self._loading = True
        if person is not None:
            self._select_after_load = (person, measure)
        if self.model.rowCount() == 0:
            self.empty.setText("Reading who is recorded…")
        list_people = self._actions.third_parties_for_client
        client_id = self.client_id
        runner().run(
            lambda: list(list_people(client_id)),
            self._show_people,
            key=f"third-parties:{self.client_id}",
            parent=self,
            failed=self._show_load_failure,
        )

    def _show_load_failure(self, error: ClinicError) -> None:
        self._show_people([], problem=f"The people recorded could not be loaded. {error.message}")

    def _show_people(self, rows: list[ThirdPartyRow], *, problem: str = "") -> None:
        self._loading = False
        kept, kept_measure = self.selected_person(), self.selected_measure()
        keep: int | None = kept.id if kept is not None else None
        keep_measure: int | None = kept_measure.id if kept_measure is not None else None
        if self._select_after_load is not None:
            keep, keep_measure = self._select_after_load
            self._select_after_load = None
        self.empty.setText(problem or NO_PEOPLE)
        self.add_button.setVisible(not problem)
        self.empty.setAccessibleName(self.empty.text())
        self.model.set_rows(list(rows), self._actions.today())
        has_rows = bool(rows)
        self.empty.setVisible(not has_rows)
        self.splitter.setVisible(has_rows)
        self.edit_button.setVisible(has_rows)
        self.end_button.setVisible(has_rows)
        if not has_rows or keep is None or not self.select_person(keep):
            self.rows.select_view_row(0)
        self._show_person()
        if keep_measure is not None:
            self.measure_rows.select_id(keep_measure)
        waiting, self._after_load = self._after_load, []
        for then in waiting:
            then()

    # -- selection -------------------------------------------------------------------------

    def people(self) -> list[ThirdPartyRow]:
        """The people as the list shows them, top to bottom."""
        return self.rows.in_view()

    def selected_person(self) -> ThirdPartyRow | None:
        return self.rows.selected()

    def select_person(self, person_id: int) -> bool:
        return self.rows.select_id(person_id)

    def select_item(self, item_id: int) -> None:
        if self._loading:
            self._select_after_load = (item_id, None)  # selected when the people arrive
        else:
            self.select_person(item_id)

    def measures(self) -> list[ProtectiveMeasureRow]:
        """The selected person's measures as the table shows them."""
        return self.measure_rows.in_view()

    def selected_measure(self) -> ProtectiveMeasureRow | None:
        return self.measure_rows.selected()

    def _show_person(self) -> None:
        person = self.selected_person()
        if person is None:
            self.details.clear()
            self.measures_model.set_rows([], self._actions.today())
        else:
            self.details.setHtml(describe_person(person))
            self.measures_model.set_rows(person.measures, self._actions.today())
            self.measure_rows.select_view_row(0)
        has_measures = person is not None and bool(person.measures)
        self.no_measures.setVisible(not has_measures)
        self.measures_table.setVisible(has_measures)
        self.measure_details.setVisible(has_measures)
        self.edit_measure_button.setVisible(has_measures)
        self.revoke_button.setVisible(has_measures)
        ended = person is not None and person.ended_on is not None
        self.end_button.setEnabled(not ended)
        self.end_button.setToolTip(ALREADY_ENDED if ended else "")
        self._show_measure_actions()

    def _show_measure_actions(self) -> None:
        measure = self.selected_measure()
        if measure is None:
            self.measure_details.clear()
        else:
            self.measure_details.setHtml(describe_measure(measure, self._actions.today()))
        revoked = measure is not None and measure.revoked_on is not None
        self.revoke_button.setEnabled(measure is not None and not revoked)
        self.revoke_button.setToolTip(ALREADY_REVOKED if revoked else "")

    # -- actions ---------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setAccessibleDescription(text)
        self.message.setVisible(bool(text))

    def _run(
        self,
        dialog: Any,
        form: str,
        params: dict[str, Any] | None,
        restore: dict[str, Any] | None,
    ) -> None:
        remember_form(dialog, client_id=self.client_id, tab=TAB_TITLE, form=form, params=params)
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        dialog.deleteLater()

    def _saved(self, person_id: int, text: str, measure_id: int | None = None) -> None:
        self.refresh(person=person_id, measure=measure_id)
        self._say(text)
        self.changed.emit()

    def open_add_person(self, *, restore: dict[str, Any] | None = None) -> ThirdPartyRow | None:
        """Record a victim or another person; returns them, or None if nothing was saved."""
        dialog = PersonDialog(
            lambda data: self._actions.add_third_party(self.client_id, data), parent=self
        )
        self._run(dialog, "add_person", None, restore)
        row = dialog.saved_person
        if row is not None:
            self._saved(row.id, f"{row.label} ({row.relation_words.lower()}) added.")
        return row

    def _person(self, person: ThirdPartyRow | None, title: str) -> ThirdPartyRow | None:
        person = person or self.selected_person()
        if person is None:
            feedback.show_error(self, ClinicError(CHOOSE_PERSON), title=title)
        return person

    def open_edit_person(
        self, person: ThirdPartyRow | None = None, *, restore: dict[str, Any] | None = None
    ) -> ThirdPartyRow | None:
        """Change what is recorded about ``person`` (default: the selected one)."""
        person = self._person(person, "Edit person")
        if person is None:
            return None
        person_id, update = person.id, self._actions.update_third_party
        dialog = PersonDialog(
            lambda data: update(person_id, data, expected_version=person.version),
            existing=person,
            save_over=lambda data, version: update(person_id, data, expected_version=version),
            parent=self,
        )
        self._run(dialog, "edit_person", {"person_id": person_id}, restore)
        row = dialog.saved_person
        if row is not None:
            self._saved(row.id, f"{row.label} updated.")
        return row

    def open_end_person(
        self, person: ThirdPartyRow | None = None, *, restore: dict[str, Any] | None = None
    ) -> ThirdPartyRow | None:
        """End ``person``'s record (default: the selected one) with the date and reason."""
        person = self._person(person, "End a record")
        if person is None:
            return None
        if person.ended_on is not None:
            feedback.show_error(self, ClinicError(ALREADY_ENDED), title="End a record")
            return None
        person_id, today = person.id, self._actions.today()
        dialog = EndPersonDialog(
            person,
            lambda on, reason: self._actions.end_third_party(
                person_id, ended_on=on, reason=reason, today=today
            ),
            today=today,
            parent=self,
        )
        self._run(dialog, "end_person", {"person_id": person_id}, restore)
        row = dialog.ended
        if row is not None:
            self._saved(row.id, f"The record of {row.label} ended on {row.ended_on:%d/%m/%Y}.")
        return row

    def open_add_measure(
        self, person: ThirdPartyRow | None = None, *, restore: dict[str, Any] | None = None
    ) -> ProtectiveMeasureRow | None:
        """Record a protective measure for ``person`` (default: the selected one)."""
        person = self._person(person, "Add a protective measure")
        if person is None:
            return None
        person_id = person.id
        dialog = MeasureDialog(
            person,
            lambda data: self._actions.add_protective_measure(person_id, data),
            today=self._actions.today(),
            parent=self,
        )
        self._run(dialog, "add_measure", {"person_id": person_id}, restore)
        row = dialog.saved_measure
        if row is not None:
            self._saved(person_id, f"{row.title} recorded for {person.label}.", row.id)
        return row

    def open_edit_measure(
        self,
        measure: ProtectiveMeasureRow | None = None,
        *,
        restore: dict[str, Any] | None = None,
    ) -> ProtectiveMeasureRow | None:
        """Correct ``measure`` (default: the selected one), e.g. a varied order's new end."""
        measure = measure or self.selected_measure()
        person = self._owner(measure)
        if measure is None or person is None:
            feedback.show_error(self, ClinicError(CHOOSE_MEASURE), title="Edit a measure")
            return None
        measure_id, version = measure.id, measure.version
        update = self._actions.update_protective_measure
        dialog = MeasureDialog(
            person,
            lambda data: update(measure_id, data, expected_version=version),
            existing=measure,
            save_over=lambda data, newer: update(measure_id, data, expected_version=newer),
            today=self._actions.today(),
            parent=self,
        )
        self._run(dialog, "edit_measure", {"measure_id": measure_id}, restore)
        row = dialog.saved_measure
        if row is not None:
            self._saved(person.id, f"{row.title} for {person.label} updated.", row.id)
        return row

    def open_revoke_measure(
        self,
        measure: ProtectiveMeasureRow | None = None,
        *,
        restore: dict[str, Any] | None = None,
    ) -> ProtectiveMeasureRow | None:
        """Record that ``measure`` (default: the selected one) was revoked or discharged."""
        measure = measure or self.selected_measure()
        person = self._owner(measure)
        if measure is None or person is None:
            feedback.show_error(self, ClinicError(CHOOSE_MEASURE), title="Revoke a measure")
            return None
        if measure.revoked_on is not None:
            feedback.show_error(self, ClinicError(ALREADY_REVOKED), title="Revoke a measure")
            return None
        measure_id = measure.id
        dialog = RevokeMeasureDialog(
            person,
            measure,
            lambda on: self._actions.revoke_protective_measure(measure_id, revoked_on=on),
            today=self._actions.today(),
            parent=self,
        )
        self._run(dialog, "revoke_measure", {"measure_id": measure_id}, restore)
        row = dialog.revoked
        if row is not None:
            self._saved(person.id, f"{row.title} for {person.label} recorded as revoked.", row.id)
        return row

    def _owner(self, measure: ProtectiveMeasureRow | None) -> ThirdPartyRow | None:
        if measure is None:
            return None
        return next((p for p in self.people() if p.id == measure.third_party_id), None)

    def _measure_with_id(self, measure_id: object) -> ProtectiveMeasureRow | None:
        return next((m for p in self.people() for m in p.measures if m.id == measure_id), None)

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if it cannot be."""
        if form == "add_person":
            self.open_add_person(restore=state)
            return True
        if self._loading:
            # The people are on their way: reopen the form when they are shown.
            self._after_load.append(lambda: self.reopen_form(form, params, state))
            return True
        person = next((p for p in self.people() if p.id == params.get("person_id")), None)
        measure = self._measure_with_id(params.get("measure_id"))
        if form == "edit_person" and person is not None:
            self.open_edit_person(person, restore=state)
        elif form == "end_person" and person is not None and person.ended_on is None:
            self.open_end_person(person, restore=state)
        elif form == "add_measure" and person is not None:
            self.open_add_measure(person, restore=state)
        elif form == "edit_measure" and measure is not None:
            self.open_edit_measure(measure, restore=state)
        elif form == "revoke_measure" and measure is not None and measure.revoked_on is None:
            self.open_revoke_measure(measure, restore=state)
        else:
            return False
        return True

    # -- slots -----------------------------------------------------------------------------

    def _on_add_person(self) -> None:
        self.open_add_person()

    def _on_edit_person(self) -> None:
        self.open_edit_person()

    def _on_end_person(self) -> None:
        self.open_end_person()

    def _on_add_measure(self) -> None:
        self.open_add_measure()

    def _on_edit_measure(self) -> None:
        self.open_edit_measure()

    def _on_revoke_measure(self) -> None:
        self.open_revoke_measure()

    def _on_person_opened(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_edit_person(self.model.item(self.proxy.mapToSource(index).row()))

    def _on_measure_opened(self, index: QModelIndex) -> None:
        if index.isValid():
            source = self.measures_proxy.mapToSource(index).row()
            self.open_edit_measure(self.measures_model.item(source))

    def _on_person_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_person()

    def _on_measure_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_measure_actions()
