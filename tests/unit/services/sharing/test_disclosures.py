"""The disclosure register: append-only entries, hashes, regeneration, registers and CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, StorageError, ValidationError
from clinic_app.models import AuditEvent, Disclosure, RiskShareDecision
from clinic_app.models.enums import (
    DisclosureKind,
    Gateway,
    RiskEventKind,
    ShareDecisionKind,
    Urgency,
)
from clinic_app.reports import page
from clinic_app.services import audit, clients, risk, settings
from clinic_app.services.sharing import disclosures, documents, drafts
from clinic_app.services.sharing.disclosures import CaldicottConfirmation
from clinic_app.services.workspace import Workspace
from tests.conftest import client_details
from tests.unit.services.sharing.test_summaries import DECISION, START, build_record, prepare


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


def _documents(db) -> int:  # type: ignore[no-untyped-def]
    """Register entries for documents (the record's share decisions have entries too)."""
    with db.session() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(Disclosure)
                .where(Disclosure.kind.not_in(disclosures.WITHOUT_DOCUMENT))
            )
            or 0
        )


def _document_entries(entries):  # type: ignore[no-untyped-def]
    return [e for e in entries if e.kind not in disclosures.WITHOUT_DOCUMENT]


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
        (entry,) = _document_entries(
            disclosures.register_for_client(s, psychologist, record.client_id)
        )
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
    monkeypatch.setattr(page, "METADATA_AUTHOR", "Someone else")
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
    assert _documents(db) == 1


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
    assert _documents(db) == 0 and _count(db, AuditEvent) == audits


