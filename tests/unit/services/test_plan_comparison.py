"""The plan comparison engine and the words for plan lengths and review dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from clinic_app.models.enums import InterventionKind, Phase, PlanStatus
from clinic_app.services.plan_comparison import (
    PlanSnapshot,
    compare_plans,
    describe_plan,
    planned_length,
    review_due,
    text_change,
)
from clinic_app.services.plans import GoalRow, RevisionRow

TODAY = date(2026, 3, 12)

THOUGHTS = GoalRow(
    "g1", "Reduce rumination with thought records.", "Manage unhelpful thoughts", False, ""
)
APOLOGY = GoalRow(
    "g3", "Write a letter of apology to the victim.", "Explore responsibility", True, ""
)
CONTACT = GoalRow(
    "g4",
    "No contact; discuss the wish to explain himself.",
    "Keep to the conditions",
    True,
    "Reviewed with the victim advocate: the victim wants no contact of any kind.",
)
REVISION_2 = RevisionRow(
    plan_id=7,
    client_id=41,
    number=2,
    status=PlanStatus.ACTIVE,
    phase=Phase.INTERVENTION,
    formulation=(
        "Rejected after a long relationship. Entitlement and shame underpin the pursuit. "
        "Alcohol lowers restraint."
    ),
    planned_sessions=12,
    planned_weeks=16,
    next_review_on=date(2026, 3, 2),
    change_note="Active after the panel meeting.",
    saved_at=datetime(2026, 2, 12, 14, 5, tzinfo=UTC),
    saved_by=3,
    goals=(THOUGHTS, APOLOGY, CONTACT),
    interventions=(
        (InterventionKind.CBT, "Weekly"),
        (InterventionKind.VICTIM_EMPATHY, ""),
    ),
    goals_needing_review=("g3",),
)


def test_comparison_of_identical_plans_says_nothing_changed():
    same = PlanSnapshot.of_revision(REVISION_2)
    assert compare_plans(same, same) == []


def test_comparison_notes_changed_victim_involvement_and_goal_order():
    before = PlanSnapshot.of_revision(REVISION_2)
    after = PlanSnapshot.of_revision(
        replace(
            REVISION_2,
            goals=(replace(APOLOGY, victim_review_note="Advocate: no letters."), THOUGHTS),
        )
    )
    lines = "\n".join(compare_plans(before, after))
    assert "Involves the victim: Yes — NEEDS REVIEW → Yes — reviewed" in lines
    assert "Review note: (blank) → “Advocate: no letters.”" in lines
    assert "Removed goal: “Keep to the conditions”" in lines
    assert "The order of the goals changed" in lines


def test_text_change_uses_words_not_colour():
    assert text_change("Phase note", "short", "brief") == ["  Phase note: “short” → “brief”"]
    long_old = "First sentence stays the same here. Second sentence goes. " * 2
    long_new = "First sentence stays the same here. A new sentence arrives. " * 2
    lines = text_change("Formulation", long_old, long_new)
    assert lines[0] == "  Formulation changed:"
    assert "    Removed: “Second sentence goes.”" in lines
    assert "    Added: “A new sentence arrives.”" in lines
    assert text_change("Same", "text ", " text") == []


# -- words for lengths and dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sessions", "weeks", "words"),
    [
        (12, 16, "12 sessions over 16 weeks"),
        (1, None, "1 session"),
        (None, 8, "8 weeks"),
        (None, None, "Case by case (no set length)"),
    ],
)
def test_planned_length_in_words(sessions, weeks, words):
    assert planned_length(sessions, weeks) == words


def test_review_date_in_words():
    assert review_due(None, TODAY) == ("No review date set", False)
    assert review_due(date(2026, 3, 11), TODAY) == ("11 March 2026 — overdue by 1 day", True)
    assert review_due(TODAY, TODAY) == ("12 March 2026 — due today", False)
    assert review_due(date(2026, 3, 15), TODAY) == ("15 March 2026 (in 3 days)", False)


def test_a_whole_revision_reads_as_plain_text():
    lines = describe_plan(PlanSnapshot.of_revision(REVISION_2))
    assert lines[:4] == [
        "Status: Active",
        "Phase: Intervention",
        "Planned length: 12 sessions over 16 weeks",
        "Next review: 2 March 2026",
    ]
    assert "  2. Partner wording: Explore responsibility" in lines
    assert "     Involves the victim: Yes — NEEDS REVIEW" in lines
    assert "  - Victim empathy work" in lines
