"""The referral letter: what it says, the same bytes every time, and the register entry."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from clinic_app.errors import ValidationError
from clinic_app.models.enums import (
    DisclosureKind,
    Gateway,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    ServiceKind,
    ThirdPartyRelation,
    Urgency,
)
from clinic_app.reports import referral_letter
from clinic_app.reports.content import (
    CLINICAL_MARKING,
    LetterFacts,
    LetterRiskAssessment,
    LetterRiskEvent,
)
from clinic_app.services import clients, referrals, risk, service_directory, third_parties
from clinic_app.services.sharing import disclosures, documents, letters
from clinic_app.wording import SERVICE_KIND_WORDS
from tests.conftest import client_details

ISSUED = date(2026, 3, 20)
DOCUMENT_ID = "7f3a2c1e-0000-4000-8000-000000000001"


@pytest.fixture
def referral_id(db, admin, psychologist, client_id):
    with db.transaction() as session:
        service = service_directory.add_service(
            session,
            admin,
            name="Demo Personality Disorder Service",
            kind=ServiceKind.PERSONALITY_DISORDER,
            contact="Ward 4, Demo Hospital, Demotown DT1 1AA",
            expected_response_days=42,
            snomed_concept_id="3457005",
        ).id
        clients.record_risk_assessment(
            session,
            psychologist,
            client_id,
            tool=RiskTool.SRP,
            tool_version="2",
            assessed_on=date(2026, 2, 1),
            judgements={"persistence": "high"},
            rationale="RATIONALE-CANARY",
            shareable_summary="Risk of persistence is high and actively managed.",
            today=ISSUED,
        )
        risk.record_risk_event(
            session,
            psychologist,
            client_id,
            kind=RiskEventKind.MENTAL_STATE_DETERIORATION,
            urgency=Urgency.SOON,
            occurred_on=date(2026, 3, 1),
            detail="DETAIL-CANARY low mood after seeing Jane Victim",
            shareable_statement="A deterioration in mental state is being managed.",
            today=ISSUED,
        )
        third_parties.add_third_party(
            session,
            psychologist,
            client_id,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM,
                name="Jane Victim",
                details="THIRD-PARTY-CANARY",
            ),
        )
        row = referrals.create_referral(
            session,
            psychologist,
            client_id,
            service_id=service,
            reason="Longstanding emotional instability and self-harm; assessment requested.",
            clinical_detail="Diagnosis under consideration: emotionally unstable PD.",
            urgency=ReferralUrgency.URGENT,
            created_on=date(2026, 3, 2),
            today=ISSUED,
        )
        referrals.change_status(
            session, psychologist, row.id, ReferralStatus.SENT, on=date(2026, 3, 3), today=ISSUED
        )
        return row.id


def _preview(db, by, referral_id, **kwargs):
    kwargs.setdefault("document_id", DOCUMENT_ID)
    kwargs.setdefault("issued_on", ISSUED)
    with db.session() as session:
        return letters.preview_referral_letter(session, by, referral_id, **kwargs)


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _issue(db, by, referral_id, out: Path, preview, **overrides):
    values = {
        "document_id": preview.document_id,
        "issued_on": preview.issued_on,
        "expected_sha256": preview.sha256,
        "gateway": Gateway.DPA_SCH1_PARA2,
        "client_informed": True,
    }
    values.update(overrides)
    with db.transaction() as session:
        return letters.issue_referral_letter(session, by, referral_id, out, **values)


def test_the_letter_says_what_the_service_needs(db, psychologist, referral_id):
    preview = _preview(db, psychologist, referral_id)
    text = " ".join(_text(preview.data).split())
    for expected in (
        "Referral letter",
        "Confidential clinical referral to Demo Personality Disorder Service (Personality "
        "disorder service)",
        "Ward 4, Demo Hospital, Demotown DT1 1AA",
        "3457005",
        "Alex Example",
        "12 April 1985",
        "943 476 5919",  # the NHS number, as people read it
        "MASIP-0001",
        "URGENT REFERRAL: please respond promptly",
        "Urgency Urgent",
        "Longstanding emotional instability and self-harm; assessment requested.",
        "Diagnosis under consideration: emotionally unstable PD.",
        "Stalking Risk Profile (SRP) (version 2), 1 February 2026",
        "persistence: high",
        "Risk of persistence is high and actively managed.",
        "A deterioration in mental state is being managed.",
        "Dr Jones",
        "Document ID " + DOCUMENT_ID,
        "Issued 20 March 2026",
    ):
        assert expected in text, expected
    assert "Address" not in text  # none recorded for this client
    for private in ("RATIONALE-CANARY", "DETAIL-CANARY", "THIRD-PARTY-CANARY", "Jane"):
        assert private not in text


def test_every_page_is_marked_clinical(db, psychologist, referral_id):
    reader = PdfReader(io.BytesIO(_preview(db, psychologist, referral_id).data))
    for page in reader.pages:
        page_text = page.extract_text()
        # Top and bottom of the page, and the handling text.
        assert page_text.count(CLINICAL_MARKING) >= 2
        assert "clinical referral only" in " ".join(page_text.split())
    metadata = " ".join(str(v) for v in (reader.metadata or {}).values())
    assert "Alex" not in metadata and "Example" not in metadata
    assert "emotional" not in metadata


def test_the_address_is_included_when_recorded(db, admin, psychologist):
    with db.transaction() as session:
        cid = clients.register_client(
            session,
            psychologist,
            client_details(local_ref="MASIP-0002", nhs_number="", address="2 Sample Road, Town"),
            today=ISSUED,
        ).id
        service = service_directory.add_service(session, admin, name="GP", kind=ServiceKind.GP)
        row = referrals.create_referral(
            session,
            psychologist,
            cid,
            service_id=service.id,
            reason="Physical health review.",
            urgency=ReferralUrgency.ROUTINE,
            today=ISSUED,
        )
    text = " ".join(_text(_preview(db, psychologist, row.id).data).split())
    assert "Address 2 Sample Road, Town" in text
    assert "NHS number Not recorded" in text
    assert "No structured risk assessment is recorded." in text
    assert "Urgency Routine" in text
    assert "REFERRAL: please respond promptly" not in text


def test_the_same_referral_gives_the_same_bytes(db, psychologist, referral_id):
    first = _preview(db, psychologist, referral_id)
    second = _preview(db, psychologist, referral_id)
    assert first.data == second.data
    assert first.sha256 == hashlib.sha256(first.data).hexdigest()
    other_day = _preview(db, psychologist, referral_id, issued_on=date(2026, 3, 21))
    assert other_day.data != first.data


def test_issuing_writes_the_reviewed_letter_and_records_the_disclosure(
    db, psychologist, referral_id, tmp_path
):
    preview = _preview(db, psychologist, referral_id)
    out = tmp_path / preview.suggested_filename
    issued = _issue(db, psychologist, referral_id, out, preview)
    assert out.read_bytes() == preview.data
    assert issued.sha256 == preview.sha256
    assert preview.suggested_filename == "Referral letter MASIP-0001 2026-03-20.pdf"
    with db.session() as session:
        (entry,) = disclosures.register_for_client(
            session, psychologist, issued.disclosure.client_id
        )
        stored = disclosures.stored_document(session, psychologist, entry.id)
    assert (entry.kind, entry.recipient_agency, entry.referral_id) == (
        DisclosureKind.REFERRAL_LETTER,
        "Demo Personality Disorder Service",
        referral_id,
    )
    assert (entry.document_id, entry.document_sha256) == (DOCUMENT_ID, preview.sha256)
    assert (entry.gateway, entry.client_informed) == (Gateway.DPA_SCH1_PARA2, True)
    assert entry.decided_by == psychologist.id
    # The register keeps what the letter was drawn from: drawing it again gives its bytes.
    assert referral_letter.render_from_payload(stored.payload) == preview.data
    # ... and so does regenerating it from the Summaries tab's register.
    with db.session() as session:
        assert documents.regenerate(session, psychologist, entry.id) == preview.data


def test_a_letter_that_changed_since_review_is_not_issued(db, psychologist, referral_id, tmp_path):
    preview = _preview(db, psychologist, referral_id)
    with db.transaction() as session:
        referrals.change_status(
            session, psychologist, referral_id, ReferralStatus.ACKNOWLEDGED, today=ISSUED
        )
        clients.record_risk_assessment(
            session,
            psychologist,
            referrals.get_referral(session, psychologist, referral_id).client_id,
            tool=RiskTool.SAM,
            tool_version="1",
            assessed_on=date(2026, 3, 10),
            judgements={"nature": "moderate"},
            rationale="r",
            today=ISSUED,
        )
    out = tmp_path / "letter.pdf"
    with pytest.raises(ValidationError) as refused:
        _issue(db, psychologist, referral_id, out, preview)
    assert "changed since you reviewed this letter" in refused.value.message
    assert not out.exists()
    with db.session() as session:
        assert disclosures.register_for_service(session, psychologist) == []


def test_the_sharing_choices_are_required(db, psychologist, referral_id, tmp_path):
    preview = _preview(db, psychologist, referral_id)
    out = tmp_path / "letter.pdf"
    with pytest.raises(ValidationError) as refused:
        _issue(
            db,
            psychologist,
            referral_id,
            out,
            preview,
            gateway=None,
            client_informed=False,
            client_not_informed_reason=" ",
        )
    assert {p.where: p.message for p in refused.value.problems} == {
        "gateway": "Choose the legal gateway the letter is shared under.",
        "client_not_informed_reason": "The reason the client has not been told is required.",
    }
    assert not out.exists()
    issued = _issue(
        db,
        psychologist,
        referral_id,
        out,
        preview,
        gateway=Gateway.CONSENT,
        client_informed=False,
        client_not_informed_reason="Client in crisis; to be told at the next session.",
    )
    assert issued.disclosure.client_not_informed_reason == (
        "Client in crisis; to be told at the next session."
    )


def test_a_letter_that_cannot_be_written_is_not_recorded(db, psychologist, referral_id, tmp_path):
    preview = _preview(db, psychologist, referral_id)
    with pytest.raises(OSError):
        _issue(db, psychologist, referral_id, tmp_path / "no such folder" / "x.pdf", preview)
    with db.session() as session:
        assert disclosures.register_for_service(session, psychologist) == []


# -- every text field at its longest ------------------------------------------------------------


def _filler(tag: str, length: int) -> str:
    """Exactly ``length`` characters of numbered words ("ab00001 ab00002 ..."), each findable
    in the PDF's text however the lines and pages break."""
    count = length // 8 + 1  # each word and its space are 8 characters
    value = " ".join(f"{tag}{i:05d}" for i in range(1, count + 1))[:length]
    value = value if not value.endswith(" ") else value[:-1] + "z"
    assert len(value) == length
    return value