def test_a_failed_write_logs_nothing(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    out = tmp_path / "no-such-folder" / "x.pdf"
    with pytest.raises(OSError), db.transaction() as s:
        documents.export_partner_summary(s, psychologist, draft, DECISION, out)
    assert _documents(db) == 0


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
        draft = drafts.prepare_risk_notice(s, psychologist, record.shared_event)
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


# -- the purpose and the recipient's name are checked too -----------------------------------------


def test_a_purpose_naming_a_diagnosis_or_medication_is_refused(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    assert draft.ready  # nothing to resolve in the document itself
    audits = _count(db, AuditEvent)
    bad = replace(DECISION, purpose="Update on his schizophrenia and olanzapine")
    out = _out_folder(tmp_path) / "police.pdf"
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        documents.export_partner_summary(s, psychologist, draft, bad, out)
    messages = {p.message for p in caught.value.problems if p.where == "purpose"}
    assert messages == {
        "'schizophrenia' in the purpose looks like a diagnosis. The purpose is printed on "
        "every page of the document: reword it.",
        "'olanzapine' in the purpose looks like a medication. The purpose is printed on "
        "every page of the document: reword it.",
    }
    assert not out.exists() and _files(out.parent) == []
    assert _documents(db) == 0 and _count(db, AuditEvent) == audits


def test_a_recipient_named_like_a_third_party_is_refused_for_a_risk_notice(
    db, psychologist, admin, tmp_path
):
    record = build_record(db, psychologist, admin)  # the victim is Morgan Quill
    with db.transaction() as s:
        draft = drafts.prepare_risk_notice(s, psychologist, record.shared_event)
    bad = replace(DECISION, recipient_person="Morgan Quill, at home")
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        documents.export_risk_notice(s, psychologist, draft, bad, tmp_path / "n.pdf")
    (problem,) = caught.value.problems
    assert problem.where == "recipient_person"
    assert "The recipient's name holds the name of a third party" in problem.message
    assert "Morgan" not in problem.message and "Quill" not in problem.message  # never echoed
    assert _documents(db) == 0


def test_accepting_every_warning_records_those_on_the_purpose_without_the_words(
    db, psychologist, admin, tmp_path
):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    purpose = "Update on his schizophrenia"
    with db.transaction() as s:
        result = documents.export_partner_summary(
            s,
            psychologist,
            draft,
            replace(DECISION, purpose=purpose),
            tmp_path / "p.pdf",
            accept_warnings=True,
        )
    assert result.warnings_accepted == 1  # the one hit on the purpose
    payload = _stored_payload(db, result.disclosure.id)
    assert payload["lexicon"]["decision_hits"] == [
        {"field": "purpose", "category": "diagnoses", "resolution": "accepted"}
    ]
    assert payload["lexicon"]["warnings_accepted"] == 1
    assert "schizophrenia" not in json.dumps(payload["lexicon"]).casefold()


# -- an urgent risk notification is the decision to share the event -------------------------------


def _urgent_event(db, me, client_id: int) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return risk.record_risk_event(
            s,
            me,
            client_id,
            kind=RiskEventKind.ORDER_BREACH,
            urgency=Urgency.URGENT,
            occurred_on=START + timedelta(days=30),
            detail="BREACH-DETAIL-PRIVATE",
            shareable_statement="Was seen outside the victim's workplace.",
        ).id


def test_a_risk_notice_records_the_decision_to_share_its_event(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    event_id = _urgent_event(db, psychologist, record.client_id)
    with db.session() as s:
        waiting = risk.urgent_without_decision(s, psychologist, record.client_id)
        assert [e.id for e in waiting] == [event_id]
    with db.transaction() as s:
        draft = drafts.prepare_risk_notice(s, psychologist, event_id)
        result = documents.export_risk_notice(
            s, psychologist, draft, DECISION, tmp_path / "notice.pdf"
        )
    with db.session() as s:
        assert risk.urgent_without_decision(s, psychologist, record.client_id) == []
        (event,) = [
            e for e in risk.events_for_client(s, psychologist, record.client_id) if e.id == event_id
        ]
        decision = event.decision
        assert decision is not None
        assert decision.decision is ShareDecisionKind.SHARED
        assert decision.gateway is Gateway.CDA_S115
        assert decision.shared_with == "Metropolitan Police (DS Rivers)"
        assert decision.decided_by == psychologist.id
        assert decision.reason == (
            f"Urgent risk notification {result.disclosure.document_id} sent to "
            "Metropolitan Police (DS Rivers) for: Quarterly MASIP review"
        )
        entries = disclosures.register_for_client(s, psychologist, record.client_id)
        # The notification's own entry names the event; no second entry for its decision.
        assert [(e.kind, e.risk_event_id) for e in entries if e.risk_event_id == event_id] == [
            (DisclosureKind.RISK_NOTICE, event_id)
        ]
    # A later summary says it was shared, not "Not yet decided".
    summary = prepare(db, psychologist, record.client_id).content
    assert summary.risk is not None
    statement = next(
        st for st in summary.risk.statements if st.statement.startswith("Was seen outside")
    )
    assert statement.decision is ShareDecisionKind.SHARED


def test_a_refused_risk_notice_records_no_share_decision(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    event_id = _urgent_event(db, psychologist, record.client_id)
    with db.transaction() as s:
        draft = drafts.prepare_risk_notice(s, psychologist, event_id)
    too_long = replace(DECISION, recipient_agency="A" * 200, recipient_person="B" * 120)
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        documents.export_risk_notice(s, psychologist, draft, too_long, tmp_path / "n.pdf")
    assert [p.where for p in caught.value.problems] == ["recipient_person"]
    assert "at most 300 characters" in caught.value.problems[0].message
    with db.session() as s:
        assert [e.id for e in risk.urgent_without_decision(s, psychologist, record.client_id)] == [
            event_id
        ]
    assert _documents(db) == 0 and not (tmp_path / "n.pdf").exists()


# -- the service register: need to know ------------------------------------------------------------


def _entry(s, me, client_id, kind, agency, purpose, **kw):  # type: ignore[no-untyped-def]
    return disclosures.record_disclosure(
        s,
        me,
        kind=kind,
        client_id=client_id,
        audience=kw.pop("audience", disclosures.CLINICAL_AUDIENCE),
        recipient_agency=agency,
        recipient_person=kw.pop("person", ""),
        purpose=purpose,
        gateway=Gateway.CONSENT,
        client_informed=True,
        document_sha256="a" * 64,
        payload=None,
        **kw,
    ).id


@pytest.fixture
def two_caseloads(db, psychologist, clinician):  # type: ignore[no-untyped-def]
    """One client of the psychologist's and one of the clinician's, with entries of each
    kind that matters, and an entry about no client."""
    with db.transaction() as s:
        mine = clients.register_client(s, psychologist, client_details()).id
        theirs = clients.register_client(
            s, clinician, client_details(local_ref="MASIP-0002", nhs_number="401 023 2137")
        ).id
        ids = {
            "mine-letter": _entry(
                s,
                psychologist,
                mine,
                DisclosureKind.REFERRAL_LETTER,
                "Northside Personality Disorder Service",
                "Referral for assessment",
                person="Dr Lane",
            ),
            "mine-summary": _entry(
                s,
                psychologist,
                mine,
                DisclosureKind.PARTNER_SUMMARY,
                "Metropolitan Police",
                "Quarterly review",
                audience="police",
            ),
            "theirs-clinical": _entry(
                s,
                clinician,
                theirs,
                DisclosureKind.CLINICAL_SUMMARY,
                "Eastside Eating Disorders Unit",
                "Handover of care",
            ),
            "no-client": _entry(
                s,
                clinician,
                None,
                DisclosureKind.PARTNER_SUMMARY,
                "MASIP panel",
                "Service statistics",
                audience="panel",
            ),
        }
    return mine, theirs, ids


def test_clinical_staff_see_only_entries_about_clients_they_may_open(
    db, psychologist, clinician, two_caseloads
):
    _mine, theirs, ids = two_caseloads
    with db.transaction() as s:
        rows = disclosures.register_for_service(s, psychologist)
        csv_text = disclosures.register_csv(s, psychologist)
    assert [r.id for r in rows] == [ids["mine-letter"], ids["mine-summary"], ids["no-client"]]
    # Clinical staff with access see what was sent, as sent.
    assert rows[0].recipient_agency == "Northside Personality Disorder Service"
    assert rows[0].purpose == "Referral for assessment"
    assert "MASIP-0002" not in csv_text and "Eating Disorders" not in csv_text
    assert "Northside Personality Disorder Service" in csv_text
    with db.session() as s:
        theirs_rows = disclosures.register_for_service(s, clinician)
    assert [r.id for r in theirs_rows] == [ids["theirs-clinical"], ids["no-client"]]
    # Emergency access opens the client, and so its entries.
    with db.transaction() as s:
        clients.grant_emergency_access(s, psychologist, theirs, "Urgent call from the police")
    with db.session() as s:
        rows = disclosures.register_for_service(s, psychologist)
    assert ids["theirs-clinical"] in {r.id for r in rows}


def test_administrators_see_every_entry_but_not_who_clinical_letters_went_to(
    db, admin, two_caseloads
):
    _mine, _theirs, ids = two_caseloads
    with db.transaction() as s:
        rows = {r.id: r for r in disclosures.register_for_service(s, admin)}
        csv_text = disclosures.register_csv(s, admin)
    assert set(rows) == set(ids.values())
    for key in ("mine-letter", "theirs-clinical"):
        row = rows[ids[key]]
        assert (row.recipient_agency, row.recipient_person, row.purpose) == (
            "A health service",
            "",
            "Clinical correspondence",
        )
    # Partner documents keep their recipient and purpose: the register is for oversight.
    summary = rows[ids["mine-summary"]]
    assert (summary.recipient_agency, summary.purpose) == (
        "Metropolitan Police",
        "Quarterly review",
    )
    for secret in (
        "Personality Disorder",
        "Dr Lane",
        "Referral for assessment",
        "Eating",
        "Handover of care",
    ):
        assert secret not in csv_text, secret
    assert csv_text.count("A health service") == 2
    assert "Metropolitan Police" in csv_text


# -- regenerating is audited -----------------------------------------------------------------------


def test_regenerating_a_document_is_audited_with_ids_only(db, psychologist, exported):
    record, result, out = exported
    with db.transaction() as s:
        assert documents.regenerate(s, psychologist, result.disclosure.id) == out.read_bytes()
    with db.session() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        assert (last.action, last.entity, last.entity_id) == (
            audit.Action.EXPORT.value,
            "disclosure",
            result.disclosure.id,
        )
        assert (last.actor_id, last.client_id) == (psychologist.id, record.client_id)
        assert last.detail == {"regenerated": True}
        assert audit.verify(s).ok


def test_a_document_that_cannot_be_regenerated_is_not_audited(
    db, psychologist, exported, monkeypatch
):
    _, result, _ = exported
    audits = _count(db, AuditEvent)
    monkeypatch.setattr(page, "METADATA_AUTHOR", "Someone else")
    with pytest.raises(ValidationError), db.transaction() as s:
        documents.regenerate(s, psychologist, result.disclosure.id)
    assert _count(db, AuditEvent) == audits


# -- the lexicon's record keeps no words -----------------------------------------------------------


def test_a_kept_third_party_name_leaves_no_trace_in_the_register_payload(
    db, psychologist, admin, tmp_path
):
    record = build_record(db, psychologist, admin, goal_wording="Stop texting Morgan at work")
    draft = prepare(db, psychologist, record.client_id)
    (hit,) = draft.hits
    assert hit.term == "Morgan" and "morgan" not in hit.key.casefold()
    reason = "The order police enforce forbids contact at her workplace"
    with db.transaction() as s:
        kept = drafts.revise(s, psychologist, draft, keep=[hit.key], reasons={hit.key: reason})
        result = documents.export_partner_summary(
            s, psychologist, kept, DECISION, tmp_path / "k.pdf"
        )
    payload = _stored_payload(db, result.disclosure.id)
    assert payload["lexicon"]["hits"] == [
        {
            "key": hit.key,
            "field": "goals[0].partner_wording",
            "category": "third_party_name",
            "resolution": "kept",
            "reason": reason,
        }
    ]
    lexicon_text = json.dumps(payload["lexicon"]).casefold()
    assert "morgan" not in lexicon_text and "quill" not in lexicon_text
    # The name is in the payload only where the author chose to keep it: the document's
    # own text (the goal wording), which regeneration needs.
    whole = json.dumps(payload).casefold()
    document = (json.dumps(payload["content"]) + json.dumps(payload["frame"])).casefold()
    assert whole.count("morgan") == document.count("morgan") == 1
    assert "quill" not in whole


def test_documents_with_the_old_lexicon_record_still_regenerate(db, psychologist, exported):
    _, result, out = exported
    payload = _stored_payload(db, result.disclosure.id)
    # Entries written before the record dropped the words held them like this.
    payload["lexicon"] = {
        "kept": [{"field": "goals[0].partner_wording", "term": "x", "category": "clinical"}],
        "edited_fields": [],
        "warnings_accepted": 0,
    }
    with db.transaction() as s:
        old = disclosures.record_disclosure(
            s,
            psychologist,
            kind=DisclosureKind.PARTNER_SUMMARY,
            client_id=result.disclosure.client_id,
            audience="police",
            recipient_agency="Metropolitan Police",
            purpose="Quarterly MASIP review",
            gateway=Gateway.CDA_S115,
            client_informed=True,
            document_sha256=result.sha256,
            payload=payload,
        )
    with db.transaction() as s:
        assert documents.regenerate(s, psychologist, old.id) == out.read_bytes()


# -- the file exists exactly when its register entry does ------------------------------------------


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _out_folder(tmp_path: Path) -> Path:
    """A folder of its own for documents (the database lives in ``tmp_path``)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_the_file_appears_only_when_the_unit_of_work_commits(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    out = _out_folder(tmp_path) / "police.pdf"
    with db.transaction() as s:
        result = documents.export_partner_summary(s, psychologist, draft, DECISION, out)
        assert not out.exists()  # waiting, hidden, for the commit
    assert _files(out.parent) == ["police.pdf"]  # exactly the file: no temporary left
    assert disclosures.sha256_hex(out.read_bytes()) == result.sha256


def test_a_failed_commit_leaves_no_file_and_no_entry(
    db, psychologist, admin, tmp_path, monkeypatch
):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    folder = tmp_path / "out"
    folder.mkdir()

    def failing_commit(self: Session) -> None:
        raise StorageError("The disk is full. Free some space and try again.")

    monkeypatch.setattr(Session, "commit", failing_commit)
    workspace = Workspace(db, psychologist)
    with pytest.raises(StorageError, match="disk is full"):
        workspace.call(documents.export_partner_summary, draft, DECISION, folder / "p.pdf")
    monkeypatch.undo()
    assert _files(folder) == []
    assert _documents(db) == 0


def test_a_commit_refused_by_the_database_leaves_no_file_and_no_entry(
    db, psychologist, admin, tmp_path
):
    record = build_record(db, psychologist, admin)
    with db.transaction() as s:
        notice = drafts.prepare_risk_notice(s, psychologist, record.shared_event)
    folder = tmp_path / "out"
    folder.mkdir()
    decisions_before = _count(db, RiskShareDecision)

    def refuse(_connection: object) -> None:
        raise RuntimeError("commit refused")

    with db.session() as s:
        documents.export_risk_notice(s, psychologist, notice, DECISION, folder / "n.pdf")
        assert [p.suffix for p in folder.iterdir()] == [".partial"]  # written, not yet in place
        connection = s.connection()
        event.listen(connection, "commit", refuse)
        with pytest.raises(RuntimeError, match="commit refused"):
            s.commit()
        s.rollback()
    assert _files(folder) == []
    assert _documents(db) == 0
    assert _count(db, RiskShareDecision) == decisions_before


def test_a_unit_of_work_closed_without_commit_leaves_no_file(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    folder = _out_folder(tmp_path)
    with db.session() as s:
        documents.export_partner_summary(s, psychologist, draft, DECISION, folder / "p.pdf")
    assert _files(folder) == [] and _documents(db) == 0


def test_a_file_that_cannot_be_moved_into_place_says_so(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    out = _out_folder(tmp_path) / "police.pdf"
    with pytest.raises(StorageError) as caught, db.transaction() as s:
        documents.export_partner_summary(s, psychologist, draft, DECISION, out)
        out.mkdir()  # something else took the name meanwhile
        (out / "keep").write_text("x")
    assert "recorded in the disclosure register" in str(caught.value)
    assert "regenerate" in str(caught.value)
    # The entry stands (it was committed) and no temporary file is left behind.
    assert _documents(db) == 1
    assert _files(out.parent) == ["police.pdf"] and out.is_dir()


def test_a_clinical_summary_is_written_on_commit_too(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    decision = replace(DECISION, recipient_agency="Clinical record", gateway=None)
    folder = _out_folder(tmp_path)
    with db.session() as s:
        documents.export_clinical_summary(
            s, psychologist, record.client_id, decision, folder / "c.pdf"
        )
        s.rollback()
    assert _files(folder) == [] and _documents(db) == 0
    with db.transaction() as s:
        documents.export_clinical_summary(
            s, psychologist, record.client_id, decision, folder / "c.pdf"
        )
    assert _files(folder) == ["c.pdf"]


def _stored_payload(db, disclosure_id: int) -> dict:  # type: ignore[type-arg]
    with db.session() as s:
        row = s.get(Disclosure, disclosure_id)
        assert row is not None and row.payload is not None
        return dict(row.payload)


def test_a_savepoint_rolled_back_takes_its_file_with_it(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    draft = prepare(db, psychologist, record.client_id)
    folder = _out_folder(tmp_path)
    with db.transaction() as s:
        savepoint = s.begin_nested()
        documents.export_partner_summary(s, psychologist, draft, DECISION, folder / "gone.pdf")
        savepoint.rollback()
        with s.begin_nested():
            documents.export_partner_summary(s, psychologist, draft, DECISION, folder / "kept.pdf")
        assert not (folder / "kept.pdf").exists()  # the savepoint is done, the work is not
    assert _files(folder) == ["kept.pdf"]
    assert _documents(db) == 1


def test_consent_is_a_gateway_only_while_the_record_shows_it(db, psychologist, admin, tmp_path):
    from sqlalchemy import update

    from clinic_app.models import Client
    from clinic_app.models.enums import ConsentToShare

    record = build_record(db, psychologist, admin)
    assert prepare(db, psychologist, record.client_id).content.referrals  # shared on consent
    with db.transaction() as s:
        s.execute(
            update(Client)
            .where(Client.id == record.client_id)
            .values(consent_to_share=ConsentToShare.REFUSED)
        )
    draft = prepare(db, psychologist, record.client_id)
    # The referral's fact was shareable on consent only: with consent refused it goes.
    assert not draft.content.referrals
    out = _out_folder(tmp_path) / "police.pdf"
    on_consent = replace(DECISION, gateway=Gateway.CONSENT)
    with db.session() as s, pytest.raises(ValidationError, match="does not show consent"):
        documents.preview_partner_summary(s, psychologist, draft, on_consent)  # said early
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        documents.export_partner_summary(s, psychologist, draft, on_consent, out)
    [problem] = [p for p in caught.value.problems if p.where == "gateway"]
    assert "consent was refused" in problem.message
    assert not out.exists() and _documents(db) == 0
    with db.transaction() as s:  # the gateway that applies is still open to the author
        documents.export_partner_summary(s, psychologist, draft, DECISION, out)
    assert out.exists()


def test_the_last_summary_to_an_audience_is_offered_as_the_starting_point(
    db, psychologist, client_id
):
    from clinic_app.services.sharing.disclosures import previous_sharing

    with db.session() as session:
        nothing = previous_sharing(session, psychologist, client_id, "police")
    assert (nothing.case_reference, nothing.recorded_on, nothing.gateway) == (
        "MASIP-0001",
        None,
        None,
    )
    for purpose, audience in (("First", "police"), ("Second", "police"), ("Other", "probation")):
        with db.transaction() as session:
            disclosures.record_disclosure(
                session,
                psychologist,
                kind=DisclosureKind.PARTNER_SUMMARY,
                client_id=client_id,
                audience=audience,
                recipient_agency=f"{audience} agency",
                recipient_person="DC Patel",
                purpose=purpose,
                gateway=Gateway.CDA_S115,
                client_informed=False,
                client_not_informed_reason="It would raise the risk.",
                document_sha256="b" * 64,
                payload={},
                period_from=date(2026, 1, 1),
                period_to=date(2026, 3, 31),
            )
    with db.session() as session:
        last = previous_sharing(session, psychologist, client_id, "police")
    assert (last.purpose, last.recipient_agency, last.recipient_person) == (
        "Second",
        "police agency",
        "DC Patel",
    )
    assert (last.gateway, last.client_informed, last.period_to) == (
        Gateway.CDA_S115,
        False,
        date(2026, 3, 31),
    )
    assert last.client_not_informed_reason == "It would raise the risk."
