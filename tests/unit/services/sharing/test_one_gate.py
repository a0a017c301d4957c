"""Everything that leaves goes through one gate, and every sharing decision is registered.

- A clinical summary goes only to the clinical record or a health service in the
  directory, under a health and care gateway; a victim's details are taken out of it.
- A referral letter never names the victim or where she lives, and never lists a risk
  statement decided not to be shared.
- Every decision path produces exactly one register entry.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from clinic_app.errors import ValidationError
from clinic_app.models import Disclosure, RiskShareDecision
from clinic_app.models.enums import (
    DisclosureKind,
    Gateway,
    ReferralUrgency,
    RiskEventKind,
    ShareDecisionKind,
    Urgency,
)
from clinic_app.services import referrals, risk, service_directory, third_parties
from clinic_app.services.sharing import disclosures, documents, letters
from clinic_app.services.sharing.redaction import MARKER
from tests.unit.services.sharing.test_summaries import DECISION, START, TODAY, build_record


def _text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _entries(db, me, client_id):
    with db.session() as s:
        return disclosures.register_for_client(s, me, client_id)


DETAILS = (
    "Morgan",
    "Quill",
    "Mo Q",
    "Larch Close",
    "E8 1AA",
    "07700 900456",
    "mq@example.org",
    "XY19 ZZZ",
)


def _victim_everywhere(db, me, client_id):
    """The victim Morgan Quill, with another name, an address, a phone, an email and a car."""
    with db.transaction() as s:
        [victim] = third_parties.third_parties_for_client(s, me, client_id)
        third_parties.update_third_party(
            s,
            me,
            victim.id,
            replace(
                victim.as_input(),
                aliases=("Mo Q",),
                addresses=("3 Larch Close, E8 1AA",),
                phones=("07700 900456",),
                emails=("mq@example.org",),
                vehicles=("XY19 ZZZ",),
            ),
        )


# -- the clinical summary ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipient", "gateway", "where"),
    [
        ("Metropolitan Police", Gateway.DPA_SCH1_PARA2, "recipient_agency"),
        ("Northside Substance Service", Gateway.CDA_S115, "gateway"),
        ("Northside Substance Service", None, "gateway"),
    ],
)
def test_a_clinical_summary_goes_only_to_a_health_service_under_a_health_gateway(
    db, psychologist, admin, tmp_path, recipient, gateway, where
):
    record = build_record(db, psychologist, admin)
    decision = replace(DECISION, recipient_agency=recipient, gateway=gateway)
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        documents.export_clinical_summary(
            s, psychologist, record.client_id, decision, tmp_path / "c.pdf"
        )
    assert where in {p.where for p in caught.value.problems}
    assert not (tmp_path / "c.pdf").exists()
    assert [
        e
        for e in _entries(db, psychologist, record.client_id)
        if e.kind is DisclosureKind.CLINICAL_SUMMARY
    ] == []


def test_a_clinical_summary_to_a_service_leaves_out_the_victims_details(
    db, psychologist, admin, tmp_path
):
    record = build_record(db, psychologist, admin, goal_wording="No contact with Morgan Quill")
    _victim_everywhere(db, psychologist, record.client_id)
    with db.transaction() as s:  # the clinician's own words name her in every way
        risk.record_risk_event(
            s,
            psychologist,
            record.client_id,
            kind=RiskEventKind.CONTACT_WITH_VICTIM,
            urgency=Urgency.SOON,
            occurred_on=TODAY - timedelta(days=3),
            detail=(
                "Texted Mo Q on 07700 900456 and mq@example.org, waited in XY19 ZZZ in\n"
                "Larch Close (E8 1AA) for Morgan Quill's return."
            ),
        )
    decision = replace(
        DECISION,
        recipient_agency="Northside Substance Service",
        gateway=Gateway.DPA_SCH1_PARA2,
        purpose="Referral for assessment",
    )
    with db.transaction() as s:
        result = documents.export_clinical_summary(
            s, psychologist, record.client_id, decision, tmp_path / "c.pdf"
        )
    text = _text((tmp_path / "c.pdf").read_bytes())
    squeezed = "".join(text.split())
    for detail in DETAILS:
        assert detail not in text and "".join(detail.split()) not in squeezed, detail
    assert "removed" in text  # the reader sees that something was taken out
    assert "waitedin" in squeezed  # the rest of the clinician's words stays (line breaks aside)
    with db.session() as s:
        row = s.get(Disclosure, result.disclosure.id)
        assert row is not None and row.payload is not None
        # Mo Q, the phone, the email, the car, Larch Close, the postcode, Morgan Quill's,
        # and the goal's Morgan Quill: eight.
        assert row.payload["lexicon"]["third_party_details_removed"] >= 8


def test_a_clinical_summary_for_the_clinical_record_needs_no_gateway(
    db, psychologist, admin, tmp_path
):
    record = build_record(db, psychologist, admin)
    decision = replace(DECISION, recipient_agency="Clinical record", gateway=None)
    with db.transaction() as s:
        documents.export_clinical_summary(
            s, psychologist, record.client_id, decision, tmp_path / "c.pdf"
        )
    assert (tmp_path / "c.pdf").exists()


# -- the referral letter -----------------------------------------------------------------------


def test_a_referral_letter_names_no_victim_and_lists_no_withheld_statement(db, psychologist, admin):
    record = build_record(db, psychologist, admin)
    _victim_everywhere(db, psychologist, record.client_id)
    with db.transaction() as s:
        [service] = [
            x
            for x in service_directory.service_directory(s, psychologist)
            if x.name.startswith("Northside")
        ]
        row = referrals.create_referral(
            s,
            psychologist,
            record.client_id,
            service_id=service.id,
            reason="Drinks before driving to Morgan Quill's home at 3 Larch Close.",
            clinical_detail=(
                "Texted Mo Q on 07700900456 and mq@example.org; followed XY19ZZZ to\n"
                "E8 1AA. Morgan's new partner has been threatened."
            ),
            urgency=ReferralUrgency.ROUTINE,
            created_on=START,
        )
        preview = letters.preview_referral_letter(s, psychologist, row.id, issued_on=TODAY)
    text = _text(preview.data)
    squeezed = "".join(text.split())
    for detail in DETAILS:
        assert detail not in text and "".join(detail.split()) not in squeezed, detail
    assert MARKER.split(",")[0].strip("[") in text
    assert "Drinks before driving to" in text  # the rest of the reason stays
    assert "Sent two messages to the victim." in text  # shared: listed
    assert "WITHHELD-STATEMENT" not in text  # decided not to be shared: never listed


# -- every decision in the register, exactly once ------------------------------------------------


def _event(db, me, client_id, statement="Was seen near her workplace."):
    with db.transaction() as s:
        return risk.record_risk_event(
            s,
            me,
            client_id,
            kind=RiskEventKind.ORDER_BREACH,
            urgency=Urgency.URGENT,
            occurred_on=TODAY - timedelta(days=1),
            detail="private",
            shareable_statement=statement,
        ).id


def test_a_risk_event_shared_by_telephone_is_one_register_entry(db, psychologist, client_id):
    event_id = _event(db, psychologist, client_id)
    with db.transaction() as s:
        risk.record_share_decision(
            s,
            psychologist,
            event_id,
            decision=ShareDecisionKind.SHARED,
            reason="Breach of the order: police must act today.",
            gateway=Gateway.CDA_S115,
            shared_with="Metropolitan Police, DC Patel",
            client_informed=False,
            client_not_informed_reason="Telling him first would raise the risk to the victim.",
        )
    [entry] = [e for e in _entries(db, psychologist, client_id) if e.risk_event_id == event_id]
    assert entry.kind is DisclosureKind.RISK_EVENT_SHARED
    assert (entry.recipient_agency, entry.gateway) == (
        "Metropolitan Police, DC Patel",
        Gateway.CDA_S115,
    )
    assert entry.decided_by == psychologist.id and not entry.client_informed
    assert (
        entry.client_not_informed_reason == "Telling him first would raise the risk to the victim."
    )
    assert entry.decision_reason == "Breach of the order: police must act today."
    assert entry.document_sha256 is None
    assert "Order breach" in entry.purpose or "order" in entry.purpose.lower()


def test_a_decision_not_to_share_a_risk_event_is_one_register_entry(db, psychologist, client_id):
    event_id = _event(db, psychologist, client_id)
    with db.transaction() as s:
        risk.record_share_decision(
            s,
            psychologist,
            event_id,
            decision=ShareDecisionKind.NOT_SHARED,
            reason="Already known to police from the victim's own report.",
            client_informed=True,
        )
    [entry] = [e for e in _entries(db, psychologist, client_id) if e.risk_event_id == event_id]
    assert entry.kind is DisclosureKind.DECISION_NOT_TO_SHARE
    assert entry.decision_reason == "Already known to police from the victim's own report."
    assert entry.client_informed


def test_a_share_decision_must_say_whether_the_client_was_told(db, psychologist, client_id):
    event_id = _event(db, psychologist, client_id)
    for told, reason in ((None, ""), (False, "  ")):
        with db.transaction() as s, pytest.raises(ValidationError) as caught:
            risk.record_share_decision(
                s,
                psychologist,
                event_id,
                decision=ShareDecisionKind.NOT_SHARED,
                reason="Not needed.",
                client_informed=told,
                client_not_informed_reason=reason,
            )
        assert {p.where for p in caught.value.problems} <= {
            "client_informed",
            "client_not_informed_reason",
        }
    with db.session() as s:
        assert s.scalars(select(RiskShareDecision)).all() == []
        assert s.scalars(select(Disclosure)).all() == []


def test_an_urgent_risk_notification_is_one_entry_with_its_decision(
    db, psychologist, client_id, tmp_path
):
    from clinic_app.services.sharing import drafts

    event_id = _event(db, psychologist, client_id)
    with db.transaction() as s:
        draft = drafts.prepare_risk_notice(s, psychologist, event_id)
        documents.export_risk_notice(s, psychologist, draft, DECISION, tmp_path / "n.pdf")
    entries = [e for e in _entries(db, psychologist, client_id) if e.risk_event_id == event_id]
    assert [e.kind for e in entries] == [DisclosureKind.RISK_NOTICE]
    with db.session() as s:
        [decision] = s.scalars(
            select(RiskShareDecision).where(RiskShareDecision.risk_event_id == event_id)
        ).all()
    assert decision.decision is ShareDecisionKind.SHARED


def test_the_register_export_carries_every_kind_of_decision(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin)
    with db.transaction() as s:
        csv_text = disclosures.register_csv(s, psychologist, client_id=record.client_id)
    assert "Risk event shared" in csv_text and "Decision not to share" in csv_text
