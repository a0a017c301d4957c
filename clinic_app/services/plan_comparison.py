"""Plan revisions in words, and what changed between two of them.

Qt-free: the Plan tab's history and the editor's "what will change" preview both read
these lines, and tests check them without a window. Every difference is written out in
words ("Removed:", "Added:") so it never depends on colour.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from clinic_app.models.enums import InterventionKind, Phase, PlanStatus
from clinic_app.services.plans import (
    GoalInput,
    GoalRow,
    PlanInput,
    RevisionRow,
)
from clinic_app.wording import INTERVENTION_WORDS, PHASE_WORDS, PLAN_STATUS_WORDS

# -- words for the controlled vocabularies -----------------------------------------------------


VICTIM_REVIEWED = "Yes — reviewed"
VICTIM_NEEDS_REVIEW = "Yes — NEEDS REVIEW"
VICTIM_NO = "No"

PRIVATE_NEVER_SHARED = "Private: never shared"

_LONG_TEXT = 80  # longer text is compared sentence by sentence rather than old → new


def format_date(day: date) -> str:
    """A date as clinicians write it: 5 March 2026."""
    return f"{day.day} {day:%B %Y}"


def format_saved(when: datetime) -> str:
    """A saved time in the workstation's local time: 5 March 2026 at 14:05."""
    local = when.astimezone() if when.tzinfo is not None else when
    return f"{format_date(local.date())} at {local:%H:%M}"


def planned_length(sessions: int | None, weeks: int | None) -> str:
    """The planned length in words; work without a set length is 'case by case'."""
    parts = []
    if sessions:
        parts.append(f"{sessions} session{'' if sessions == 1 else 's'}")
    if weeks:
        parts.append(f"{weeks} week{'' if weeks == 1 else 's'}")
    if not parts:
        return "Case by case (no set length)"
    return " over ".join(parts)


def review_due(next_review_on: date | None, today: date) -> tuple[str, bool]:
    """The next review date in words, and whether it is overdue."""
    if next_review_on is None:
        return "No review date set", False
    days = (next_review_on - today).days
    when = format_date(next_review_on)
    if days < 0:
        late = -days
        return f"{when} — overdue by {late} day{'' if late == 1 else 's'}", True
    if days == 0:
        return f"{when} — due today", False
    return f"{when} (in {days} day{'' if days == 1 else 's'})", False


def victim_words(goal: GoalRow | GoalInput) -> str:
    """Whether a goal would involve the victim, and if so whether it has been reviewed."""
    if not goal.involves_victim:
        return VICTIM_NO
    return VICTIM_REVIEWED if goal.victim_review_note.strip() else VICTIM_NEEDS_REVIEW


