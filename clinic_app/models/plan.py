"""Intervention plans. Every save is a new revision; revisions are never changed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic_app.models.base import (
    CLINICAL,
    OPERATIONAL,
    SHAREABLE,
    Base,
    UtcDateTime,
    str_enum,
    utcnow,
)
from clinic_app.models.enums import InterventionKind, Phase, PlanStatus


class InterventionPlan(Base):
    """A client's plan; its content lives in its revisions."""

    __tablename__ = "intervention_plan"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    # Moved on by every saved revision, so two saves from the same revision cannot both pass.
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    revisions: Mapped[list[PlanRevision]] = relationship(
        order_by="PlanRevision.number", back_populates="plan"
    )


class PlanRevision(Base):
    """One saved state of a plan (append-only)."""

    __tablename__ = "plan_revision"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("intervention_plan.id"), index=True, info=OPERATIONAL
    )
    number: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus), info=SHAREABLE)
    phase: Mapped[Phase] = mapped_column(str_enum(Phase), info=SHAREABLE)
    formulation: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    planned_sessions: Mapped[int | None] = mapped_column(Integer, info=SHAREABLE)
    planned_weeks: Mapped[int | None] = mapped_column(Integer, info=SHAREABLE)
    next_review_on: Mapped[date | None] = mapped_column(Date, info=SHAREABLE)
    change_note: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    saved_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)

    plan: Mapped[InterventionPlan] = relationship(back_populates="revisions")
    goals: Mapped[list[PlanGoal]] = relationship(order_by="PlanGoal.position")
    interventions: Mapped[list[PlannedIntervention]] = relationship(
        order_by="PlannedIntervention.position"
    )


class PlanGoal(Base):
    """A goal as it stood in one revision. ``goal_key`` follows a goal across revisions."""

    __tablename__ = "plan_goal"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("plan_revision.id"), index=True, info=OPERATIONAL
    )
    goal_key: Mapped[str] = mapped_column(String(36), index=True, info=OPERATIONAL)
    position: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    private_detail: Mapped[str] = mapped_column(Text, info=CLINICAL)
    partner_wording: Mapped[str] = mapped_column(Text, info=SHAREABLE)
    involves_victim: Mapped[bool] = mapped_column(default=False, info=OPERATIONAL)
    victim_review_note: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)


class PlannedIntervention(Base):
    """An intervention planned in one revision."""

    __tablename__ = "planned_intervention"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("plan_revision.id"), index=True, info=OPERATIONAL
    )
    position: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    kind: Mapped[InterventionKind] = mapped_column(str_enum(InterventionKind), info=SHAREABLE)
    detail: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)


class GoalProgress(Base):
    """A progress rating (0-10) for a goal at a date; ratings accumulate over time."""

    __tablename__ = "goal_progress"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("intervention_plan.id"), index=True, info=OPERATIONAL
    )
    goal_key: Mapped[str] = mapped_column(String(36), index=True, info=OPERATIONAL)
    rated_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    rating: Mapped[int] = mapped_column(Integer, info=SHAREABLE)
    comment: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    rated_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)


class PlanReview(Base):
    """A review of the plan: when it was due, when held, and its private outcome."""

    __tablename__ = "plan_review"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("intervention_plan.id"), index=True, info=OPERATIONAL
    )
    due_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    held_on: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)
    outcome: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
