"""The pseudonymised evaluation data set: what is read, and how each value is coarsened.

Read, per client in scope (referred by the end of the period, not closed before its
start, demo clients left out unless asked for):

- OPERATIONAL and SHAREABLE coded values only: site, referral month, status, typology
  (the code, never its rationale), session dates and attendance codes, risk event kinds
  and urgencies, plan status (for the reason a client was discharged);
- measure totals, recomputed from the answers by the application's own scoring, with the
  reliable change verdicts of ``clinic_app.measures.scoring`` (the answers themselves do
  not leave);
- risk-tool judgements mapped onto closed lists: the domain onto a short list of known
  domains (anything else is ``other_domain``, so a name typed in never leaves) and the level
  onto low / moderate / high / not rated (anything else is ``unrecognised``);
- two coded THIRD_PARTY values, as categories only: how many people are recorded as the
  client's victims, the categories of third parties recorded, and the kinds of protective
  order or condition in force during the period (the client's legal status). Never a
  name, detail, reference, date or any other text of theirs.

Never read: names, date of birth, NHS number, address, references, and every free-text
column (notes, rationales, reasons, partner wordings, referral source as typed: it is
mapped onto categories). Every date leaves as a month (``YYYY-MM``); a site or referral
source category with fewer than five clients in scope is merged into ``other``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.measures.scoring import Verdict
from clinic_app.models import (
    Client,
    InterventionPlan,
    PlanRevision,
    ProtectiveMeasure,
    RiskAssessment,
    RiskEvent,
    SessionNote,
    ThirdParty,
    TypologyAssessment,
)
from clinic_app.models.enums import (
    Attendance,
    ClientStatus,
    PlanStatus,
    ProtectiveMeasureKind,
    RiskEventKind,
    ThirdPartyRelation,
    Typology,
)
from clinic_app.services.evaluation.projects import Pseudonymiser
from clinic_app.services.evaluation.tables import SMALLEST_SHOWN
from clinic_app.services.measures import results_between

OTHER: Final = "other"
NOT_RECORDED: Final = "not_recorded"

REFERRAL_SOURCES: Final = (
    ("police", ("police", "constabulary")),
    ("probation", ("probation",)),
    ("court", ("court", "magistrat")),
    ("prison", ("prison", "hmp")),
    ("gp", ("gp", "general practi", "surgery")),
    ("mental_health_service", ("mental health", "cmht", "psychiatr", "nhs", "talking therap")),
    ("victim_service", ("victim", "advoca", "idva", "isva")),
    ("self_referral", ("self",)),
)

RISK_DOMAINS: Final = (
    ("persistence", ("persist",)),
    ("recurrence", ("recur",)),
    ("violence", ("violen",)),
    ("psychological_harm", ("psycholog", "harm")),
    ("escalation", ("escalat",)),
    ("nature", ("nature",)),
)
LEVELS: Final = ("low", "moderate", "high", "not rated")
LEVEL_ORDER: Final = {"low": 1, "moderate": 2, "high": 3}

LEGAL_STATUS: Final = {
    ProtectiveMeasureKind.STALKING_PROTECTION_ORDER: "stalking_protection_order",
    ProtectiveMeasureKind.INTERIM_STALKING_PROTECTION_ORDER: "stalking_protection_order",
    ProtectiveMeasureKind.RESTRAINING_ORDER: "restraining_order",
    ProtectiveMeasureKind.NON_MOLESTATION_ORDER: "non_molestation_order",
    ProtectiveMeasureKind.BAIL_CONDITIONS: "bail",
    ProtectiveMeasureKind.LICENCE_CONDITIONS: "licence",
    ProtectiveMeasureKind.OTHER: "other_order",
}

ATTENDED: Final = (Attendance.ATTENDED, Attendance.LATE)


def month(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s month."""
    return (end.year - start.year) * 12 + end.month - start.month


