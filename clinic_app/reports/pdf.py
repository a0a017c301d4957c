"""PDF documents drawn with reportlab: content dataclasses and a frame in, bytes out.

The partner progress summary (section by section), the urgent risk notification and the
clinical summary, each laid out on the shared page of :mod:`clinic_app.reports.page`,
and :func:`render`, which renders any of them with its frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Flowable,
    KeepTogether,
    Spacer,
    Table,
)

from clinic_app.models.enums import Section
from clinic_app.reports.content import (
    AttendanceCounts,
    ClinicalSummary,
    DocumentFrame,
    PartnerSummary,
    RiskNotice,
    sha256_hex,
)
from clinic_app.reports.page import (
    CONTENT_WIDTH,
    _nhs,
    author_block,
    build_pdf,
    document_head,
    heading,
    markup,
    para,
    subject_block,
    table,
    text,
    warning_box,
)
from clinic_app.wording import SECTION_TITLES, counted, long_date, words

Renderable = PartnerSummary | RiskNotice | ClinicalSummary

__all__ = ["Renderable", "render", "sha256_hex"]


# -- the partner summary ------------------------------------------------------------------------


def _counts_table(counts: AttendanceCounts) -> Table:
    rows = [
        ("Attended", str(counts.attended)),
        ("Attended late", str(counts.late)),
        ("Did not attend", str(counts.did_not_attend)),
        ("Cancelled by the client", str(counts.cancelled_by_client)),
        ("Cancelled by the service", str(counts.cancelled_by_service)),
        ("Sessions offered", str(counts.offered)),
    ]
    return table(rows, (70 * mm, 25 * mm), header=False, label_column=True)


def _partner_sections(summary: PartnerSummary) -> list[Flowable]:
    out: list[Flowable] = []
    for section in summary.sections:
        body = _SECTION_RENDERERS[section](summary)
        # A short section stays in one piece; a long one at least keeps its heading.
        if len(body) <= 3 and not any(
            isinstance(f, Table) and len(f._cellvalues) > 8 for f in body
        ):
            out.append(KeepTogether([heading(SECTION_TITLES[section]), *body]))
        else:
            out.append(heading(SECTION_TITLES[section]))
            out.extend(body)
    return out


def _attendance(summary: PartnerSummary) -> list[Flowable]:
    section = summary.attendance
    if section is None or not section.entries:
        return [para("No sessions were offered in this period.")]
    counts = section.counts
    out: list[Flowable] = [
        para(
            f"{counts.attended_including_late} of {counts.offered} sessions offered were "
            f"attended ({counts.late} of them late)."
        ),
        _counts_table(counts),
        Spacer(1, 6),
    ]
    rows = [("Date", "Type", "Attendance", "Length")]
    rows.extend(
        (
            long_date(e.session_date),
            words(e.modality),
            words(e.attendance),
            f"{e.duration_minutes} minutes",
        )
        for e in section.entries
    )
    w = CONTENT_WIDTH
    out.append(table(rows, (w * 0.28, w * 0.2, w * 0.34, w * 0.18)))
    return out


def _engagement(summary: PartnerSummary) -> list[Flowable]:
    section = summary.engagement
    if section is None or section.rated == 0:
        return [para("Engagement was not rated at any session in this period.")]
    lines = [
        para(
            f"Engagement was rated at {counted(section.rated, 'session')}: good at {section.good}, "
            f"partial at {section.partial}, poor at {section.poor}."
        )
    ]
    if section.latest is not None and section.latest_on is not None:
        lines.append(
            para(
                f"Most recently ({long_date(section.latest_on)}): {words(section.latest).lower()}."
            )
        )
    return lines


def _updates(summary: PartnerSummary) -> list[Flowable]:
    updates = summary.session_updates or ()
    if not updates:
        return [para("No updates for partners were written in this period.")]
    rows = [("Session", "Update")]
    rows.extend((long_date(u.session_date), u.text) for u in updates)
    return [table(rows, (35 * mm, CONTENT_WIDTH - 35 * mm))]


def _phase(summary: PartnerSummary) -> list[Flowable]:
    phase = summary.phase
    if phase is None:
        return [para("There is no intervention plan yet.")]
    length = []
    if phase.planned_sessions:
        length.append(f"{phase.planned_sessions} sessions")
    if phase.planned_weeks:
        length.append(f"{phase.planned_weeks} weeks")
    rows = [
        ("Phase", words(phase.phase)),
        ("Plan", words(phase.plan_status)),
        ("Planned length", " over ".join(length) if length else "Not set"),
    ]
    return [table(rows, (45 * mm, CONTENT_WIDTH - 45 * mm), header=False, label_column=True)]


def _goals(summary: PartnerSummary) -> list[Flowable]:
    goals = summary.goals or ()
    if not goals:
        return [para("No goals have been set yet.")]
    rows = [("Goal", "Progress (0 none to 10 achieved)")]
    for g in goals:
        if g.rating is None or g.rated_on is None:
            progress = "Not yet rated"
        else:
            progress = f"{g.rating} of 10 on {long_date(g.rated_on)}"
            if g.rating_at_start is not None:
                progress += f" (was {g.rating_at_start} of 10 before the period)"
        rows.append((f"{g.number}. {g.partner_wording}", progress))
    return [table(rows, (CONTENT_WIDTH * 0.62, CONTENT_WIDTH * 0.38))]


def _risk(summary: PartnerSummary) -> list[Flowable]:
    risk = summary.risk
    out: list[Flowable] = []
    if risk is not None and risk.assessment is not None:
        a = risk.assessment
        out.append(
            markup(
                f"<b>Latest risk assessment</b> ({text(a.tool_name)}, "
                f"{long_date(a.assessed_on)}): {text(a.summary)}"
            )
        )
    if risk is None or not risk.statements:
        out.append(para("No risk-relevant events to report in this period."))
        return out
    rows = [("Date", "Event", "Urgency", "Statement", "Shared")]
    for s in risk.statements:
        shared = (
            "Not yet decided"
            if s.decision is None
            else words(s.decision) + (f" {long_date(s.decided_on)}" if s.decided_on else "")
        )
        rows.append(
            (long_date(s.occurred_on), words(s.kind), words(s.urgency), s.statement, shared)
        )
    w = CONTENT_WIDTH
    out.append(table(rows, (w * 0.16, w * 0.2, w * 0.11, w * 0.35, w * 0.18)))
    return out


def _referrals(summary: PartnerSummary) -> list[Flowable]:
    """The bare fact of each referral: the service's name as the author saw and checked it.

    The kind of service is never printed in a partner document: words such as "Personality
    disorder service" would tell the partner a diagnosis, and a renderer's words escape the
    lexicon check and the author's edits. (Clinical documents may name the kind.)
    """
    facts = summary.referrals or ()
    if not facts:
        return [para("No referrals to report.")]
    rows = [("Service", "Status", "Sent")]
    rows.extend(
        (
            f.service_name,
            words(f.status),
            long_date(f.sent_on) if f.sent_on else "-",
        )
        for f in facts
    )
    w = CONTENT_WIDTH
    return [table(rows, (w * 0.55, w * 0.25, w * 0.2))]


def _measures(summary: PartnerSummary) -> list[Flowable]:
    found = summary.measure_directions or ()
    if not found:
        return [para("No questionnaire was repeated in this period.")]
    rows = [("Questionnaire", "Between", "Direction")]
    rows.extend(
        (m.measure, f"{long_date(m.first_on)} and {long_date(m.last_on)}", m.direction)
        for m in found
    )
    w = CONTENT_WIDTH
    return [table(rows, (w * 0.35, w * 0.4, w * 0.25))]


def _next_review(summary: PartnerSummary) -> list[Flowable]:
    if summary.next_review is None:
        return [para("No review date is set.")]
    when = long_date(summary.next_review)
    if summary.next_review < summary.prepared_on:
        # Said as it is: the date has passed and no later one has been set.
        return [para(f"The plan review was due on {when}; no later review date is set.")]
    return [para(f"The plan is next reviewed on {when}.")]


_SECTION_RENDERERS: Final[dict[Section, Callable[[PartnerSummary], list[Flowable]]]] = {
    Section.ATTENDANCE: _attendance,
    Section.ENGAGEMENT: _engagement,
    Section.SESSION_UPDATES: _updates,
    Section.PHASE: _phase,
    Section.GOALS: _goals,
    Section.RISK: _risk,
    Section.REFERRALS: _referrals,
    Section.MEASURE_DIRECTION: _measures,
    Section.NEXT_REVIEW: _next_review,
}


def render_partner_summary(summary: PartnerSummary, frame: DocumentFrame) -> bytes:
    """The partner progress summary as PDF bytes."""
    story: list[Flowable] = document_head(
        frame, f"For {summary.audience_title}. Reporting period {summary.period.words}."
    )
    story.extend(subject_block(summary.subject))
    story.extend(_partner_sections(summary))
    story.extend(author_block(summary.author.name, summary.author.role, summary.author.contact))
    return build_pdf(frame, story)


# -- the urgent risk notification ---------------------------------------------------------------


def render_risk_notice(notice: RiskNotice, frame: DocumentFrame) -> bytes:
    """The one-page urgent risk notification as PDF bytes."""
    story: list[Flowable] = document_head(
        frame, f"For {notice.audience_title}: a risk-relevant event to act on."
    )
    story.append(
        warning_box(
            f"{text(words(notice.urgency).upper())}: please read this now, and contact the "
            "author if you need more."
        )
    )
    story.extend(subject_block(notice.subject))
    story.append(heading("The event"))
    rows = [
        ("Date", long_date(notice.occurred_on)),
        ("What", words(notice.kind)),
        ("Urgency", words(notice.urgency)),
        ("Statement", notice.statement),
    ]
    story.append(table(rows, (35 * mm, CONTENT_WIDTH - 35 * mm), header=False, label_column=True))
    story.extend(author_block(notice.author.name, notice.author.role, notice.author.contact))
    return build_pdf(frame, story)


# -- the clinical summary -----------------------------------------------------------------------


def render_clinical_summary(summary: ClinicalSummary, frame: DocumentFrame) -> bytes:
    """The clinical summary (full content, clinical marking) as PDF bytes."""
    period = f"Period {summary.period.words}." if summary.period else "Whole record."
    story: list[Flowable] = document_head(frame, f"For the clinical record. {period}")
    story.append(warning_box(text(frame.marking)))
    ident = summary.identity
    rows = [
        ("Name", ident.name),
        ("Date of birth", long_date(ident.date_of_birth)),
        ("NHS number", _nhs(ident.nhs_number) or "Not recorded"),
        ("Health team reference", ident.local_ref),
        ("Police or partner reference", ident.police_ref or "Not recorded"),
        ("Site", ident.site),
        ("Typology", words(summary.typology) if summary.typology else "Not recorded"),
    ]
    w = CONTENT_WIDTH
    story.append(heading("Client"))
    story.append(table(rows, (55 * mm, w - 55 * mm), header=False, label_column=True))
    story.append(heading("Plan"))
    if summary.phase is None or summary.plan_status is None:
        story.append(para("There is no intervention plan yet."))
    else:
        story.append(para(f"Phase: {words(summary.phase)}. Plan: {words(summary.plan_status)}."))
        story.append(markup("<b>Formulation</b>"))
        story.append(para(summary.formulation or "Not written."))
        if summary.goals:
            goal_rows = [("Goal", "Detail", "Partner wording", "Progress")]
            goal_rows.extend(
                (
                    str(g.number),
                    g.private_detail,
                    g.partner_wording,
                    "-"
                    if g.rating is None or g.rated_on is None
                    else f"{g.rating}/10 ({long_date(g.rated_on)})",
                )
                for g in summary.goals
            )
            story.append(table(goal_rows, (w * 0.08, w * 0.4, w * 0.32, w * 0.2)))
        if summary.interventions:
            story.append(Spacer(1, 4))
            item_rows = [("Intervention", "Detail")]
            item_rows.extend((words(kind), detail) for kind, detail in summary.interventions)
            story.append(table(item_rows, (w * 0.3, w * 0.7)))
    story.append(heading("Sessions"))
    story.append(_counts_table(summary.attendance))
    if summary.sessions:
        story.append(Spacer(1, 6))
        session_rows = [("Date", "Attendance", "Engagement", "Note (start)")]
        session_rows.extend(
            (
                long_date(s.session_date),
                words(s.attendance),
                words(s.engagement),
                (s.excerpt or "-") + ("" if s.signed else " [unsigned draft]"),
            )
            for s in summary.sessions
        )
        story.append(table(session_rows, (w * 0.17, w * 0.17, w * 0.14, w * 0.52)))
    story.append(heading("Risk events"))
    if not summary.risk_events:
        story.append(para("No risk events recorded."))
    else:
        risk_rows = [("Date", "Event", "Detail", "Shared?")]
        risk_rows.extend(
            (
                long_date(e.occurred_on),
                f"{words(e.kind)} ({words(e.urgency).lower()})",
                e.detail,
                ("Not decided" if e.decision is None else words(e.decision))
                + (f": {e.decision_reason}" if e.decision_reason else ""),
            )
            for e in summary.risk_events
        )
        story.append(table(risk_rows, (w * 0.15, w * 0.2, w * 0.4, w * 0.25)))
    story.append(heading("Questionnaires"))
    if not summary.measures:
        story.append(para("No questionnaires recorded."))
    else:
        measure_rows = [("Questionnaire", "Date", "Score", "Change")]
        measure_rows.extend(
            (m.measure, long_date(m.administered_on), m.score, m.change or "-")
            for m in summary.measures
        )
        story.append(table(measure_rows, (w * 0.25, w * 0.2, w * 0.25, w * 0.3)))
    story.append(heading("Referrals"))
    if not summary.referrals:
        story.append(para("No referrals recorded."))
    else:
        ref_rows = [("Service", "Status", "Reason")]
        ref_rows.extend(
            (
                f"{r.service_name} ({words(r.urgency).lower()}, {long_date(r.created_on)})",
                words(r.status),
                r.reason,
            )
            for r in summary.referrals
        )
        story.append(table(ref_rows, (w * 0.3, w * 0.17, w * 0.53)))
    story.append(heading("Next review"))
    story.append(
        para(long_date(summary.next_review) if summary.next_review else "No review date is set.")
    )
    story.extend(author_block(summary.author.name, summary.author.role, summary.author.contact))
    return build_pdf(frame, story)


def render(content: Renderable, frame: DocumentFrame) -> bytes:
    """Render any document content with its frame."""
    if isinstance(content, PartnerSummary):
        return render_partner_summary(content, frame)
    if isinstance(content, RiskNotice):
        return render_risk_notice(content, frame)
    return render_clinical_summary(content, frame)
