"""The PDF renderer: marking on every page, page X of Y, metadata, same bytes, atomic writes."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from clinic_app.models.enums import (
    Attendance,
    Modality,
    RiskEventKind,
    Urgency,
)
from clinic_app.reports import pdf
from clinic_app.reports.content import (
    AttendanceCounts,
    AttendanceEntry,
    AttendanceSection,
    Author,
    DocumentFrame,
    PartnerSummary,
    ReportingPeriod,
    RiskNotice,
    Subject,
)
from clinic_app.services.audiences import Section

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
    pdf.write_atomically(target, b"first")
    pdf.write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.pdf"]


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "summary.pdf"

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        pdf.write_atomically(target, b"data")
    assert list(tmp_path.iterdir()) == []
