"""The administrator's audience policy dialog, driven with fake actions."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from clinic_app.errors import AccessDenied, Problem, ValidationError
from clinic_app.models.enums import Section
from clinic_app.services.sharing.audiences import BUILT_IN, IDENTIFYING_FIELDS
from clinic_app.views.sharing.audiences import (
    NEVER_OFFERED,
    AudiencePolicyActions,
    AudiencePolicyDialog,
)

CHANGED_AT = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)


class FakePolicies:
    def __init__(self) -> None:
        self.policies = dict(BUILT_IN)
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []
        self.refuse: ValidationError | None = None

    def audience_policy(self, name: str) -> Any:
        self.calls.append(("audience_policy", name, {}))
        return self.policies[name]

    def set_audience_policy(
        self,
        audience: str,
        *,
        sections: Sequence[str],
        fields: Sequence[str],
        title: str | None = None,
    ) -> Any:
        kwargs = {"sections": sections, "fields": fields, "title": title}
        self.calls.append(("set_audience_policy", audience, kwargs))
        if self.refuse is not None:
            raise self.refuse
        policy = dataclasses.replace(
            BUILT_IN[audience],
            title=BUILT_IN[audience].title if title is None else title,
            sections=tuple(Section(s) for s in sections),
            identifying=tuple(fields),
            built_in=False,
            updated_by=1,
            updated_at=CHANGED_AT,
        )
        self.policies[audience] = policy
        return policy

    def reset_audience_policy(self, name: str) -> Any:
        self.calls.append(("reset_audience_policy", name, {}))
        self.policies[name] = BUILT_IN[name]
        return BUILT_IN[name]

    def actions(self) -> AudiencePolicyActions:
        return AudiencePolicyActions(
            audience_policy=self.audience_policy,
            set_audience_policy=self.set_audience_policy,
            reset_audience_policy=self.reset_audience_policy,
            describe_staff=lambda staff_id: "Admin Person",
        )

    def named(self, name: str) -> list[tuple[Any, dict[str, Any]]]:
        return [(target, kwargs) for call, target, kwargs in self.calls if call == name]


def test_only_sections_and_identifying_details_are_offered(qtbot):
    dialog = AudiencePolicyDialog(FakePolicies().actions())
    qtbot.addWidget(dialog)
    assert set(dialog.section_boxes) == set(Section)
    assert set(dialog.field_boxes) == set(IDENTIFYING_FIELDS)
    offered = [
        b.text().lower() for b in (*dialog.section_boxes.values(), *dialog.field_boxes.values())
    ]
    for private in ("formulation", "diagnos", "note", "score", "reason", "victim", "third"):
        assert not any(private in text for text in offered)
    assert NEVER_OFFERED in [label.text() for label in dialog.findChildren(type(dialog.status))]


def test_the_chosen_audience_policy_is_shown(qtbot):
    fake = FakePolicies()
    dialog = AudiencePolicyDialog(fake.actions())
    qtbot.addWidget(dialog)
    dialog.audiences.setCurrentRow(2)  # victim advocate
    policy = BUILT_IN["victim-advocate"]
    assert dialog.title.text() == "Victim advocate"
    assert dialog.chosen_sections() == [s.value for s in Section if s in policy.sections]
    assert dialog.chosen_fields() == [c for c in IDENTIFYING_FIELDS if c in policy.identifying]
    assert dialog.status.text() == "Victim advocate: the built-in policy."
    assert dialog.save_button.isHidden() and dialog.reset_button.isHidden()


def test_saving_sends_the_ticked_sections_and_fields(qtbot):
    fake = FakePolicies()
    dialog = AudiencePolicyDialog(fake.actions())
    qtbot.addWidget(dialog)
    dialog.section_boxes[Section.SESSION_UPDATES].setChecked(False)
    dialog.field_boxes["client.date_of_birth"].setChecked(False)
    assert not dialog.save_button.isHidden()

    dialog.save_button.click()

    [(name, kwargs)] = fake.named("set_audience_policy")
    assert name == "police"
    assert "session_updates" not in kwargs["sections"] and "risk" in kwargs["sections"]
    assert kwargs["fields"] == ["client.given_name", "client.family_name", "client.police_ref"]
    assert kwargs["title"] == "Police"
    assert dialog.status.text().startswith("Police: changed by Admin Person on ")
    assert not dialog.reset_button.isHidden() and dialog.save_button.isHidden()


def test_a_refused_policy_shows_the_service_message_and_keeps_the_ticks(qtbot):
    fake = FakePolicies()
    fake.refuse = ValidationError(
        [
            Problem(
                "fields",
                "The audience needs the family name or the police or partner reference, "
                "or it cannot tell who the document is about.",
            )
        ]
    )
    dialog = AudiencePolicyDialog(fake.actions())
    qtbot.addWidget(dialog)
    for column in ("client.family_name", "client.police_ref"):
        dialog.field_boxes[column].setChecked(False)

    dialog.save_button.click()

    assert "cannot tell who the document is about" in dialog.errors.text()
    assert not dialog.field_boxes["client.family_name"].isChecked()
    assert dialog.field_boxes["client.given_name"].isChecked()
    assert dialog.is_dirty()
    assert fake.policies["police"] is BUILT_IN["police"]


def test_moving_to_another_audience_with_unsaved_changes_is_held_back(qtbot):
    fake = FakePolicies()
    dialog = AudiencePolicyDialog(fake.actions())
    qtbot.addWidget(dialog)
    dialog.section_boxes[Section.GOALS].setChecked(False)

    dialog.audiences.setCurrentRow(1)

    assert dialog.audiences.currentRow() == 0
    assert dialog.errors.text() == "Save or undo the changes to Police first."
    dialog.undo_button.click()
    assert dialog.section_boxes[Section.GOALS].isChecked()
    dialog.audiences.setCurrentRow(1)
    assert dialog.title.text() == "Probation"


def test_back_to_built_in_calls_reset(qtbot):
    fake = FakePolicies()
    fake.policies["gp"] = dataclasses.replace(BUILT_IN["gp"], built_in=False, updated_by=1)
    dialog = AudiencePolicyDialog(fake.actions())
    qtbot.addWidget(dialog)
    dialog.audiences.setCurrentRow(4)
    assert not dialog.reset_button.isHidden()

    dialog.reset_button.click()

    assert fake.named("reset_audience_policy") == [("gp", {})]
    assert dialog.status.text() == "GP or referrer: the built-in policy."


def test_a_refusal_to_open_is_shown_in_words(qtbot):
    fake = FakePolicies()

    def refuse(name: str) -> Any:
        raise AccessDenied("Only administrators change what partner agencies receive.")

    dialog = AudiencePolicyDialog(dataclasses.replace(fake.actions(), audience_policy=refuse))
    qtbot.addWidget(dialog)
    assert dialog.errors.text() == "Only administrators change what partner agencies receive."