def _longest_facts() -> LetterFacts:
    # The longest text each field can hold, from the services' validation.
    return LetterFacts(
        referral_id=1,
        client_id=1,
        letter_date=ISSUED,
        service_name=_filler("sn", 200),  # service_directory.add_service
        service_kind=SERVICE_KIND_WORDS[ServiceKind.PERSONALITY_DISORDER],
        service_contact=_filler("sc", service_directory.MAX_CONTACT),
        snomed_concept_id="123456789012345678",  # 18 digits, the longest SCTID
        client_name=f"{_filler('gn', 200)} {_filler('fn', 200)}",  # clients: each name 200
        date_of_birth=date(1985, 4, 12),
        nhs_number="9434765919",
        address=_filler("ad", 2000),  # clients.check_details
        local_ref=_filler("lr", 40),  # clients.check_details
        is_demo=True,
        urgency="Emergency",
        status="Sent",
        created_on=date(2026, 3, 2),
        sent_on=date(2026, 3, 3),
        reason=_filler("re", referrals.MAX_REASON),
        clinical_detail=_filler("cd", referrals.MAX_DETAIL),
        fact_shareable=True,
        risk_assessment=LetterRiskAssessment(
            _filler("tn", 120),  # clients.record_risk_assessment: the tool's name
            _filler("tv", 40),  # ... its version
            date(2026, 2, 1),
            tuple((_filler(f"j{n}", 120), "high") for n in range(5)),  # names of 120
            _filler("as", 5000),  # ... the shareable summary
        ),
        risk_events=tuple(
            LetterRiskEvent(
                date(2026, 3, n),
                "Contact or attempted contact with the victim",
                "Urgent",
                _filler(f"s{n}", 5000),  # risk.record_risk_event: the shareable statement
            )
            for n in (1, 2)
        ),
        referrer_name=_filler("rn", 200),  # staff: full name
        referrer_title=_filler("rt", 200),  # staff: job title
        referrer_contact=_filler("rc", 300),  # staff: contact details
    )


