"""Intervention plans: each save is a new revision; goals keep their identity across them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from clinic_app.errors import ConflictError, EditConflict, ValidationError
from clinic_app.models import (
    GoalProgress,
    InterventionPlan,
    PlanGoal,
    PlannedIntervention,
    PlanReview,
    PlanRevision,
)
from clinic_app.models.enums import InterventionKind, Phase, PlanStatus
from clinic_app.services import audit, conflicts
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.validation import Checker, date_problem

MAX_TEXT = 50_000


@dataclass(frozen=True)
class GoalInput:
    private_detail: str
    partner_wording: str
    involves_victim: bool = False
    victim_review_note: str = ""
    goal_key: str | None = None  # None for a new goal


@dataclass(frozen=True)
class InterventionInput:
    kind: InterventionKind
    detail: str = ""


@dataclass(frozen=True)
class PlanInput:
    status: PlanStatus
    phase: Phase
    formulation: str = ""
    planned_sessions: int | None = None
    planned_weeks: int | None = None
    next_review_on: date | None = None
    change_note: str = ""
    goals: tuple[GoalInput, ...] = ()
    interventions: tuple[InterventionInput, ...] = ()


@dataclass(frozen=True)
class GoalRow:
    goal_key: str
    private_detail: str
    partner_wording: str
    involves_victim: bool
    victim_review_note: str


@dataclass(frozen=True)
class RevisionRow:
    plan_id: int
    client_id: int
    number: int
    status: PlanStatus
    phase: Phase
    formulation: str
    planned_sessions: int | None
    planned_weeks: int | None
    next_review_on: date | None
    change_note: str
    saved_at: datetime
    saved_by: int
    goals: tuple[GoalRow, ...]
    interventions: tuple[tuple[InterventionKind, str], ...]
    goals_needing_review: tuple[str, ...] = field(default=())
    """Goals that would involve the victim and have not yet been reviewed."""


def _check(plan: PlanInput) -> None:
    check = Checker()
    check.text("formulation", plan.formulation, label="The formulation", max_length=MAX_TEXT)
    check.text("change_note", plan.change_note, label="The note of what changed", max_length=5000)
    for name in ("planned_sessions", "planned_weeks"):
        value = getattr(plan, name)
        if value is not None and not 1 <= value <= 520:
            check.add(name, "The planned length is a number from 1 to 520.")
    if plan.next_review_on is not None and plan.next_review_on < date(2000, 1, 1):
        check.add("next_review_on", "The review date is not a plausible date.")
    keys = [g.goal_key for g in plan.goals if g.goal_key]
    if len(keys) != len(set(keys)):
        check.add("goals", "The same goal appears twice.")
    for i, goal in enumerate(plan.goals, start=1):
        check.text(
            f"goals[{i}].private_detail",
            goal.private_detail,
            label=f"Goal {i}'s detail",
            required=True,
            max_length=MAX_TEXT,
        )
        check.text(
            f"goals[{i}].partner_wording",
            goal.partner_wording,
            label=f"Goal {i}'s partner wording",
            required=True,
            max_length=5000,
        )
        check.text(
            f"goals[{i}].victim_review_note",
            goal.victim_review_note,
            label=f"Goal {i}'s review note",
            max_length=MAX_TEXT,
        )
        if goal.involves_victim and not goal.victim_review_note.strip():
            # DOMAIN rule: a goal that would involve the victim is challenged before it
            # goes into the plan, whatever screen, command or file it comes from.
            check.add(
                f"goals[{i}].victim_review_note",
                "This goal would involve the victim: write a review note before saving.",
            )
    for i, item in enumerate(plan.interventions, start=1):
        check.text(
            f"interventions[{i}].detail",
            item.detail,
            label="The intervention detail",
            max_length=MAX_TEXT,
        )
    if plan.status is PlanStatus.ACTIVE and not plan.goals:
        check.add("goals", "An active plan needs at least one goal.")
    check.raise_if_any()


def _revision_row(plan: InterventionPlan, revision: PlanRevision) -> RevisionRow:
    goals = tuple(
        GoalRow(
            g.goal_key, g.private_detail, g.partner_wording, g.involves_victim, g.victim_review_note
        )
        for g in revision.goals
    )
    return RevisionRow(
        plan_id=plan.id,
        client_id=plan.client_id,
        number=revision.number,
        status=revision.status,
        phase=revision.phase,
        formulation=revision.formulation,
        planned_sessions=revision.planned_sessions,
        planned_weeks=revision.planned_weeks,
        next_review_on=revision.next_review_on,
        change_note=revision.change_note,
        saved_at=revision.saved_at,
        saved_by=revision.saved_by,
        goals=goals,
        interventions=tuple((i.kind, i.detail) for i in revision.interventions),
        goals_needing_review=tuple(
            g.goal_key for g in goals if g.involves_victim and not g.victim_review_note.strip()
        ),
    )


def _write_revision(
    session: Session, by: StaffRef, plan: InterventionPlan, number: int, data: PlanInput
) -> PlanRevision:
    revision = PlanRevision(
        plan_id=plan.id,
        number=number,
        status=data.status,
        phase=data.phase,
        formulation=data.formulation,
        planned_sessions=data.planned_sessions,
        planned_weeks=data.planned_weeks,
        next_review_on=data.next_review_on,
        change_note=data.change_note,
        saved_by=by.id,
    )
    session.add(revision)
    session.flush()
    for position, goal in enumerate(data.goals):
        session.add(
            PlanGoal(
                revision_id=revision.id,
                goal_key=goal.goal_key or str(uuid.uuid4()),
                position=position,
                private_detail=goal.private_detail,
                partner_wording=goal.partner_wording.strip(),
                involves_victim=goal.involves_victim,
                victim_review_note=goal.victim_review_note,
            )
        )
    for position, item in enumerate(data.interventions):
        session.add(
            PlannedIntervention(
                revision_id=revision.id, position=position, kind=item.kind, detail=item.detail
            )
        )
    session.flush()
    session.refresh(revision)
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="plan_revision",
        entity_id=revision.id,
        client_id=plan.client_id,
    )
    return revision


def create_plan(session: Session, by: StaffRef, client_id: int, data: PlanInput) -> RevisionRow:
    require_clinical_access(session, by, client_id)
    _check(data)
    plan = InterventionPlan(client_id=client_id, created_by=by.id)
    session.add(plan)
    session.flush()
    return _revision_row(plan, _write_revision(session, by, plan, 1, data))


def save_revision(
    session: Session,
    by: StaffRef,
    plan_id: int,
    data: PlanInput,
    *,
    based_on: int,
) -> RevisionRow:
    """Save the plan as a new revision; ``based_on`` is the revision the editor started from.

    A plan revised by someone else since then is not saved over: the
    :class:`~clinic_app.errors.EditConflict` shows both, and saving again based on the
    newer revision puts the user's plan over it.
    """
    plan = conflicts.for_update(session, InterventionPlan, plan_id, "plan")
    require_clinical_access(session, by, plan.client_id)
    latest = (
        session.scalar(select(func.max(PlanRevision.number)).where(PlanRevision.plan_id == plan_id))
        or 0
    )
    known = set(
        session.scalars(
            select(PlanGoal.goal_key).join(PlanRevision).where(PlanRevision.plan_id == plan_id)
        )
    )
    unknown = [g.goal_key for g in data.goals if g.goal_key and g.goal_key not in known]
    if unknown:
        raise ValidationError("A goal does not belong to this plan.", where="goals")
    _check(data)
    if latest != based_on:
        raise _edit_conflict(session, plan, data, latest)
    _move_on(session, plan)
    return _revision_row(plan, _write_revision(session, by, plan, latest + 1, data))


def _move_on(session: Session, plan: InterventionPlan) -> None:
    """Count one more saved revision on the plan row, from the version read.

    The last guard against two saves from the same revision: the second one's update
    finds the plan already moved on and changes nothing.
    """
    moved = session.execute(
        update(InterventionPlan)
        .where(InterventionPlan.id == plan.id, InterventionPlan.version == plan.version)
        .values(version=plan.version + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(
            "Someone else saved this plan at the same moment. Nothing of yours was saved; "
            "open the plan again and save."
        )
    session.expire(plan, ["version"])


_GOAL_LABELS: Final = {
    "private_detail": "detail",
    "partner_wording": "partner wording",
    "involves_victim": "involvement of the victim",
    "victim_review_note": "review note",
}


def input_of(row: RevisionRow) -> PlanInput:
    """A saved revision as the input that would save it again (what an editor starts from)."""
    return PlanInput(
        status=row.status,
        phase=row.phase,
        formulation=row.formulation,
        planned_sessions=row.planned_sessions,
        planned_weeks=row.planned_weeks,
        next_review_on=row.next_review_on,
        change_note=row.change_note,
        goals=tuple(
            GoalInput(
                g.private_detail,
                g.partner_wording,
                g.involves_victim,
                g.victim_review_note,
                g.goal_key,
            )
            for g in row.goals
        ),
        interventions=tuple(InterventionInput(kind, detail) for kind, detail in row.interventions),
    )


def _edit_conflict(
    session: Session, plan: InterventionPlan, data: PlanInput, latest: int
) -> EditConflict:
    revision = session.scalar(
        select(PlanRevision).where(PlanRevision.plan_id == plan.id, PlanRevision.number == latest)
    )
    saved_input = None if revision is None else input_of(_revision_row(plan, revision))
    saved = {} if saved_input is None else conflicts.parts(saved_input)
    count = max(len(data.goals), sum(1 for name in saved if name.endswith("].private_detail")))
    interventions = max(
        len(data.interventions), sum(1 for name in saved if name.endswith("].kind"))
    )
    labels = {
        "status": "The status",
        "phase": "The phase",
        "formulation": "The formulation",
        "planned_sessions": "The planned sessions",
        "planned_weeks": "The planned weeks",
        "next_review_on": "The next review",
        "change_note": "The note of what changed",
        **conflicts.item_labels(_GOAL_LABELS, count, name="goals", title="Goal"),
        **conflicts.item_labels(
            {"kind": "kind", "detail": "detail"},
            interventions,
            name="interventions",
            title="Intervention",
        ),
    }
    return conflicts.conflict(
        session,
        "this plan",
        entity="plan_revision",
        entity_id=0 if revision is None else revision.id,
        theirs=conflicts.parts(data),
        saved=saved,
        labels=labels,
        version=latest,
        saved_record=saved_input,
    )


def revisions(session: Session, by: StaffRef, plan_id: int) -> list[RevisionRow]:
    plan = get_or_raise(session, InterventionPlan, plan_id, "plan")
    require_clinical_access(session, by, plan.client_id)
    return [_revision_row(plan, r) for r in plan.revisions]


def plans_for_client(session: Session, by: StaffRef, client_id: int) -> list[RevisionRow]:
    """The latest revision of each of the client's plans."""
    require_clinical_access(session, by, client_id)
    return plans_read(session, client_id)


