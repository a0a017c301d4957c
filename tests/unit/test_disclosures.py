"""The disclosure register: append-only entries, hashes, regeneration, registers and CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.models import AuditEvent, Disclosure
from clinic_app.models.enums import DisclosureKind, Gateway
from clinic_app.reports import documents
from clinic_app.services import disclosures, settings, summaries
from clinic_app.services.disclosures import CaldicottConfirmation
from tests.unit.test_summaries import DECISION, build_record, prepare


@pytest.fixture
def exported(db, psychologist, admin, tmp_path):  # type: ignore[no-untyped-def]
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    out = tmp_path / "police.pdf"
    with db.transaction() as s:
        result = documents.export_partner_summary(s, psychologist, draft, DECISION, out)
    return record, result, out


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_export_records_what_to_whom_why_and_the_hash(db, psychologist, exported):
    record, result, out = exported
    row = result.disclosure
    assert row.kind is DisclosureKind.PARTNER_SUMMARY
    assert (row.audience, row.recipient_agency, row.recipient_person) == (
        "police",
        "Metropolitan Police",
        "DS Rivers",
    )
    assert row.purpose == "Quarterly MASIP review"
    assert row.gateway is Gateway.CDA_S115
    assert row.decided_by == psychologist.id and row.client_informed
    assert row.document_sha256 == disclosures.sha256_hex(out.read_bytes())
    # The document carries the ID the register holds.
    assert row.document_id in PdfReader(out).pages[0].extract_text()
    with db.session() as s:
        (entry,) = disclosures.register_for_client(s, psychologist, record.client_id)
        assert entry == row
        assert disclosures.document_matches(s, psychologist, row.id, out.read_bytes())
        assert not disclosures.document_matches(s, psychologist, row.id, b"%PDF-other")


def test_regenerating_gives_the_same_bytes(db, psychologist, exported):
    _, result, out = exported
    with db.session() as s:
        again = documents.regenerate(s, psychologist, result.disclosure.id)
    assert again == out.read_bytes()


def test_regenerating_detects_a_changed_renderer(db, psychologist, exported, monkeypatch):
    _, result, _ = exported
    monkeypatch.setattr(documents.pdf, "METADATA_AUTHOR", "Someone else")
    with db.session() as s, pytest.raises(ValidationError, match="can no longer be reproduced"):
        documents.regenerate(s, psychologist, result.disclosure.id)


def test_preview_is_the_exported_document(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    with db.session() as s:
        preview = documents.preview_partner_summary(s, psychologist, draft, DECISION)
    with db.transaction() as s:
        result = documents.export_partner_summary(
            s,
            psychologist,
            draft,
            DECISION,
            tmp_path / "p.pdf",
            document_id=preview.document_id,
            issued_on=preview.frame.issued_on,
        )
    assert result.sha256 == preview.sha256


def test_the_register_is_append_only(db, exported):
    with db.session() as s, pytest.raises(Exception, match="append-only"):
        s.execute(text("UPDATE disclosure SET purpose = 'changed'"))
    with db.session() as s, pytest.raises(Exception, match="append-only"):
        s.execute(text("DELETE FROM disclosure"))
    assert _count(db, Disclosure) == 1


def test_nothing_is_written_or_logged_when_the_decision_is_incomplete(
    db, psychologist, admin, tmp_path
):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    audits = _count(db, AuditEvent)
    bad = replace(
        DECISION,
        recipient_agency=" ",
        purpose="",
        gateway=None,
        client_informed=False,
        caldicott=CaldicottConfirmation(necessary=True),
    )
    out = tmp_path / "x.pdf"
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        documents.export_partner_summary(s, psychologist, draft, bad, out)
    wheres = {p.where for p in caught.value.problems}
    assert wheres == {
        "recipient_agency",
        "purpose",
        "gateway",
        "client_not_informed_reason",
        "caldicott",
    }
    caldicott = next(p for p in caught.value.problems if p.where == "caldicott")
    assert "minimum" in caldicott.message and "accurate" in caldicott.message
    assert not out.exists()
    assert _count(db, Disclosure) == 0 and _count(db, AuditEvent) == audits


def test_a_failed_write_logs_nothing(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    out = tmp_path / "no-such-folder" / "x.pdf"
    with pytest.raises(OSError), db.transaction() as s:
        documents.export_partner_summary(s, psychologist, draft, DECISION, out)
    assert _count(db, Disclosure) == 0


def test_record_disclosure_validates_every_field(db, psychologist, client_id):
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        disclosures.record_disclosure(
            s,
            psychologist,
            kind=DisclosureKind.PARTNER_SUMMARY,
            client_id=client_id,
            audience="police",
            recipient_agency="",
            purpose="",
            gateway=None,
            client_informed=False,
            document_sha256="not a hash",
            payload=None,
        )
    assert {p.where for p in caught.value.problems} == {
        "recipient_agency",
        "purpose",
        "gateway",
        "client_not_informed_reason",
        "document_sha256",
    }


def test_a_decision_not_to_share_is_recorded_without_a_document(db, psychologist, client_id):
    with db.transaction() as s:
        row = disclosures.record_decision_not_to_share(
            s,
            psychologist,
            client_id,
            audience="victim-advocate",
            recipient_agency="Paladin",
            purpose="Request for an update",
            reason="NOT-SHARED-REASON-PRIVATE",
            client_informed=False,
            client_not_informed_reason="NOT-TOLD-PRIVATE",
        )
    assert row.kind is DisclosureKind.DECISION_NOT_TO_SHARE
    assert row.document_sha256 is None and row.gateway is None
    with db.session() as s:
        [entry] = disclosures.register_for_client(s, psychologist, client_id)
        assert entry.client_not_informed_reason == "NOT-TOLD-PRIVATE"
        # The clinical register shows why it was not shared; the service register never.
        assert entry.decision_reason == "NOT-SHARED-REASON-PRIVATE"
        with pytest.raises(ValidationError, match="no document"):
            documents.regenerate(s, psychologist, row.id)


def test_the_service_register_has_no_clinical_columns(db, psychologist, admin, client_id):
    with db.transaction() as s:
        disclosures.record_decision_not_to_share(
            s,
            psychologist,
            client_id,
            audience="police",
            recipient_agency="Police",
            purpose='=HYPERLINK("http://evil")',
            reason="NOT-SHARED-REASON-PRIVATE",
            client_informed=False,
            client_not_informed_reason="NOT-TOLD-PRIVATE",
        )
    with db.transaction() as s:
        rows = disclosures.register_for_service(s, admin)  # administrators may read it
        csv_text = disclosures.register_csv(s, admin)
    assert rows[0].client_not_informed_reason is None
    assert rows[0].decision_reason is None
    assert rows[0].client_ref == "MASIP-0001"
    assert "PRIVATE" not in csv_text
    parsed = list(csv.reader(io.StringIO(csv_text)))
    assert parsed[0][0] == "Recorded (UTC)"
    purpose = parsed[1][parsed[0].index("Purpose")]
    assert purpose == '\'=HYPERLINK("http://evil")'  # shown as text, never run
    with db.session() as s, pytest.raises(AccessDenied):
        disclosures.register_for_client(s, admin, client_id)


def test_csv_cells_that_look_like_formulas_are_neutralised():
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "|cmd"):
        assert disclosures.safe_cell(cell).startswith("'")
    assert disclosures.safe_cell("Police") == "Police"


def test_the_marking_setting_is_printed(db, admin, psychologist, tmp_path):
    record = build_record(db, psychologist, admin)
    with db.transaction() as s:
        settings.change_setting(s, admin, "document_marking", "OFFICIAL")
        with pytest.raises(ValidationError, match="capital letters"):
            settings.change_text_setting(s, admin, "document_marking", "official; <script>")
        with pytest.raises(AccessDenied):
            settings.change_text_setting(s, psychologist, "document_marking", "SECRET")
    draft = prepare(db, psychologist, record.client_id)
    with db.session() as s:
        preview = documents.preview_partner_summary(s, psychologist, draft, DECISION)
    first_page = PdfReader(io.BytesIO(preview.data)).pages[0].extract_text()
    assert first_page.count("OFFICIAL") == 2 and "OFFICIAL-SENSITIVE" not in first_page


def test_risk_notice_is_logged_against_its_event(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    with db.transaction() as s:
        draft = summaries.prepare_risk_notice(s, psychologist, record.shared_event)
        result = documents.export_risk_notice(
            s, psychologist, draft, DECISION, tmp_path / "notice.pdf"
        )
    assert result.disclosure.kind is DisclosureKind.RISK_NOTICE
    assert result.disclosure.risk_event_id == record.shared_event
    assert len(PdfReader(tmp_path / "notice.pdf").pages) == 1
    with db.session() as s:
        assert (
            documents.regenerate(s, psychologist, result.disclosure.id)
            == Path(tmp_path / "notice.pdf").read_bytes()
        )