def _keyword_category(text: str, table: Iterable[tuple[str, tuple[str, ...]]]) -> str:
    words = f" {' '.join(text.lower().split())} "
    if not words.strip():
        return NOT_RECORDED
    for code, keys in table:
        if any(re.search(rf"(^|\W){re.escape(k.strip())}", words) for k in keys):
            return code
    return OTHER


def referral_source_category(text: str) -> str:
    """The referral source as typed, mapped onto a closed list (the text never leaves)."""
    return _keyword_category(text, REFERRAL_SOURCES)


def risk_domain(name: Any) -> str:
    """A judgement's domain name onto a closed list (a name typed in never leaves)."""
    if not isinstance(name, str):
        return "other_domain"
    found = _keyword_category(name, RISK_DOMAINS)
    return "other_domain" if found in (OTHER, NOT_RECORDED) else found


def risk_level(value: Any) -> str:
    if isinstance(value, str) and value in LEVELS:
        return value.replace(" ", "_")
    return "unrecognised"


@dataclass(frozen=True)
class Judgement:
    on: date
    tool: str
    levels: tuple[tuple[str, str], ...]

    @property
    def highest(self) -> str:
        ranked = [(LEVEL_ORDER[lv], lv) for _d, lv in self.levels if lv in LEVEL_ORDER]
        return max(ranked)[1] if ranked else NOT_RECORDED


@dataclass(frozen=True)
class MeasureEvent:
    on: date
    measure_id: str
    version: str
    total: float | None
    change_from_previous: str


@dataclass(frozen=True)
class MeasureOutcome:
    measure_id: str
    first_on: date
    last_on: date
    administrations: int
    first_total: float | None
    last_total: float | None
    difference: float | None
    verdict: str
    clinically_significant: str


@dataclass
class ClientFacts:
    """Everything the export says about one client, already coarsened."""

    pseudonym: str
    site: str
    referral_source: str
    referral_on: date
    status: ClientStatus
    first_month_in_period: date
    last_month_in_period: date
    typologies: list[tuple[date, Typology]] = field(default_factory=list)
    victims: int = 0
    third_party_categories: tuple[str, ...] = ()
    legal_status: tuple[str, ...] = ()
    sessions: list[tuple[date, Attendance, str, str]] = field(default_factory=list)
    """Date, attendance, modality and the engagement rating (SHAREABLE codes)."""
    risk_events: list[tuple[date, RiskEventKind, str]] = field(default_factory=list)
    judgements: list[Judgement] = field(default_factory=list)
    measures: list[MeasureEvent] = field(default_factory=list)
    outcomes: list[MeasureOutcome] = field(default_factory=list)
    discharged_on: date | None = None
    discharge_reason: str = ""
    planned_sessions: int | None = None

    @property
    def attended(self) -> list[date]:
        return [d for d, a, *_ in self.sessions if a in ATTENDED]

    def count(self, *kinds: Attendance) -> int:
        return sum(1 for _d, a, *_ in self.sessions if a in kinds)

    @property
    def intervention_months(self) -> int | None:
        """Calendar months from the first attended session to the last, both counted."""
        attended = self.attended
        if not attended:
            return None
        return months_between(min(attended), max(attended)) + 1

    @property
    def client_months(self) -> int:
        """Months in the service within the period (for rates per client-month)."""
        end = self.last_month_in_period
        if self.discharged_on is not None and self.discharged_on < end:
            end = self.discharged_on
        return max(months_between(self.first_month_in_period, end) + 1, 1)

    @property
    def latest_typology(self) -> str:
        return self.typologies[-1][1].value if self.typologies else NOT_RECORDED

    @property
    def first_typology(self) -> str:
        return self.typologies[0][1].value if self.typologies else NOT_RECORDED

    @property
    def judgement_direction(self) -> str:
        ranked = [j for j in self.judgements if j.highest in LEVEL_ORDER]
        if len(ranked) < 2:
            return "fewer_than_two"
        first, last = LEVEL_ORDER[ranked[0].highest], LEVEL_ORDER[ranked[-1].highest]
        return "lower" if last < first else "higher" if last > first else "same"