def plans_read(session: Session, client_id: int) -> list[RevisionRow]:
    """:func:`plans_for_client` for a use case that has checked the user's access itself.

    Three statements however many plans the client has: each plan with its latest
    revision, then those revisions' goals, then their interventions.
    """
    each = aliased(PlanRevision)
    latest = (
        select(func.max(each.number)).where(each.plan_id == InterventionPlan.id).scalar_subquery()
    )
    found = session.execute(
        select(InterventionPlan, PlanRevision)
        .join(PlanRevision, PlanRevision.plan_id == InterventionPlan.id)
        .where(InterventionPlan.client_id == client_id, PlanRevision.number == latest)
        .order_by(InterventionPlan.id)
        .options(selectinload(PlanRevision.goals), selectinload(PlanRevision.interventions))
    ).all()
    return [_revision_row(plan, revision) for plan, revision in found]


def rate_goal(
    session: Session,
    by: StaffRef,
    plan_id: int,
    goal_key: str,
    *,
    rating: int,
    rated_on: date,
    comment: str = "",
    today: date | None = None,
) -> None:
    """Record progress on a goal, 0 (none) to 10 (achieved); ratings accumulate."""
    plan = get_or_raise(session, InterventionPlan, plan_id, "plan")
    require_clinical_access(session, by, plan.client_id)
    check = Checker()
    if not isinstance(rating, int) or not 0 <= rating <= 10:
        check.add("rating", "A progress rating is a whole number from 0 to 10.")
    check.add(
        "rated_on", date_problem(rated_on, label="The rating date", today=today or date.today())
    )
    check.text("comment", comment, label="The comment", max_length=MAX_TEXT)
    exists = session.scalar(
        select(PlanGoal.id)
        .join(PlanRevision)
        .where(PlanRevision.plan_id == plan_id, PlanGoal.goal_key == goal_key)
        .limit(1)
    )
    if exists is None:
        check.add("goal", "That goal is not part of this plan.")
    check.raise_if_any()
    row = GoalProgress(
        plan_id=plan_id,
        goal_key=goal_key,
        rated_on=rated_on,
        rating=rating,
        comment=comment,
        rated_by=by.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="goal_progress",
        entity_id=row.id,
        client_id=plan.client_id,
    )