def test_a_letter_with_every_field_at_its_longest_is_drawn_in_full():
    # A 3,000-character statement was enough to break the risk events table before.
    facts = _longest_facts()
    frame = referral_letter.letter_frame(facts, document_id=DOCUMENT_ID, issued_on=ISSUED)
    data = referral_letter.render_referral_letter(facts, frame)
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 20  # 50,000 characters of clinical detail alone are many pages
    for number, page in enumerate(pages, start=1):
        assert page.count(CLINICAL_MARKING) >= 2, number  # top and bottom
        assert f"Page {number} of {len(pages)}" in page
    found = set(re.findall(r"\w+", " ".join(pages)))
    assessment = facts.risk_assessment
    assert assessment is not None
    for field in (
        facts.service_name,
        facts.service_contact,
        facts.snomed_concept_id or "",
        facts.client_name,
        "943 476 5919",
        facts.address,
        facts.local_ref,
        facts.reason,
        facts.clinical_detail,
        assessment.tool,
        assessment.version,
        *(name for name, _ in assessment.judgements),
        assessment.summary,
        *(e.statement for e in facts.risk_events),
        facts.referrer_name,
        facts.referrer_title,
        facts.referrer_contact,
    ):
        assert field and not set(re.findall(r"\w+", field)) - found, field[:20]
    # A clinical document may say what kind of service it is addressed to.
    assert "(Personality disorder service)" in " ".join(pages[0].split())
    assert referral_letter.render_referral_letter(facts, frame) == data  # the same bytes


