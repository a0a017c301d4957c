"""The PDF renderer: marking on every page, page X of Y, metadata, same bytes, atomic writes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from dataclasses import replace
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.platypus import Table  # type: ignore[import-untyped]

from clinic_app.config import DOCUMENT_HANDLING, DOCUMENT_MARKING
from clinic_app.errors import ClinicError
from clinic_app.models.enums import (
    Attendance,
    Engagement,
    InterventionKind,
    Modality,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    Section,
    ServiceKind,
    ShareDecisionKind,
    Urgency,
)
from clinic_app.reports import page as pdf_page
from clinic_app.reports import pdf
from clinic_app.reports.content import (
    CLINICAL_HANDLING,
    CLINICAL_MARKING,
    AttendanceCounts,
    AttendanceEntry,
    AttendanceSection,
    Author,
    ClinicalGoal,
    ClinicalIdentity,
    ClinicalMeasure,
    ClinicalReferral,
    ClinicalRiskEvent,
    ClinicalSession,
    ClinicalSummary,
    DocumentFrame,
    GoalLine,
    MeasureDirection,
    PartnerSummary,
    PhaseSection,
    ReferralFact,
    ReportingPeriod,
    RiskAssessmentSummary,
    RiskNotice,
    RiskSection,
    RiskStatement,
    SessionUpdate,
    Subject,
)
from clinic_app.services.notes import MAX_SECTION_LENGTH
from clinic_app.services.plans import MAX_TEXT as PLAN_TEXT_MAX
from clinic_app.services.referrals import MAX_REASON
from clinic_app.services.sharing.clinical_summary import NOTE_EXCERPT_CHARS
from clinic_app.storage import files
from clinic_app.wording import SERVICE_KIND_WORDS, words

FRAME = DocumentFrame(
    title="Progress summary",
    marking="OFFICIAL-SENSITIVE",
    handling="Do not forward or disclose to the subject without consulting the author.",
    document_id="6f1c0d1e-0000-4000-8000-000000000001",
    issued_on=date(2026, 3, 31),
    recipient_agency="Metropolitan Police",
    recipient_person="DS Rivers",
    purpose="Quarterly MASIP review",
    audience_title="Police",
    gateway="Crime and Disorder Act 1998 s115",
)
SUBJECT = Subject(given_name="Robin", family_name="Sample", police_ref="PR/777")
AUTHOR = Author("Dr Ann Jones", "Clinical psychologist", "0207 000 0000")


def summary(sessions: int) -> PartnerSummary:
    start = date(2025, 1, 6)
    entries = tuple(
        AttendanceEntry(start + timedelta(days=7 * i), Modality.IN_PERSON, Attendance.ATTENDED, 50)
        for i in range(sessions)
    )
    return PartnerSummary(
        audience="police",
        audience_title="Police",
        period=ReportingPeriod(start, date(2026, 3, 31)),
        prepared_on=date(2026, 3, 31),
        subject=SUBJECT,
        author=AUTHOR,
        sections=(Section.ATTENDANCE, Section.NEXT_REVIEW),
        attendance=AttendanceSection(entries, AttendanceCounts(attended=sessions)),
        next_review=date(2026, 5, 1),
    )


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def test_every_page_has_marking_top_and_bottom_and_page_x_of_y():
    data = pdf.render_partner_summary(summary(120), FRAME)
    texts = pages_text(data)
    assert len(texts) >= 3  # 120 table rows cannot fit on fewer pages
    for number, text in enumerate(texts, start=1):
        assert text.count("OFFICIAL-SENSITIVE") == 2, number  # header and footer
        assert f"Page {number} of {len(texts)}" in text
        assert FRAME.document_id in text
        assert "To: DS Rivers, Metropolitan Police" in text
        assert "Purpose: Quarterly MASIP review" in text
        assert "Issued 31 March 2026" in text
        assert "Do not forward or disclose to the subject" in text


def test_the_same_content_gives_the_same_bytes():
    first = pdf.render_partner_summary(summary(10), FRAME)
    second = pdf.render_partner_summary(summary(10), FRAME)
    assert first == second
    other = pdf.render_partner_summary(summary(10), replace(FRAME, issued_on=date(2026, 4, 1)))
    assert other != first  # the date is part of the document


def test_metadata_names_no_one():
    data = pdf.render_partner_summary(summary(3), FRAME)
    meta = PdfReader(BytesIO(data)).metadata
    assert meta is not None
    values = " ".join(str(v) for v in meta.values())
    assert meta.title == "Progress summary"
    assert meta.subject == "Progress summary for Police"
    assert "OFFICIAL-SENSITIVE" in (meta.get("/Keywords") or "")
    for name in ("Robin", "Sample", "Rivers", "Ann Jones", "PR/777"):
        assert name not in values
    assert meta.get("/CreationDate", "").startswith("D:20260331")


def test_a_configured_marking_and_long_handling_text_are_printed():
    handling = "Handle under the local information sharing agreement. " * 5  # about 280 chars
    frame = replace(FRAME, marking="OFFICIAL", handling=handling.strip())
    text = pages_text(pdf.render_partner_summary(summary(3), frame))[0]
    assert text.count("OFFICIAL") == 2 and "OFFICIAL-SENSITIVE" not in text
    # The whole handling text is there (wrapped over lines, not cut off).
    assert " ".join(text.split()).count("information sharing agreement") == 5


def test_user_text_is_escaped_and_unprintable_characters_are_not_dropped():
    notice = RiskNotice(
        audience="police",
        audience_title="Police",
        prepared_on=date(2026, 3, 31),
        subject=SUBJECT,
        author=AUTHOR,
        occurred_on=date(2026, 3, 30),
        kind=RiskEventKind.ORDER_BREACH,
        urgency=Urgency.URGENT,
        statement="Breached <b>order</b> & bail; said \u4f60\u597d.",
    )
    frame = replace(FRAME, title="Urgent risk notification")
    data = pdf.render_risk_notice(notice, frame)
    text = pages_text(data)
    assert len(text) == 1  # one page
    assert "Breached <b>order</b> & bail; said ??." in " ".join(text[0].split())
    assert "URGENT" in text[0]


def test_write_atomically_replaces_whole_files(tmp_path: Path):
    target = tmp_path / "summary.pdf"
    files.write_atomically(target, b"first")
    files.write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.pdf"]


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "summary.pdf"

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        files.write_atomically(target, b"data")
    assert list(tmp_path.iterdir()) == []


# -- partner documents never print the kind of a referred service --------------------------------


def test_a_partner_summary_names_referred_services_but_never_their_kind():
    # One referral to every kind of service, named as an administrator might name them,
    # without the kind in the name: the partner sees the name (which the lexicon check and
    # the author's edits cover) and nothing the renderer adds about what the service does.
    names = {kind: f"Riverside Team {n}" for n, kind in enumerate(ServiceKind, start=1)}
    facts = tuple(
        ReferralFact(names[kind], kind, ReferralStatus.SENT, date(2026, 1, 5)) for kind in names
    )
    content = replace(summary(1), sections=(Section.REFERRALS,), referrals=facts)
    text = " ".join(" ".join(pages_text(pdf.render_partner_summary(content, FRAME))).split())
    for kind, name in names.items():
        assert f"{name} Sent 5 January 2026" in text, kind
    # The kinds in words, as the Summaries screen and the referral letter say them; "Other"
    # alone is ordinary English (the heading is "Referrals to other services").
    kind_words = {words(k) for k in ServiceKind} | set(SERVICE_KIND_WORDS.values())
    kind_words = (kind_words | {"Other service"}) - {"Other"}
    for kind_word in kind_words:
        assert not re.search(rf"\b{re.escape(kind_word)}\b", text, re.IGNORECASE), kind_word
    for revealing in ("personality disorder", "psychiatr", "substance misuse", "forensic"):
        assert revealing not in text.casefold()
    section = text[text.index("Referrals to other services") : text.index("Prepared by")]
    assert "(" not in section  # nothing added after the names


# -- every text field at its longest ------------------------------------------------------------

# The longest text each field can hold, from the services' validation (the partner-facing
# fields may also be edited by the author, to at most 5,000 characters: less than these).
MARKING_MAX = DOCUMENT_MARKING.max_length  # 60
HANDLING_MAX = DOCUMENT_HANDLING.max_length  # 300
RECIPIENT_MAX = 200  # disclosures.sharing_problems: agency and person
PURPOSE_MAX = 2000  # disclosures.sharing_problems
AUDIENCE_TITLE_MAX = 60  # audiences: the audience's title
NAME_MAX = 200  # clients.check_details: given and family name
LOCAL_REF_MAX = 40  # clients.check_details
POLICE_REF_MAX = 60  # clients.check_details
ADDRESS_MAX = 2000  # clients.check_details
SITE_MAX = 120  # clients.check_details
STAFF_NAME_MAX = 200  # staff: full name and job title
STAFF_CONTACT_MAX = 300  # staff: contact details
STATEMENT_MAX = 5000  # risk.record_risk_event: the shareable statement
DETAIL_MAX = 50_000  # risk.record_risk_event: the description
SHARE_REASON_MAX = 5000  # risk.record_share_decision
TOOL_NAME_MAX = 120  # clients.record_risk_assessment
ASSESSMENT_SUMMARY_MAX = 5000  # clients.record_risk_assessment: the shareable summary
PARTNER_WORDING_MAX = 5000  # plans: a goal's partner wording
SERVICE_NAME_MAX = 200  # service_directory.add_service
MEASURE_TITLE_MAX = 30  # measure-definition schema: short_title


def filler(tag: str, length: int) -> str:
    """Text of exactly ``length`` characters made of numbered words ("ab00001 ab00002 ..."),
    each findable in the PDF's text however the lines and pages break."""
    count = length // 8 + 1  # each word and its space are 8 characters
    value = " ".join(f"{tag}{i:05d}" for i in range(1, count + 1))[:length]
    value = value if not value.endswith(" ") else value[:-1] + "z"
    assert len(value) == length
    return value