def _in_scope(session: Session, start: date, end: date, include_demo: bool) -> list[Client]:
    query = select(Client).where(Client.referral_date <= end).order_by(Client.id)
    if not include_demo:
        query = query.where(Client.is_demo.is_(False))
    return [
        c
        for c in session.scalars(query)
        if c.closed_at is None or c.status is not ClientStatus.CLOSED or c.closed_at.date() >= start
    ]


def _by_client(rows: Iterable[Any]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        out[row[0]].append(row[1:])
    return out


def _discharge_reason(status: PlanStatus | None) -> str:
    if status is PlanStatus.COMPLETED:
        return "completed_intervention"
    if status is PlanStatus.WITHDRAWN:
        return "withdrawn"
    return "closed_reason_not_recorded"


def _verdict(change: Any, problem: str) -> str:
    if change is None:
        return "not_comparable" if problem else "not_assessed"
    verdict: Verdict = change.verdict
    return verdict.value


def _significance(change: Any) -> str:
    if change is None or change.clinically_significant is None:
        return "not_judged"
    return "yes" if change.clinically_significant else "no"


def gather(
    session: Session,
    names: Pseudonymiser,
    *,
    start: date,
    end: date,
    include_demo: bool = False,
) -> list[ClientFacts]:
    """The coarsened facts of every client in scope, ordered by pseudonym."""
    clients = _in_scope(session, start, end, include_demo)
    ids = [c.id for c in clients]
    if not ids:
        return []

    typologies = _by_client(
        session.execute(
            select(
                TypologyAssessment.client_id,
                TypologyAssessment.assessed_on,
                TypologyAssessment.typology,
            )
            .where(TypologyAssessment.client_id.in_(ids), TypologyAssessment.assessed_on <= end)
            .order_by(TypologyAssessment.assessed_on, TypologyAssessment.id)
        )
    )
    sessions = _by_client(
        session.execute(
            select(
                SessionNote.client_id,
                SessionNote.session_date,
                SessionNote.attendance,
                SessionNote.modality,
                SessionNote.engagement,
            )
            .where(
                SessionNote.client_id.in_(ids),
                SessionNote.entered_in_error_at.is_(None),
                SessionNote.session_date.between(start, end),
            )
            .order_by(SessionNote.session_date, SessionNote.id)
        )
    )
    events = _by_client(
        session.execute(
            select(RiskEvent.client_id, RiskEvent.occurred_on, RiskEvent.kind, RiskEvent.urgency)
            .where(RiskEvent.client_id.in_(ids), RiskEvent.occurred_on.between(start, end))
            .order_by(RiskEvent.occurred_on, RiskEvent.id)
        )
    )
    # CLINICAL JSON: read only to map each entry onto the closed lists above.
    assessments = _by_client(
        session.execute(
            select(
                RiskAssessment.client_id,
                RiskAssessment.assessed_on,
                RiskAssessment.tool,
                RiskAssessment.judgements,
            )
            .where(
                RiskAssessment.client_id.in_(ids), RiskAssessment.assessed_on.between(start, end)
            )
            .order_by(RiskAssessment.assessed_on, RiskAssessment.id)
        )
    )
    # THIRD_PARTY coded values: counted and categorised only.
    relations = _by_client(
        session.execute(
            select(ThirdParty.client_id, ThirdParty.relation).where(ThirdParty.client_id.in_(ids))
        )
    )
    orders = _by_client(
        session.execute(
            select(
                ProtectiveMeasure.client_id,
                ProtectiveMeasure.kind,
                ProtectiveMeasure.starts_on,
                ProtectiveMeasure.ends_on,
                ProtectiveMeasure.revoked_on,
            ).where(ProtectiveMeasure.client_id.in_(ids))
        )
    )
    plans = _by_client(
        session.execute(
            select(
                InterventionPlan.client_id,
                PlanRevision.status,
                PlanRevision.planned_sessions,
            )
            .join(PlanRevision, PlanRevision.plan_id == InterventionPlan.id)
            .where(InterventionPlan.client_id.in_(ids))
            .order_by(PlanRevision.saved_at, PlanRevision.id)
        )
    )

    out: list[ClientFacts] = []
    for client in clients:
        facts = ClientFacts(
            pseudonym=names.of_client(client.id),
            site=" ".join(client.site.split())[:60] or NOT_RECORDED,
            referral_source=referral_source_category(client.referral_source),
            referral_on=client.referral_date,
            status=client.status,
            first_month_in_period=max(client.referral_date, start),
            last_month_in_period=end,
        )
        facts.typologies = [(on, kind) for on, kind in typologies.get(client.id, [])]
        kinds = [r[0] for r in relations.get(client.id, [])]
        facts.victims = sum(1 for k in kinds if k is ThirdPartyRelation.VICTIM)
        facts.third_party_categories = tuple(sorted({k.value for k in kinds}))
        facts.legal_status = tuple(
            sorted(
                {
                    LEGAL_STATUS[kind]
                    for kind, starts, ends, revoked in orders.get(client.id, [])
                    if starts <= end
                    and (ends is None or ends >= start)
                    and (revoked is None or revoked >= start)
                }
            )
        )
        facts.sessions = [
            (on, att, mod.value, rating.value)
            for on, att, mod, rating in sessions.get(client.id, [])
        ]
        facts.risk_events = [(on, k, u.value) for on, k, u in events.get(client.id, [])]
        for on, tool, judgements in assessments.get(client.id, []):
            pairs = judgements.items() if isinstance(judgements, dict) else ()
            facts.judgements.append(
                Judgement(
                    on,
                    tool.value,
                    tuple(sorted((risk_domain(d), risk_level(v)) for d, v in pairs)),
                )
            )
        revisions = plans.get(client.id, [])
        if revisions:
            facts.planned_sessions = revisions[-1][1]
        if client.status is ClientStatus.CLOSED and client.closed_at is not None:
            closed = client.closed_at.date()
            if closed <= end:
                facts.discharged_on = closed
                facts.discharge_reason = _discharge_reason(revisions[-1][0] if revisions else None)
        for measure in results_between(session, client.id, start, end):
            previous = {c.later_id: c for c in measure.changes}
            for result in measure.administrations:
                row = result.administration
                change = previous.get(row.id)
                facts.measures.append(
                    MeasureEvent(
                        row.administered_on,
                        measure.measure_id,
                        row.measure_version,
                        None if result.score is None else result.score.total,
                        "first_in_period"
                        if change is None
                        else _verdict(change.change, change.problem),
                    )
                )
            first, last = measure.administrations[0], measure.administrations[-1]
            overall = measure.overall
            facts.outcomes.append(
                MeasureOutcome(
                    measure.measure_id,
                    first.administration.administered_on,
                    last.administration.administered_on,
                    len(measure.administrations),
                    None if first.score is None else first.score.total,
                    None if last.score is None else last.score.total,
                    None
                    if overall is None or overall.change is None
                    else overall.change.difference,
                    "fewer_than_two"
                    if overall is None
                    else _verdict(overall.change, overall.problem),
                    _significance(None if overall is None else overall.change),
                )
            )
        facts.measures.sort(key=lambda m: (m.on, m.measure_id))
        out.append(facts)
    _merge_small_groups(out)
    return sorted(out, key=lambda f: f.pseudonym)


def _merge_small_groups(facts: list[ClientFacts]) -> None:
    """Sites and referral source categories held by fewer than five clients become 'other'."""
    for attribute in ("site", "referral_source"):
        sizes = Counter(getattr(f, attribute) for f in facts)
        for f in facts:
            if sizes[getattr(f, attribute)] < SMALLEST_SHOWN:
                setattr(f, attribute, OTHER)