def test_a_client_name_in_any_european_or_cyrillic_letters_prints_as_written():
    facts = dataclasses.replace(_longest_facts(), client_name="Олег Łukasz Nguyễn Thị Hà")
    frame = referral_letter.letter_frame(facts, document_id=DOCUMENT_ID, issued_on=ISSUED)
    text = " ".join(_text(referral_letter.render_referral_letter(facts, frame)).split())
    assert "Name Олег Łukasz Nguyễn Thị Hà" in text


def test_consent_is_the_letters_basis_only_if_the_record_shows_it(
    db, psychologist, referral_id, client_id, tmp_path
):
    from sqlalchemy import update

    from clinic_app.errors import ValidationError
    from clinic_app.models import Client
    from clinic_app.models.enums import ConsentToShare

    with db.transaction() as session:
        session.execute(
            update(Client)
            .where(Client.id == client_id)
            .values(consent_to_share=ConsentToShare.REFUSED)
        )
    preview = _preview(db, psychologist, referral_id)
    out = tmp_path / "letter.pdf"
    with pytest.raises(ValidationError) as caught:
        _issue(db, psychologist, referral_id, out, preview, gateway=Gateway.CONSENT)
    [problem] = caught.value.problems
    assert problem.where == "gateway" and "consent was refused" in problem.message
    assert not out.exists()
    _issue(db, psychologist, referral_id, out, preview)  # health care basis: allowed
    assert out.exists()


def test_issuing_the_letter_of_a_draft_referral_marks_it_sent(
    db, admin, psychologist, client_id, tmp_path
):
    with db.transaction() as session:
        service = service_directory.add_service(
            session, admin, name="Demo Forensic Service", kind=ServiceKind.FORENSIC
        ).id
        draft = referrals.create_referral(
            session,
            psychologist,
            client_id,
            service_id=service,
            reason="Assessment requested.",
            urgency=ReferralUrgency.ROUTINE,
            created_on=date(2026, 3, 2),
            today=ISSUED,
        )
    assert draft.status is ReferralStatus.DRAFT
    preview = _preview(db, psychologist, draft.id)
    _issue(db, psychologist, draft.id, tmp_path / "letter.pdf", preview)
    with db.session() as session:
        row = referrals.get_referral(session, psychologist, draft.id)
    # The record no longer says "Draft / Not sent" once its letter has gone.
    assert (row.status, row.sent_on) == (ReferralStatus.SENT, ISSUED)


def test_issuing_the_letter_of_a_sent_referral_leaves_its_status(
    db, psychologist, referral_id, tmp_path
):
    preview = _preview(db, psychologist, referral_id)
    _issue(db, psychologist, referral_id, tmp_path / "letter.pdf", preview)
    with db.session() as session:
        row = referrals.get_referral(session, psychologist, referral_id)
    assert (row.status, row.sent_on) == (ReferralStatus.SENT, date(2026, 3, 3))


def test_the_letter_opens_with_the_services_referral_template(db, psychologist, referral_id):
    preview = _preview(db, psychologist, referral_id)
    assert preview.wording is not None
    assert preview.wording.salutation == "Dear colleague,"
    text = _text(preview.data)
    assert "Dear colleague," in text and "Yours sincerely," in text
    assert "I am writing to refer Alex to your service" in " ".join(text.split())


def test_the_clinicians_edit_of_the_opening_is_what_is_issued(
    db, psychologist, referral_id, tmp_path
):
    edited = letters.ReferralWording(
        "Dear Dr Okafor,", "Thank you for discussing Alex with me last week.", "Best wishes,"
    )
    preview = _preview(db, psychologist, referral_id, wording=edited)
    assert "Thank you for discussing Alex" in _text(preview.data)
    out = tmp_path / "letter.pdf"
    # The same words give the same bytes; the template's words would not.
    with pytest.raises(ValidationError):
        _issue(db, psychologist, referral_id, out, preview)
    _issue(db, psychologist, referral_id, out, preview, wording=edited)
    assert out.read_bytes() == preview.data
    with db.session() as session:
        (entry,) = [
            e
            for e in disclosures.register_for_client(session, psychologist, 1)
            if e.kind is DisclosureKind.REFERRAL_LETTER
        ]
        assert documents.regenerate(session, psychologist, entry.id) == preview.data


def test_a_victims_name_in_the_opening_is_refused(db, psychologist, referral_id):
    edited = letters.ReferralWording("Dear colleague,", "He still writes to Jane.", "Yours,")
    with pytest.raises(ValidationError) as refused:
        _preview(db, psychologist, referral_id, wording=edited)
    assert "never leave the service" in str(refused.value)
    assert "Jane" not in str(refused.value)