def missing_words(expected: str, found: str) -> set[str]:
    """The words of ``expected`` that are nowhere in ``found`` (a PDF's text)."""
    return set(re.findall(r"\w+", expected)) - set(re.findall(r"\w+", found))


def longest_frame(title: str) -> DocumentFrame:
    return DocumentFrame(
        title=title,
        marking="OFFICIAL-SENSITIVE " + "X" * (MARKING_MAX - 19),
        handling=filler("hd", HANDLING_MAX),
        document_id="6f1c0d1e-0000-4000-8000-000000000002",
        issued_on=date(2026, 3, 31),
        recipient_agency=filler("ra", RECIPIENT_MAX),
        recipient_person=filler("rp", RECIPIENT_MAX),
        purpose=filler("pu", PURPOSE_MAX),
        audience_title=filler("at", AUDIENCE_TITLE_MAX),
        gateway="Crime and Disorder Act 1998 s115",
    )


LONGEST_SUBJECT = Subject(
    given_name=filler("gn", NAME_MAX),
    family_name=filler("fn", NAME_MAX),
    date_of_birth=date(1985, 4, 12),
    nhs_number="9434765919",
    local_ref=filler("lr", LOCAL_REF_MAX),
    police_ref=filler("pr", POLICE_REF_MAX),
    address=filler("ad", ADDRESS_MAX),
)
LONGEST_AUTHOR = Author(
    filler("an", STAFF_NAME_MAX), filler("ar", STAFF_NAME_MAX), filler("ac", STAFF_CONTACT_MAX)
)


