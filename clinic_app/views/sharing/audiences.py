"""What each partner audience receives: the administrator's view and editor of the policies.

Each audience (police, probation, victim advocate, multi-agency panel, GP or referrer) has
a policy: the sections of a partner summary it receives and the identifying details it is
told. Only those are offered here: clinical and third-party fields are never on screen to
be chosen, and the service refuses, with its own message, any policy that would reach
them (or that leaves the audience unable to tell who the document is about).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.models.enums import Section
from clinic_app.services.sharing.audiences import (
    AUDIENCE_NAMES,
    BUILT_IN,
    IDENTIFYING_FIELDS,
    AudiencePolicy,
)
from clinic_app.views.common.forms import ERROR_STYLE
from clinic_app.views.common.runner import runner
from clinic_app.wording import SECTION_TITLES

NEVER_OFFERED = (
    "Never offered to any audience: clinical notes, diagnoses, the formulation, "
    "questionnaire answers and scores, referral reasons, and anything about the victim or "
    "other people. They cannot be chosen here, and a policy that would reach them is refused."
)


class SetAudiencePolicy(Protocol):
    """``audiences.set_audience_policy`` bound to the signed-in administrator."""

    def __call__(
        self,
        audience: str,
        *,
        sections: Sequence[str],
        fields: Sequence[str],
        title: str | None = None,
    ) -> AudiencePolicy: ...


@dataclass(frozen=True)
class AudiencePolicyActions:
    """The use cases the audience policy dialog calls, bound to the signed-in user."""

    audience_policy: Callable[[str], AudiencePolicy]
    set_audience_policy: SetAudiencePolicy
    reset_audience_policy: Callable[[str], AudiencePolicy]
    describe_staff: Callable[[int], str]


class AudiencePolicyDialog(QDialog):
    """View and change what each partner audience receives (administrators).

    Choose an audience on the left; tick the sections it receives and the identifying
    details it is told; save. The service checks every policy against the privacy classes
    and its refusal is shown in its own words, with nothing changed.

    Signals: none.
    """

    def __init__(self, actions: AudiencePolicyActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self._loaded: AudiencePolicy | None = None
        self._row = 0
        self.setWindowTitle("What partner agencies receive")
        self.setAccessibleName("What partner agencies receive")
        self.resize(900, 620)
        outer = QHBoxLayout(self)

        left = QVBoxLayout()
        list_label = QLabel("&Audiences")
        self.audiences = QListWidget()
        self.audiences.setAccessibleName("Audiences")
        for name in AUDIENCE_NAMES:
            self.audiences.addItem(BUILT_IN[name].title)
        list_label.setBuddy(self.audiences)
        left.addWidget(list_label)
        left.addWidget(self.audiences)
        outer.addLayout(left, stretch=1)

        right = QVBoxLayout()
        outer.addLayout(right, stretch=3)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Whose policy this is")
        right.addWidget(self.status)
        form = QFormLayout()
        self.title = QLineEdit()
        self.title.setAccessibleName("Title documents use for this audience")
        title_label = QLabel("&Title on documents")
        title_label.setBuddy(self.title)
        form.addRow(title_label, self.title)
        right.addLayout(form)

        sections = QGroupBox("What they &receive")
        sections.setAccessibleName("Sections of a summary this audience receives")
        grid = QGridLayout(sections)
        self.section_boxes: dict[Section, QCheckBox] = {}
        for i, section in enumerate(Section):
            box = QCheckBox(SECTION_TITLES[section])
            box.setAccessibleName(SECTION_TITLES[section])
            box.toggled.connect(self._on_edited)
            grid.addWidget(box, i // 2, i % 2)
            self.section_boxes[section] = box
        right.addWidget(sections)

        fields = QGroupBox("How they are told who the client &is")
        fields.setAccessibleName("Identifying details this audience is told")
        field_grid = QGridLayout(fields)
        self.field_boxes: dict[str, QCheckBox] = {}
        for i, (column, words) in enumerate(IDENTIFYING_FIELDS.items()):
            box = QCheckBox(words[0].upper() + words[1:])
            box.setAccessibleName(words)
            box.toggled.connect(self._on_edited)
            field_grid.addWidget(box, i // 2, i % 2)
            self.field_boxes[column] = box
        right.addWidget(fields)

        never = QLabel(NEVER_OFFERED)
        never.setWordWrap(True)
        never.setAccessibleName("What is never offered")
        right.addWidget(never)

        self.errors = QLabel()
        self.errors.setStyleSheet(ERROR_STYLE)
        self.errors.setWordWrap(True)
        self.errors.setTextFormat(Qt.TextFormat.PlainText)
        self.errors.setAccessibleName("Why the policy was not saved")
        self.errors.hide()
        right.addWidget(self.errors)
        right.addStretch(1)

        buttons = QHBoxLayout()
        self.save_button = QPushButton("&Save")
        self.save_button.setAccessibleName("Save this audience's policy")
        self.save_button.clicked.connect(self._on_save)
        self.undo_button = QPushButton("&Undo changes")
        self.undo_button.setAccessibleName("Undo the changes not yet saved")
        self.undo_button.clicked.connect(self._on_undo)
        self.reset_button = QPushButton("Back to &built-in")
        self.reset_button.setAccessibleName("Go back to the built-in policy for this audience")
        self.reset_button.clicked.connect(self._on_reset)
        close = QPushButton("&Close")
        close.setAccessibleName("Close")
        close.clicked.connect(self.accept)
        for button in (self.save_button, self.undo_button, self.reset_button):
            buttons.addWidget(button)
        buttons.addStretch()
        buttons.addWidget(close)
        right.addLayout(buttons)

        self.title.textEdited.connect(self._on_edited)
        self.audiences.setCurrentRow(0)
        self.audiences.currentRowChanged.connect(self._on_audience_changed)
        self.load()

    # -- state -----------------------------------------------------------------------------

    @property
    def audience(self) -> str:
        return AUDIENCE_NAMES[self._row]

    def chosen_sections(self) -> list[str]:
        return [s.value for s, box in self.section_boxes.items() if box.isChecked()]

    def chosen_fields(self) -> list[str]:
        return [column for column, box in self.field_boxes.items() if box.isChecked()]

    def is_dirty(self) -> bool:
        loaded = self._loaded
        if loaded is None:
            return False
        return (
            self.title.text().strip() != loaded.title
            or self.chosen_sections() != [s.value for s in Section if s in loaded.sections]
            or self.chosen_fields() != [c for c in IDENTIFYING_FIELDS if c in loaded.identifying]
        )

    def _show_policy(self, policy: AudiencePolicy) -> None:
        self._loaded = policy
        for box in (*self.section_boxes.values(), *self.field_boxes.values()):
            box.blockSignals(True)
        self.title.setText(policy.title)
        for section, box in self.section_boxes.items():
            box.setChecked(section in policy.sections)
        for column, box in self.field_boxes.items():
            box.setChecked(column in policy.identifying)
        for box in (*self.section_boxes.values(), *self.field_boxes.values()):
            box.blockSignals(False)
        if policy.built_in:
            self.status.setText(f"{policy.title}: the built-in policy.")
        else:
            who = "an administrator"
            if policy.updated_by is not None:
                try:
                    who = self._actions.describe_staff(policy.updated_by)
                except ClinicError:
                    who = "a former member of staff"
            when = (
                f" on {policy.updated_at.astimezone():%d/%m/%Y at %H:%M}"
                if policy.updated_at
                else ""
            )
            self.status.setText(f"{policy.title}: changed by {who}{when}.")
        self._show_errors([])
        self._update_buttons()

    def _show_errors(self, messages: Sequence[str]) -> None:
        self.errors.setText("\n".join(messages))
        self.errors.setAccessibleDescription(self.errors.text())
        self.errors.setVisible(bool(messages))

    def _update_buttons(self) -> None:
        # A button either works or is not there.
        dirty = self.is_dirty()
        self.save_button.setVisible(dirty)
        self.undo_button.setVisible(dirty)
        self.reset_button.setVisible(self._loaded is not None and not self._loaded.built_in)

    def load(self) -> None:
        """Show the policy in force for the chosen audience (read off the GUI thread)."""
        name = self.audience
        runner().run(
            partial(self._actions.audience_policy, name),
            self._show_policy,
            key=f"audience-policy:{id(self)}",
            parent=self,
            failed=lambda error: self._not_loaded(name, error),
        )

    def _not_loaded(self, name: str, error: ClinicError) -> None:
        if isinstance(error, ValidationError):
            # A stored policy that can no longer be used: show the built-in one to start
            # from, and say why, so it can be set again or reset.
            self._show_policy(BUILT_IN[name])
            self._loaded = None
            self.status.setText(
                f"{BUILT_IN[name].title}: the stored policy cannot be used. Save a new one "
                "or go back to the built-in policy."
            )
            self._show_errors([p.message for p in error.problems])
            self.save_button.setVisible(True)
            self.reset_button.setVisible(True)
            return
        self._show_errors([error.message])

    # -- slots -----------------------------------------------------------------------------

    def _on_audience_changed(self, row: int) -> None:
        if row == self._row:
            return
        if self.is_dirty():
            # Changing audience would throw the changes away: keep them, and say so.
            unsaved = BUILT_IN[AUDIENCE_NAMES[self._row]].title
            blocked = self.audiences.blockSignals(True)
            self.audiences.setCurrentRow(self._row)
            self.audiences.blockSignals(blocked)
            self._show_errors([f"Save or undo the changes to {unsaved} first."])
            return
        self._row = row
        self.load()

    def _on_edited(self, *_args: object) -> None:
        self._update_buttons()

    def _on_undo(self) -> None:
        if self._loaded is not None:
            self._show_policy(self._loaded)

    def _on_save(self) -> None:
        self._change(
            partial(
                self._actions.set_audience_policy,
                self.audience,
                sections=self.chosen_sections(),
                fields=self.chosen_fields(),
                title=self.title.text(),
            )
        )

    def _on_reset(self) -> None:
        self._change(partial(self._actions.reset_audience_policy, self.audience))

    def _change(self, work: Callable[[], AudiencePolicy]) -> None:
        """Save or reset off the GUI thread; the buttons wait meanwhile."""
        buttons = (self.save_button, self.reset_button, self.undo_button)
        for button in buttons:
            button.setEnabled(False)

        def enable() -> None:
            for button in buttons:
                button.setEnabled(True)

        def done(policy: AudiencePolicy) -> None:
            enable()
            self._show_policy(policy)

        def failed(error: ClinicError) -> None:
            enable()
            if isinstance(error, ValidationError):
                self._show_errors([p.message for p in error.problems])
            else:
                self._show_errors([error.message])

        runner().run(work, done, parent=self, failed=failed)