def record_review(
    session: Session,
    by: StaffRef,
    plan_id: int,
    *,
    due_on: date,
    held_on: date | None,
    outcome: str,
    today: date | None = None,
) -> None:
    plan = get_or_raise(session, InterventionPlan, plan_id, "plan")
    require_clinical_access(session, by, plan.client_id)
    check = Checker()
    if held_on is not None:
        check.add(
            "held_on", date_problem(held_on, label="The review date", today=today or date.today())
        )
    check.text("outcome", outcome, label="The outcome", max_length=MAX_TEXT)
    check.raise_if_any()
    row = PlanReview(
        plan_id=plan_id,
        due_on=due_on,
        held_on=held_on,
        outcome=outcome,
        reviewed_by=by.id if held_on else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="plan_review",
        entity_id=row.id,
        client_id=plan.client_id,
    )


# -- reads: progress ratings and reviews ------------------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    """One progress rating of a goal: 0 (no progress) to 10 (achieved), on a date."""

    plan_id: int
    goal_key: str
    rated_on: date
    rating: int
    comment: str
    rated_by: int
    recorded_at: datetime


@dataclass(frozen=True)
class ReviewRow:
    """A review of a plan: when it was due, when (if yet) it was held, and its outcome."""

    plan_id: int
    due_on: date
    held_on: date | None
    outcome: str
    reviewed_by: int | None