SUBJECT_TEXT = (
    LONGEST_SUBJECT.given_name,
    LONGEST_SUBJECT.family_name,
    LONGEST_SUBJECT.local_ref,
    LONGEST_SUBJECT.police_ref,
    LONGEST_SUBJECT.address,
    "943 476 5919",  # the NHS number, as people read it
)


def assert_all_there(data: bytes, frame: DocumentFrame, *fields: str | None) -> None:
    """Every page marked top and bottom and numbered; every field's every word present."""
    texts = pages_text(data)
    for number, page in enumerate(texts, start=1):
        # Top and bottom (and in the warning box on the first page of a clinical summary).
        assert page.count(frame.marking) == 2 + (number == 1 and frame.marking in CLINICAL_MARKING)
        assert f"Page {number} of {len(texts)}" in page
    found = " ".join(texts)
    for field in fields:
        assert field and not missing_words(field, found), (field or "")[:20]


def test_a_partner_summary_with_every_field_at_its_longest_is_drawn_in_full():
    frame = longest_frame("Progress summary")
    updates = (SessionUpdate(date(2026, 1, 5), filler("su", MAX_SECTION_LENGTH)),)
    goals = (GoalLine(1, filler("gw", PARTNER_WORDING_MAX), 6, date(2026, 3, 1), 3),)
    risk_section = RiskSection(
        statements=(
            RiskStatement(
                date(2026, 2, 1),
                RiskEventKind.ORDER_BREACH,
                Urgency.URGENT,
                filler("st", STATEMENT_MAX),
                ShareDecisionKind.SHARED,
                date(2026, 2, 2),
            ),
        ),
        assessment=RiskAssessmentSummary(
            filler("tn", TOOL_NAME_MAX), date(2026, 1, 20), filler("as", ASSESSMENT_SUMMARY_MAX)
        ),
    )
    referral = ReferralFact(
        filler("sn", SERVICE_NAME_MAX), ServiceKind.OTHER, ReferralStatus.SENT, date(2026, 1, 9)
    )
    measure = MeasureDirection(
        filler("ms", MEASURE_TITLE_MAX), date(2026, 1, 5), date(2026, 3, 1), "improving"
    )
    content = replace(
        summary(3),
        audience_title=frame.audience_title,
        subject=LONGEST_SUBJECT,
        author=LONGEST_AUTHOR,
        sections=tuple(Section),
        session_updates=updates,
        phase=PhaseSection(Phase.INTERVENTION, PlanStatus.ACTIVE, 12, 24),
        goals=goals,
        risk=risk_section,
        referrals=(referral,),
        measure_directions=(measure,),
    )
    data = pdf.render_partner_summary(content, frame)
    assert_all_there(
        data,
        frame,
        frame.handling,
        frame.recipient_agency,
        frame.recipient_person,
        frame.purpose,
        frame.audience_title,
        *SUBJECT_TEXT,
        *vars(LONGEST_AUTHOR).values(),
        updates[0].text,
        goals[0].partner_wording,
        risk_section.statements[0].statement,
        risk_section.assessment.tool_name,
        risk_section.assessment.summary,
        referral.service_name,
        measure.measure,
    )


