"""The evaluation export: CSV files, their data dictionary, a README and the outcome report.

``export_evaluation`` builds every file in memory (nothing is written here): row-level
files keyed by the project's pseudonym (``clients.csv``, ``events.csv``,
``measure_outcomes.csv``), aggregate tables with small numbers suppressed
(``summary_*.csv``), ``data_dictionary.csv`` describing every column of every file,
``README.txt`` and ``outcome_report.pdf``. The export is audited with the SHA-256 of
each file (ids, dates of the period and counts only).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy.orm import Session

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.measures.scoring import Verdict
from clinic_app.models.enums import Attendance
from clinic_app.reports.content import DocumentFrame
from clinic_app.reports.outcome_report import (
    BarChart,
    OutcomeReport,
    OutcomeSection,
    render_outcome_report,
)
from clinic_app.services import audit
from clinic_app.services.common import StaffRef
from clinic_app.services.evaluation.dataset import (
    NOT_RECORDED,
    OTHER,
    ClientFacts,
    gather,
    month,
    months_between,
)
from clinic_app.services.evaluation.projects import pseudonymiser
from clinic_app.services.evaluation.tables import (
    RATE_SUPPRESSED,
    SMALLEST_SHOWN,
    SUPPRESSED,
    Column,
    Table,
    dictionary,
    rate,
    suppressed,
    suppressed_parts,
)
from clinic_app.wording import long_date

MARKING: Final = "OFFICIAL-SENSITIVE"
HANDLING: Final = (
    "Pseudonymised service evaluation data. Do not attempt to identify any person, link it "
    "with other data about them, or pass it on beyond the evaluation team."
)


class NothingToEvaluate(ClinicError):
    """No client is in scope for the period asked for."""


@dataclass(frozen=True)
class EvaluationExport:
    """The files of one export, by name, and what they hold."""

    files: tuple[tuple[str, bytes], ...]
    project: str
    clients: int
    events: int

    def sha256_of(self, name: str) -> str:
        return hashlib.sha256(dict(self.files)[name]).hexdigest()


P = Column(
    "pseudonym",
    "pseudonym",
    "The client's keyed pseudonym: HMAC-SHA-256 of the "
    "client's internal id under this project's secret (64 hex digits). The same client "
    "has the same pseudonym in every export of the project; the secret stays with the "
    "service.",
)

CLIENT_COLUMNS: Final = (
    P,
    Column(
        "site",
        "text (coded)",
        "The programme site. Sites with fewer than 5 clients in this export are shown as 'other'.",
    ),
    Column(
        "referral_source",
        "text (coded)",
        "Who referred the client, mapped onto: police, "
        "probation, court, prison, gp, mental_health_service, victim_service, "
        "self_referral, other, not_recorded. Categories with fewer than 5 clients are "
        "'other'.",
    ),
    Column("referral_month", "month (YYYY-MM)", "The month the referral was received."),
    Column(
        "status_at_end",
        "text (coded)",
        "The client's status when the export was made: referred, active, on_hold or closed.",
    ),
    Column(
        "typology_first",
        "text (coded)",
        "The first typology judgement (Mullen et al.) "
        "recorded by the end of the period: rejected, resentful, intimacy_seeking, "
        "incompetent_suitor, predatory, not_yet_determined, or not_recorded.",
    ),
    Column(
        "typology_latest",
        "text (coded)",
        "The latest typology judgement by the end of the period (same codes).",
    ),
    Column(
        "victims_recorded",
        "whole number",
        "How many people the record names as the "
        "client's victims (a count only; nothing about them).",
    ),
    Column(
        "third_party_categories",
        "text (coded list)",
        "Relationship-to-victim categories "
        "of the third parties recorded, separated by ';': victim, victim_family, "
        "victim_associate, new_partner, other. Empty when none is recorded. The record does "
        "not hold the client's prior relationship to the victim (ex-partner, acquaintance, "
        "stranger); typology is the nearest coded proxy.",
    ),
    Column(
        "legal_status",
        "text (coded list)",
        "Legal status category: kinds of protective "
        "order or condition in force during the period, separated by ';': "
        "stalking_protection_order (interim included), restraining_order, "
        "non_molestation_order, bail, licence, other_order. Empty when none is recorded.",
    ),
    Column(
        "sessions_offered",
        "whole number",
        "Sessions booked in the period (every session "
        "recorded, whatever its attendance; sessions marked entered in error excluded).",
    ),
    Column(
        "sessions_attended", "whole number", "Sessions attended in the period, on time or late."
    ),
    Column("sessions_attended_late", "whole number", "Of those attended, how many late."),
    Column(
        "sessions_did_not_attend",
        "whole number",
        "Sessions the client did not attend without cancelling (DNA).",
    ),
    Column("sessions_cancelled_by_client", "whole number", "Sessions the client cancelled."),
    Column("sessions_cancelled_by_service", "whole number", "Sessions the service cancelled."),
    Column(
        "first_attended_month",
        "month (YYYY-MM)",
        "Month of the first attended session in the period; empty if none.",
    ),
    Column(
        "last_attended_month",
        "month (YYYY-MM)",
        "Month of the last attended session in the period; empty if none.",
    ),
    Column(
        "intervention_length_months",
        "whole number",
        "Calendar months from the first to "
        "the last attended session, both counted; empty if none attended.",
    ),
    Column(
        "planned_sessions",
        "whole number",
        "Sessions planned in the latest intervention plan revision; empty if the plan gives none.",
    ),
    Column(
        "discharged", "yes/no", "Whether the client's case was closed by the end of the period."
    ),
    Column("discharge_month", "month (YYYY-MM)", "Month the case was closed; empty if open."),
    Column(
        "discharge_reason",
        "text (coded)",
        "Why, from the latest plan status at closure: "
        "completed_intervention, withdrawn, closed_reason_not_recorded; empty if open.",
    ),
    Column(
        "client_months",
        "whole number",
        "Months in the service within the period (from "
        "the later of referral and period start to the earlier of closure and period end, "
        "both counted): the denominator of rates per client-month.",
    ),
    Column("risk_events", "whole number", "Risk events recorded in the period."),
    Column(
        "months_to_first_risk_event",
        "whole number",
        "Months from the referral month to "
        "the month of the first risk event in the period; empty if none.",
    ),
    Column("risk_judgements", "whole number", "Structured risk-tool assessments in the period."),
    Column(
        "risk_judgement_first_highest",
        "text (coded)",
        "The highest level given in the "
        "first assessment of the period: low, moderate, high, or not_recorded.",
    ),
    Column(
        "risk_judgement_latest_highest",
        "text (coded)",
        "The highest level given in the latest assessment of the period (same codes).",
    ),
    Column(
        "risk_judgement_direction",
        "text (coded)",
        "From the first to the latest assessment: lower, same, higher, or fewer_than_two.",
    ),
    Column("measures_given", "whole number", "Self-report measure administrations in the period."),
)

EVENT_COLUMNS: Final = (
    P,
    Column(
        "event_type",
        "text (coded)",
        "referral, typology, session, risk_event, "
        "risk_judgement, measure or discharge (see category, detail and value).",
    ),
    Column("month", "month (YYYY-MM)", "The month of the event."),
    Column(
        "months_since_referral",
        "whole number",
        "Calendar months from the referral month "
        "to the event's month (0 = the same month), so that time to an event can be "
        "computed.",
    ),
    Column(
        "category",
        "text (coded)",
        "referral: referral source category; typology: the "
        "typology; session: attendance (attended, late, did_not_attend, "
        "cancelled_by_client, cancelled_by_service); risk_event: its kind "
        "(disclosed_intent, contact_with_victim, order_breach, new_victim, escalation, "
        "mental_state_deterioration, disengagement); risk_judgement: the tool (srp, sam, "
        "s-dash, other); measure: the measure id (e.g. phq-9); discharge: the reason.",
    ),
    Column(
        "detail",
        "text (coded)",
        "session: modality (in_person, video, phone); "
        "risk_event: urgency (routine, soon, urgent); risk_judgement: the domain mapped "
        "onto persistence, recurrence, violence, psychological_harm, escalation, nature or "
        "other_domain; measure: the definition version. Empty otherwise.",
    ),
    Column(
        "value",
        "text or number",
        "session: the clinician's engagement rating (good, partial, poor, not_assessed); "
        "risk_judgement: the level (low, moderate, high, "
        "not_rated, unrecognised); measure: the total score, computed by the application "
        "from the answers (empty when the answers cannot be scored). Empty otherwise.",
    ),
    Column(
        "reliable_change_from_previous",
        "text (coded)",
        "measure only: the change from the "
        "previous administration of the same measure in the period: reliable_improvement, "
        "reliable_deterioration, no_reliable_change, not_assessed (the measure has no "
        "reliable change parameters), not_comparable (different versions or unscorable), "
        "or first_in_period.",
    ),
)

OUTCOME_COLUMNS: Final = (
    P,
    Column("measure", "text (coded)", "The measure id (e.g. phq-9, gad-7, core-10)."),
    Column("first_month", "month (YYYY-MM)", "Month of the first administration in the period."),
    Column("last_month", "month (YYYY-MM)", "Month of the latest administration in the period."),
    Column("administrations", "whole number", "Administrations of the measure in the period."),
    Column(
        "first_total",
        "number",
        "Total score of the first administration (empty when it cannot be scored).",
    ),
    Column("last_total", "number", "Total score of the latest administration."),
    Column("change", "number", "Latest total minus first total (empty when not comparable)."),
    Column(
        "reliable_change_category",
        "text (coded)",
        "First to latest, by the measure's "
        "published reliable change rule (Jacobson and Truax or a published threshold, as "
        "the application judges it): reliable_improvement, reliable_deterioration, "
        "no_reliable_change, not_assessed, not_comparable, or fewer_than_two.",
    ),
    Column(
        "clinically_significant",
        "text (coded)",
        "yes: reliable and crossed the measure's "
        "sourced cut-off in the same direction; no; or not_judged (no cut-off or no "
        "reliable change rule, or fewer than two administrations).",
    ),
)


def _count_column(name: str, description: str) -> Column:
    return Column(name, "count", description + " Counts under 5 (zero included) are shown as '<5'.")


def _n(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _client_row(f: ClientFacts) -> tuple[str, ...]:
    attended = f.attended
    judged = f.judgements
    first_risk = f.risk_events[0][0] if f.risk_events else None
    return (
        f.pseudonym,
        f.site,
        f.referral_source,
        month(f.referral_on),
        f.status.value,
        f.first_typology,
        f.latest_typology,
        str(f.victims),
        ";".join(f.third_party_categories),
        ";".join(f.legal_status),
        str(len(f.sessions)),
        str(len(attended)),
        str(f.count(Attendance.LATE)),
        str(f.count(Attendance.DID_NOT_ATTEND)),
        str(f.count(Attendance.CANCELLED_BY_CLIENT)),
        str(f.count(Attendance.CANCELLED_BY_SERVICE)),
        month(min(attended)) if attended else "",
        month(max(attended)) if attended else "",
        _n(f.intervention_months),
        _n(f.planned_sessions),
        "yes" if f.discharged_on else "no",
        month(f.discharged_on) if f.discharged_on else "",
        f.discharge_reason,
        str(f.client_months),
        str(len(f.risk_events)),
        "" if first_risk is None else str(months_between(f.referral_on, first_risk)),
        str(len(judged)),
        judged[0].highest if judged else NOT_RECORDED,
        judged[-1].highest if judged else NOT_RECORDED,
        f.judgement_direction,
        str(len(f.measures)),
    )


def _event_rows(f: ClientFacts) -> list[tuple[str, ...]]:
    def row(kind: str, on: date, category: str, *rest: str) -> tuple[str, ...]:
        detail, value, change = (*rest, "", "", "")[:3]
        return (
            f.pseudonym,
            kind,
            month(on),
            str(months_between(f.referral_on, on)),
            category,
            detail,
            value,
            change,
        )

    rows = [row("referral", f.referral_on, f.referral_source)]
    rows += [row("typology", on, kind.value) for on, kind in f.typologies]
    rows += [
        row("session", on, att.value, modality, rating) for on, att, modality, rating in f.sessions
    ]
    rows += [row("risk_event", on, kind.value, urgency) for on, kind, urgency in f.risk_events]
    rows += [
        row("risk_judgement", j.on, j.tool, domain, level)
        for j in f.judgements
        for domain, level in j.levels
    ]
    rows += [
        row("measure", m.on, m.measure_id, m.version, _n(m.total), m.change_from_previous)
        for m in f.measures
    ]
    if f.discharged_on is not None:
        rows.append(row("discharge", f.discharged_on, f.discharge_reason))
    return sorted(rows, key=lambda r: (r[2], r[1]))


def _outcome_rows(f: ClientFacts) -> list[tuple[str, ...]]:
    return [
        (
            f.pseudonym,
            o.measure_id,
            month(o.first_on),
            month(o.last_on),
            str(o.administrations),
            _n(o.first_total),
            _n(o.last_total),
            _n(o.difference),
            o.verdict,
            o.clinically_significant,
        )
        for o in f.outcomes
    ]


# -- aggregate tables -------------------------------------------------------------------------


def _engagement(facts: list[ClientFacts]) -> Table:
    groups: dict[str, list[ClientFacts]] = defaultdict(list)
    for f in facts:
        groups[f.site].append(f)
    groups["all sites"] = facts
    rows = []
    for site, members in sorted(groups.items(), key=lambda kv: (kv[0] == "all sites", kv[0])):
        if len(members) < SMALLEST_SHOWN:  # a group this small is not described at all
            rows.append((site, *[SUPPRESSED] * 5, RATE_SUPPRESSED, SUPPRESSED, SUPPRESSED))
            continue
        offered = sum(len(f.sessions) for f in members)
        parts = [
            sum(len(f.attended) for f in members),
            sum(f.count(Attendance.DID_NOT_ATTEND) for f in members),
            sum(
                f.count(Attendance.CANCELLED_BY_CLIENT, Attendance.CANCELLED_BY_SERVICE)
                for f in members
            ),
        ]
        shown_offered = suppressed(offered)
        shown_parts = suppressed_parts(parts) if shown_offered != SUPPRESSED else [SUPPRESSED] * 3
        discharged = [f for f in members if f.discharged_on]
        rows.append(
            (
                site,
                suppressed(len(members)),
                shown_offered,
                *shown_parts,
                rate(parts[1], offered) if shown_parts[1] != SUPPRESSED else RATE_SUPPRESSED,
                suppressed(
                    sum(1 for f in discharged if f.discharge_reason == "completed_intervention")
                ),
                suppressed(
                    sum(1 for f in discharged if f.discharge_reason != "completed_intervention")
                ),
            )
        )
    return Table(
        "summary_engagement_by_site.csv",
        "Engagement by site",
        (
            Column(
                "site",
                "text (coded)",
                "The programme site ('other' for sites with fewer "
                "than 5 clients; 'all sites' for the whole export).",
            ),
            _count_column("clients", "Clients in scope."),
            _count_column("sessions_offered", "Sessions booked in the period."),
            _count_column("sessions_attended", "Sessions attended (on time or late)."),
            _count_column("sessions_did_not_attend", "Sessions not attended (DNA)."),
            _count_column("sessions_cancelled", "Sessions cancelled by the client or the service."),
            Column(
                "did_not_attend_rate",
                "number",
                "Sessions not attended divided by sessions "
                "offered; 'suppressed' when either count is under 5.",
            ),
            _count_column(
                "discharged_completed", "Clients discharged having completed the intervention."
            ),
            _count_column("discharged_other", "Clients discharged for any other reason."),
        ),
        tuple(rows),
        aggregate=True,
    )


VERDICTS: Final = (
    Verdict.RELIABLE_IMPROVEMENT.value,
    Verdict.NO_RELIABLE_CHANGE.value,
    Verdict.RELIABLE_DETERIORATION.value,
)


def _reliable_change(facts: list[ClientFacts]) -> Table:
    by_measure: dict[str, Counter[str]] = defaultdict(Counter)
    for f in facts:
        for o in f.outcomes:
            if o.administrations >= 2:
                key = o.verdict if o.verdict in VERDICTS else "not_assessed_or_not_comparable"
                by_measure[o.measure_id][key] += 1
    rows = []
    for measure, counts in sorted(by_measure.items()):
        parts = [counts[v] for v in (*VERDICTS, "not_assessed_or_not_comparable")]
        total = sum(parts)
        shown_total = suppressed(total)
        shown = suppressed_parts(parts) if shown_total != SUPPRESSED else [SUPPRESSED] * 4
        rows.append((measure, shown_total, *shown))
    return Table(
        "summary_reliable_change_by_measure.csv",
        "Reliable change by measure",
        (
            Column("measure", "text (coded)", "The measure id."),
            _count_column(
                "clients_with_two_or_more",
                "Clients with at least two administrations of the measure in the period.",
            ),
            _count_column(
                "reliable_improvement", "Of those, reliable improvement from first to latest."
            ),
            _count_column("no_reliable_change", "Of those, no reliable change."),
            _count_column("reliable_deterioration", "Of those, reliable deterioration."),
            _count_column(
                "not_assessed_or_not_comparable",
                "Of those, change not judged (no "
                "reliable change rule, different versions or unscorable answers).",
            ),
        ),
        tuple(rows),
        aggregate=True,
    )


def _risk_judgements(facts: list[ClientFacts]) -> Table:
    counts = Counter(f.judgement_direction for f in facts)
    parts = [counts["lower"], counts["same"], counts["higher"]]
    total = sum(parts)
    shown_total = suppressed(total)
    shown = suppressed_parts(parts) if shown_total != SUPPRESSED else [SUPPRESSED] * 3
    return Table(
        "summary_risk_judgement_change.csv",
        "Change in risk judgements",
        (
            _count_column(
                "clients_with_two_or_more",
                "Clients with at least two structured risk-tool assessments in the period.",
            ),
            _count_column(
                "highest_level_lower",
                "Of those, the latest assessment's highest level is lower than the first's.",
            ),
            _count_column("highest_level_same", "Of those, the same."),
            _count_column("highest_level_higher", "Of those, higher."),
        ),
        ((shown_total, *shown),),
        aggregate=True,
    )


def _risk_by_group(facts: list[ClientFacts]) -> Table:
    rows = []
    for grouping in ("site", "typology"):
        groups: dict[str, list[ClientFacts]] = defaultdict(list)
        for f in facts:
            groups[f.site if grouping == "site" else f.latest_typology].append(f)
        # Groups of fewer than five clients are merged, so none is described on its own.
        small = [name for name, members in groups.items() if len(members) < SMALLEST_SHOWN]
        if len(small) > 1:
            for name in small:
                groups[OTHER].extend(groups.pop(name))
        for name, members in sorted(groups.items()):
            months = sum(f.client_months for f in members)
            events = sum(len(f.risk_events) for f in members)
            if len(members) < SMALLEST_SHOWN:
                rows.append((grouping, name, SUPPRESSED, SUPPRESSED, SUPPRESSED, RATE_SUPPRESSED))
                continue
            rows.append(
                (
                    grouping,
                    name,
                    suppressed(len(members)),
                    suppressed(months),
                    suppressed(events),
                    rate(events, months),
                )
            )
    return Table(
        "summary_risk_events_by_site_and_typology.csv",
        "Risk events per client-month, by site and by typology",
        (
            Column("grouped_by", "text (coded)", "site or typology (the latest typology)."),
            Column(
                "group",
                "text (coded)",
                "The site or typology; typologies with fewer than 5 clients are merged into "
                "'other', and a group still under 5 shows no figures.",
            ),
            _count_column("clients", "Clients in the group."),
            _count_column(
                "client_months",
                "Months in the service within the period, added up over the group's clients.",
            ),
            _count_column("risk_events", "Risk events recorded in the period."),
            Column(
                "risk_events_per_client_month",
                "number",
                "Risk events divided by client-months; 'suppressed' when either count is under 5.",
            ),
        ),
        tuple(rows),
        aggregate=True,
    )


def _risk_by_month(facts: list[ClientFacts]) -> Table:
    counts = Counter((month(on), kind.value) for f in facts for on, kind, _u in f.risk_events)
    rows = tuple((m, k, suppressed(n)) for (m, k), n in sorted(counts.items()))
    return Table(
        "summary_risk_events_by_type_and_month.csv",
        "Risk events by type and month",
        (
            Column("month", "month (YYYY-MM)", "The month the events occurred."),
            Column("risk_event_type", "text (coded)", "The kind of risk event."),
            _count_column("risk_events", "Risk events of that kind that month."),
        ),
        rows,
        aggregate=True,
    )


# -- the report ---------------------------------------------------------------------------------


def _numbers(cells: list[str]) -> tuple[int | None, ...]:
    return tuple(int(c) if c.isdigit() else None for c in cells)


def _report(
    project: str,
    purpose: str,
    *,
    start: date,
    end: date,
    tables: dict[str, Table],
    clients: int,
) -> OutcomeReport:
    engagement = tables["summary_engagement_by_site.csv"]
    change = tables["summary_reliable_change_by_measure.csv"]
    judgements = tables["summary_risk_judgement_change.csv"]
    risk = tables["summary_risk_events_by_site_and_typology.csv"]
    sections = (
        OutcomeSection(
            "Engagement",
            "Sessions offered, attended, not attended and cancelled in the period, by site.",
            (
                "Site",
                "Clients",
                "Sessions offered",
                "Attended",
                "Did not attend",
                "Cancelled",
                "DNA rate",
                "Discharged: completed",
                "Discharged: other",
            ),
            engagement.rows,
            BarChart(
                "Sessions by attendance and site",
                tuple(r[0] for r in engagement.rows),
                tuple(
                    (name, _numbers([r[i] for r in engagement.rows]))
                    for name, i in (("Attended", 3), ("Did not attend", 4), ("Cancelled", 5))
                ),
            ),
        ),
        OutcomeSection(
            "Change in risk judgements",
            "The highest level given in the latest structured risk assessment of the period "
            "against the first, for clients assessed at least twice.",
            ("Clients assessed twice or more", "Highest level lower", "The same", "Higher"),
            judgements.rows,
            BarChart(
                "Clients by direction of change in the highest risk level",
                ("lower", "same", "higher"),
                (("Clients", _numbers(list(judgements.rows[0][1:]))),),
            ),
        ),
        OutcomeSection(
            "Reliable improvement and deterioration by measure",
            "First to latest administration in the period, judged by each measure's published "
            "reliable change rule. Nobody is called 'recovered'.",
            (
                "Measure",
                "Clients given it twice or more",
                "Reliable improvement",
                "No reliable change",
                "Reliable deterioration",
                "Not judged",
            ),
            change.rows,
            BarChart(
                "Clients by reliable change category",
                tuple(r[0] for r in change.rows),
                tuple(
                    (name, _numbers([r[i] for r in change.rows]))
                    for name, i in (
                        ("Reliable improvement", 2),
                        ("No reliable change", 3),
                        ("Reliable deterioration", 4),
                    )
                ),
            ),
        ),
        OutcomeSection(
            "Risk events per client-month",
            "Risk events recorded in the period against the months clients spent in the "
            "service, by site and by typology.",
            ("Grouped by", "Group", "Clients", "Client-months", "Risk events", "Per client-month"),
            tuple((r[0], r[1].replace("_", " "), *r[2:]) for r in risk.rows),
        ),
    )
    about = (
        f"Evaluation project: {project}." + (f" Purpose: {purpose}" if purpose else ""),
        f"Period: {long_date(start)} to {long_date(end)}. Clients in scope: {suppressed(clients)}.",
        "Every number under 5 (zero included) is shown as '<5' and left out of the charts; "
        "where one part of a total is hidden, another is hidden with it. No person is named "
        "and no free text is included.",
    )
    return OutcomeReport(f"{project}: {long_date(start)} to {long_date(end)}", about, sections)


def _readme(project: str, purpose: str, start: date, end: date, files: list[str]) -> bytes:
    lines = [
        "Pseudonymised service evaluation export (clinic-app)",
        "",
        f"Project: {project}",
        *([f"Purpose: {purpose}"] if purpose else []),
        f"Period: {long_date(start)} to {long_date(end)}",
        "",
        "Each client is named only by a keyed pseudonym (HMAC-SHA-256 under a secret the",
        "service keeps for this project). Dates are months (YYYY-MM). No name, NHS number,",
        "date of birth, address, reference or free text is included. Aggregate tables",
        f"(summary_*.csv) show any count under {SMALLEST_SHOWN} as '{SUPPRESSED}'.",
        "",
        "Every column of every file is described in data_dictionary.csv.",
        "",
        "Files:",
        *[f"  {name}" for name in files],
        "",
        HANDLING,
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def export_evaluation(
    session: Session,
    by: StaffRef,
    *,
    project: str,
    start: date,
    end: date,
    include_demo: bool = False,
    today: date | None = None,
) -> EvaluationExport:
    """Every file of one evaluation export, built in memory and audited.

    Administrators and psychologists (clinical leads) only. Refuses plainly, changing
    nothing, when the period is back to front or no client is in scope.
    """
    names = pseudonymiser(session, by, project)
    if start > end:
        raise ValidationError("The period's start must be on or before its end.", where="start")
    facts = gather(session, names, start=start, end=end, include_demo=include_demo)
    if not facts:
        raise NothingToEvaluate(
            "No client was in the service between those dates, so there is nothing to "
            "export. Nothing was written."
        )
    client_rows = tuple(_client_row(f) for f in facts)
    event_rows = tuple(r for f in facts for r in _event_rows(f))
    outcome_rows = tuple(r for f in facts for r in _outcome_rows(f))
    tables = [
        Table("clients.csv", "Clients", CLIENT_COLUMNS, client_rows),
        Table("events.csv", "Events", EVENT_COLUMNS, event_rows),
        Table("measure_outcomes.csv", "Measure outcomes", OUTCOME_COLUMNS, outcome_rows),
        _engagement(facts),
        _risk_judgements(facts),
        _reliable_change(facts),
        _risk_by_group(facts),
        _risk_by_month(facts),
    ]
    all_tables = [*tables, dictionary(tables)]
    by_name = {t.file_name: t for t in all_tables}
    info = names.project
    issued = today or date.today()
    frame = DocumentFrame(
        title="Service evaluation outcome report",
        marking=MARKING,
        handling=HANDLING,
        document_id=f"EVAL-{info.id}-{month(start)}-{month(end)}",
        issued_on=issued,
        recipient_agency="Service evaluation team",
        recipient_person="",
        purpose=info.purpose or f"Evaluation project {info.name}",
        audience_title="",
    )
    pdf = render_outcome_report(
        _report(info.name, info.purpose, start=start, end=end, tables=by_name, clients=len(facts)),
        frame,
    )
    names_list = [t.file_name for t in all_tables] + ["outcome_report.pdf", "README.txt"]
    files = [(t.file_name, t.csv_bytes()) for t in all_tables]
    files.append(("outcome_report.pdf", pdf))
    files.append(("README.txt", _readme(info.name, info.purpose, start, end, names_list)))
    audit.record(
        session,
        audit.Action.EXPORT,
        actor_id=by.id,
        entity="evaluation_export",
        entity_id=info.id,
        detail={
            "period": [start.isoformat(), end.isoformat()],
            "clients": len(facts),
            "events": len(event_rows),
            "include_demo": include_demo,
            "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in files},
        },
    )
    return EvaluationExport(tuple(files), info.name, len(facts), len(event_rows))