def shorten(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _quote(text: str) -> str:
    return f"“{text}”" if text.strip() else "(blank)"


# -- comparing revisions -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSnapshot:
    """What a comparison needs of a plan: a saved revision or the editor's unsaved values."""

    status: PlanStatus
    phase: Phase
    formulation: str
    planned_sessions: int | None
    planned_weeks: int | None
    next_review_on: date | None
    change_note: str
    goals: tuple[GoalRow, ...]
    interventions: tuple[tuple[InterventionKind, str], ...]

    @classmethod
    def of_revision(cls, row: RevisionRow) -> PlanSnapshot:
        return cls(
            row.status,
            row.phase,
            row.formulation,
            row.planned_sessions,
            row.planned_weeks,
            row.next_review_on,
            row.change_note,
            row.goals,
            row.interventions,
        )

    @classmethod
    def of_input(cls, data: PlanInput) -> PlanSnapshot:
        goals = tuple(
            GoalRow(
                g.goal_key or f"new-{i}",
                g.private_detail,
                g.partner_wording,
                g.involves_victim,
                g.victim_review_note,
            )
            for i, g in enumerate(data.goals, start=1)
        )
        return cls(
            data.status,
            data.phase,
            data.formulation,
            data.planned_sessions,
            data.planned_weeks,
            data.next_review_on,
            data.change_note,
            goals,
            tuple((i.kind, i.detail) for i in data.interventions),
        )


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [p.strip() for p in parts if p.strip()]


def text_change(label: str, old: str, new: str, *, indent: str = "  ") -> list[str]:
    """Lines saying how a piece of text changed: old → new, or sentence by sentence.

    Long text is compared with difflib, sentence by sentence; each difference is written
    out with the words "Removed:" and "Added:" so it never depends on colour.
    """
    before, after = old.strip(), new.strip()
    if before == after:
        return []
    short = all(len(t) <= _LONG_TEXT and "\n" not in t for t in (before, after))
    if short:
        return [f"{indent}{label}: {_quote(before)} → {_quote(after)}"]
    lines = [f"{indent}{label} changed:"]
    a, b = _sentences(before), _sentences(after)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lines += [f"{indent}  Removed: {_quote(s)}" for s in a[i1:i2]]
        lines += [f"{indent}  Added: {_quote(s)}" for s in b[j1:j2]]
    return lines


def _value_change(label: str, old: str, new: str) -> list[str]:
    return [] if old == new else [f"  {label}: {old} → {new}"]


def _review_words(day: date | None) -> str:
    return format_date(day) if day else "not set"


def _intervention_words(kind: InterventionKind, detail: str) -> str:
    label = INTERVENTION_WORDS[kind]
    return f"{label}: {detail.strip()}" if detail.strip() else label


def compare_plans(old: PlanSnapshot, new: PlanSnapshot) -> list[str]:
    """Plain-text lines of what changed from ``old`` to ``new``; empty when nothing did."""
    details = [
        *_value_change("Status", PLAN_STATUS_WORDS[old.status], PLAN_STATUS_WORDS[new.status]),
        *_value_change("Phase", PHASE_WORDS[old.phase], PHASE_WORDS[new.phase]),
        *_value_change(
            "Planned length",
            planned_length(old.planned_sessions, old.planned_weeks),
            planned_length(new.planned_sessions, new.planned_weeks),
        ),
        *_value_change(
            "Next review", _review_words(old.next_review_on), _review_words(new.next_review_on)
        ),
        *text_change(
            f"Formulation ({PRIVATE_NEVER_SHARED.lower()})", old.formulation, new.formulation
        ),
    ]
    goals = _compare_goals(old.goals, new.goals)
    old_items = [_intervention_words(k, d) for k, d in old.interventions]
    new_items = [_intervention_words(k, d) for k, d in new.interventions]
    interventions: list[str] = []
    matcher = difflib.SequenceMatcher(None, old_items, new_items, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            interventions += [f"  Removed: {item}" for item in old_items[i1:i2]]
            interventions += [f"  Added: {item}" for item in new_items[j1:j2]]
    lines: list[str] = []
    for heading, section in (
        ("Plan details", details),
        ("Goals", goals),
        ("Planned interventions", interventions),
    ):
        if section:
            if lines:
                lines.append("")
            lines += [heading, *section]
    return lines


def _compare_goals(old: Sequence[GoalRow], new: Sequence[GoalRow]) -> list[str]:
    lines: list[str] = []
    before = {g.goal_key: g for g in old}
    after = {g.goal_key: g for g in new}
    for position, goal in enumerate(new, start=1):
        previous = before.get(goal.goal_key)
        name = _quote(shorten(goal.partner_wording))
        if previous is None:
            lines.append(f"  Added goal {position}: {name}")
            lines.append(f"    Private detail: {_quote(goal.private_detail.strip())}")
            lines.append(f"    Involves the victim: {victim_words(goal)}")
            if goal.victim_review_note.strip():
                lines.append(f"    Review note: {_quote(goal.victim_review_note.strip())}")
            continue
        changes = [
            *text_change(
                "Partner wording", previous.partner_wording, goal.partner_wording, indent="    "
            ),
            *text_change(
                "Private detail", previous.private_detail, goal.private_detail, indent="    "
            ),
        ]
        if victim_words(previous) != victim_words(goal):
            changes.append(
                f"    Involves the victim: {victim_words(previous)} → {victim_words(goal)}"
            )
        changes += text_change(
            "Review note", previous.victim_review_note, goal.victim_review_note, indent="    "
        )
        if changes:
            lines.append(f"  Changed goal {position}: {name}")
            lines += changes
    for goal in old:
        if goal.goal_key not in after:
            lines.append(f"  Removed goal: {_quote(shorten(goal.partner_wording))}")
            lines.append(f"    Private detail was: {_quote(goal.private_detail.strip())}")
    kept_before = [g.goal_key for g in old if g.goal_key in after]
    kept_after = [g.goal_key for g in new if g.goal_key in before]
    if kept_before != kept_after:
        lines.append("  The order of the goals changed. Now:")
        lines += [
            f"    {i}. {_quote(shorten(g.partner_wording))}" for i, g in enumerate(new, start=1)
        ]
    return lines


def describe_plan(plan: PlanSnapshot) -> list[str]:
    """The whole of a plan revision as plain text, for reading in the history."""
    lines = [
        f"Status: {PLAN_STATUS_WORDS[plan.status]}",
        f"Phase: {PHASE_WORDS[plan.phase]}",
        f"Planned length: {planned_length(plan.planned_sessions, plan.planned_weeks)}",
        f"Next review: {_review_words(plan.next_review_on)}",
    ]
    if plan.change_note.strip():
        lines += ["", "What changed and why:", *indented(plan.change_note)]
    lines += ["", f"Formulation ({PRIVATE_NEVER_SHARED.lower()}):"]
    lines += indented(plan.formulation) if plan.formulation.strip() else ["  (none written)"]
    lines += ["", "Goals:"]
    if not plan.goals:
        lines.append("  (no goals)")
    for i, goal in enumerate(plan.goals, start=1):
        lines.append(f"  {i}. Partner wording: {goal.partner_wording.strip()}")
        lines.append("     Private detail:")
        lines += indented(goal.private_detail, "       ")
        lines.append(f"     Involves the victim: {victim_words(goal)}")
        if goal.victim_review_note.strip():
            lines.append("     Review note:")
            lines += indented(goal.victim_review_note, "       ")
    lines += ["", "Planned interventions:"]
    if not plan.interventions:
        lines.append("  (none planned)")
    lines += [f"  - {_intervention_words(k, d)}" for k, d in plan.interventions]
    return lines


def indented(text: str, prefix: str = "  ") -> list[str]:
    return [f"{prefix}{line}" for line in text.strip().splitlines()]