def test_a_risk_notice_with_every_field_at_its_longest_is_drawn_in_full():
    # 2,500 characters was enough to break the one-row-per-field table before.
    frame = longest_frame("Urgent risk notification")
    notice = RiskNotice(
        audience="police",
        audience_title=frame.audience_title,
        prepared_on=date(2026, 3, 31),
        subject=LONGEST_SUBJECT,
        author=LONGEST_AUTHOR,
        occurred_on=date(2026, 3, 30),
        kind=RiskEventKind.CONTACT_WITH_VICTIM,
        urgency=Urgency.URGENT,
        statement=filler("st", STATEMENT_MAX),
    )
    data = pdf.render_risk_notice(notice, frame)
    assert len(pages_text(data)) > 1  # the statement runs on over the page
    assert_all_there(
        data,
        frame,
        notice.statement,
        frame.purpose,
        *SUBJECT_TEXT,
        *vars(LONGEST_AUTHOR).values(),
    )


def test_a_clinical_summary_with_every_field_at_its_longest_is_drawn_in_full():
    frame = replace(
        longest_frame("Clinical summary"),
        marking=CLINICAL_MARKING,
        handling=CLINICAL_HANDLING,
        audience_title="",
        gateway="",
    )
    excerpt = filler("ex", NOTE_EXCERPT_CHARS) + " ... (with 2 addendum/addenda)"
    content = ClinicalSummary(
        prepared_on=date(2026, 3, 31),
        period=None,
        identity=ClinicalIdentity(
            name=f"{filler('gn', NAME_MAX)} {filler('fn', NAME_MAX)}",
            date_of_birth=date(1985, 4, 12),
            nhs_number="9434765919",
            local_ref=filler("lr", LOCAL_REF_MAX),
            police_ref=filler("pr", POLICE_REF_MAX),
            site=filler("si", SITE_MAX),
        ),
        author=LONGEST_AUTHOR,
        typology=None,
        phase=Phase.INTERVENTION,
        plan_status=PlanStatus.ACTIVE,
        formulation=filler("fo", PLAN_TEXT_MAX),
        goals=(
            ClinicalGoal(
                1, filler("gd", PLAN_TEXT_MAX), filler("gw", PARTNER_WORDING_MAX), 5, None
            ),
        ),
        interventions=((InterventionKind.OTHER, filler("iv", PLAN_TEXT_MAX)),),
        attendance=AttendanceCounts(attended=1),
        sessions=(
            ClinicalSession(
                date(2026, 1, 5),
                Attendance.ATTENDED,
                Modality.IN_PERSON,
                Engagement.GOOD,
                False,
                excerpt,
            ),
        ),
        risk_events=(
            ClinicalRiskEvent(
                date(2026, 2, 1),
                RiskEventKind.ESCALATION,
                Urgency.SOON,
                filler("de", DETAIL_MAX),
                filler("st", STATEMENT_MAX),
                ShareDecisionKind.NOT_SHARED,
                filler("dr", SHARE_REASON_MAX),
            ),
        ),
        measures=(
            ClinicalMeasure(
                filler("ms", MEASURE_TITLE_MAX),
                date(2026, 2, 1),
                "14 (range 0 to 27), moderate",
                "Reliable improvement (down 6 from 20)",
            ),
        ),
        referrals=(
            ClinicalReferral(
                filler("sn", SERVICE_NAME_MAX),
                ReferralStatus.SENT,
                ReferralUrgency.URGENT,
                date(2026, 1, 9),
                filler("re", MAX_REASON),
            ),
        ),
        next_review=date(2026, 5, 1),
    )
    data = pdf.render_clinical_summary(content, frame)
    assert_all_there(
        data,
        frame,
        content.identity.name,
        content.identity.local_ref,
        content.identity.police_ref,
        content.identity.site,
        *vars(LONGEST_AUTHOR).values(),
        content.formulation,
        content.goals[0].private_detail,
        content.goals[0].partner_wording,
        content.interventions[0][1],
        excerpt,
        content.risk_events[0].detail,
        content.risk_events[0].decision_reason,
        content.measures[0].measure,
        content.referrals[0].service_name,
        content.referrals[0].reason,
    )