def goal_progress(session: Session, by: StaffRef, plan_id: int) -> list[ProgressRow]:
    """Every progress rating of the plan's goals, oldest first (by date, then when recorded)."""
    plan = get_or_raise(session, InterventionPlan, plan_id, "plan")
    require_clinical_access(session, by, plan.client_id)
    rows = session.scalars(
        select(GoalProgress)
        .where(GoalProgress.plan_id == plan_id)
        .order_by(GoalProgress.rated_on, GoalProgress.recorded_at, GoalProgress.id)
    )
    return [
        ProgressRow(
            plan_id=row.plan_id,
            goal_key=row.goal_key,
            rated_on=row.rated_on,
            rating=row.rating,
            comment=row.comment,
            rated_by=row.rated_by,
            recorded_at=row.recorded_at,
        )
        for row in rows
    ]


def plan_reviews(session: Session, by: StaffRef, plan_id: int) -> list[ReviewRow]:
    """The plan's reviews, earliest due first."""
    plan = get_or_raise(session, InterventionPlan, plan_id, "plan")
    require_clinical_access(session, by, plan.client_id)
    rows = session.scalars(
        select(PlanReview)
        .where(PlanReview.plan_id == plan_id)
        .order_by(PlanReview.due_on, PlanReview.id)
    )
    return [
        ReviewRow(
            plan_id=row.plan_id,
            due_on=row.due_on,
            held_on=row.held_on,
            outcome=row.outcome,
            reviewed_by=row.reviewed_by,
        )
        for row in rows
    ]