# -- names in any script, and the same bytes every time -------------------------------------------

NAMES = ("Łukasz Wójcik", "Nguyễn Thị Hà", "Олег Петров")


def unicode_notice(name: str) -> RiskNotice:
    given, _, family = name.rpartition(" ")
    return RiskNotice(
        audience="police",
        audience_title="Police",
        prepared_on=date(2026, 3, 31),
        subject=Subject(given_name=given, family_name=family, police_ref="PR/777"),
        author=Author(name, "Psychologist", "0207 000 0000"),
        occurred_on=date(2026, 3, 30),
        kind=RiskEventKind.ORDER_BREACH,
        urgency=Urgency.URGENT,
        statement=f"{name} breached the order.",
    )


@pytest.mark.parametrize("name", NAMES)
def test_names_in_any_european_or_cyrillic_or_vietnamese_letters_print_as_written(name: str):
    # The subject block is how a partner knows whom the document is about: a '?' for a
    # letter could be taken for another person. The name is drawn in a table cell, a
    # paragraph, the author block and the footer (as the recipient).
    frame = replace(FRAME, title="Urgent risk notification", recipient_person=name)
    (page,) = pages_text(pdf.render_risk_notice(unicode_notice(name), frame))
    text = " ".join(page.split())
    assert f"Name {name}" in text  # the subject block
    assert f"{name} breached the order." in text
    assert f"Prepared by {name}, Psychologist" in text
    assert f"To: {name}, Metropolitan Police" in text  # the footer, on the canvas
    assert "?" not in text


def test_a_name_typed_with_combining_accents_prints_as_the_same_letters():
    composed = "Nguyễn Thị Hà"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed  # e.g. "e" + circumflex + tilde: five code points, not one
    data = pdf.render_risk_notice(unicode_notice(decomposed), replace(FRAME, title="Notice"))
    assert f"Name {composed}" in " ".join(pages_text(data)[0].split())
    assert data == pdf.render_risk_notice(unicode_notice(composed), replace(FRAME, title="Notice"))


def test_characters_the_font_cannot_draw_show_as_question_marks_and_invisible_ones_go():
    # A tab is a space, an invisible direction mark the font lacks (left-to-right isolate,
    # as copied from a web page) goes, and a character no bundled font has (a Chinese
    # character) is a '?' so the reader sees something is missing.
    assert pdf_page.clean("A\tB\u2066C\u4f60\r\nD") == "A BC?\nD"
    for name in NAMES:
        assert pdf_page.clean(f"{name}\u00a0{name}") == f"{name}\u00a0{name}"  # all drawable


def summary_with_every_font() -> PartnerSummary:
    """A short summary drawing plain, bold and oblique text in three scripts."""
    return replace(
        summary(5),
        subject=Subject(given_name="Łukasz Олег", family_name="Nguyễn Thị Hà", police_ref="PR/7"),
        sections=(Section.ATTENDANCE, Section.RISK, Section.NEXT_REVIEW),
        risk=RiskSection(
            statements=(
                RiskStatement(
                    date(2026, 2, 1),
                    RiskEventKind.ORDER_BREACH,
                    Urgency.URGENT,
                    "Contacted the victim by text (Олег's phone).",
                    None,
                    None,
                ),
            ),
            assessment=RiskAssessmentSummary("SRP", date(2026, 1, 20), "Risk is managed."),
        ),
    )


RENDER_AND_HASH = """
import hashlib
from tests.unit.reports.test_pdf import FRAME, summary_with_every_font
from clinic_app.reports import pdf
print(hashlib.sha256(pdf.render_partner_summary(summary_with_every_font(), FRAME)).hexdigest())
"""


def test_the_same_content_gives_the_same_bytes_in_another_process():
    # The embedded font subsets are named by the order characters are first drawn
    # (AAAAAA+DejaVuSans ...), never at random, and nothing depends on the process's hash
    # seed: a past document drawn again in a later session has the same SHA-256.
    data = pdf.render_partner_summary(summary_with_every_font(), FRAME)
    assert b"/BaseFont /AAAAAA+DejaVuSans-Bold" in data  # embedded, not a standard font
    assert b"Helvetica" not in data
    digests = set()
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", RENDER_AND_HASH],
            cwd=Path(__file__).resolve().parents[3],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        digests.add(done.stdout.strip())
    assert digests == {pdf.sha256_hex(data)}


# -- what cannot be drawn is a plain message, not a crash ----------------------------------------


def test_a_layout_failure_is_a_plain_message_that_quotes_nothing_from_the_document():
    # A row that may not split (as every table row was before) and is taller than a page.
    unsplittable = Table(
        [[pdf_page.para("CANARY " * 3000, pdf_page.CELL)]], colWidths=[pdf_page.CONTENT_WIDTH]
    )
    with pytest.raises(ClinicError) as raised:
        pdf_page.build_pdf(FRAME, [unsplittable])
    assert raised.value.message == pdf_page.LAYOUT_FAILED
    assert "CANARY" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_missing_fonts_are_a_plain_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(pdf_page, "fonts_dir", lambda: tmp_path)  # an empty folder
    pdf_page._coverage.cache_clear()
    pdf_page._drawable.cache_clear()
    try:
        with pytest.raises(ClinicError) as raised:
            pdf.render_partner_summary(summary(1), FRAME)
    finally:
        monkeypatch.undo()
        pdf_page._coverage.cache_clear()
        pdf_page._drawable.cache_clear()
    assert raised.value.message == pdf_page.FONTS_MISSING
    assert pdf.render_partner_summary(summary(1), FRAME)  # the real fonts load again


def test_a_review_date_already_passed_is_not_shown_as_to_come():
    from clinic_app.reports.pdf import _next_review

    one = summary(1)
    due = replace(one, next_review=one.prepared_on - timedelta(days=30))
    coming = replace(one, next_review=one.prepared_on + timedelta(days=30))
    assert "was due on" in _next_review(due)[0].getPlainText()
    assert "no later review date is set" in _next_review(due)[0].getPlainText()
    assert "is next reviewed on" in _next_review(coming)[0].getPlainText()


def test_a_new_version_of_the_app_draws_past_documents_byte_for_byte():
    # Nothing in the file depends on the app's version: an update that draws documents
    # as before still regenerates past disclosures exactly.
    from pypdf import PdfReader

    import clinic_app

    data = pdf.render_partner_summary(summary(3), FRAME)
    assert PdfReader(BytesIO(data)).metadata["/Creator"] == "clinic-app"
    assert clinic_app.__version__.encode() not in data
