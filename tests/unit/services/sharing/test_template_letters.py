"""Letters from templates: the administrator's wording, filling, the gate, the register."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, time

import pytest
from pypdf import PdfReader

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.models.enums import (
    DisclosureKind,
    Gateway,
    LetterKind,
    Modality,
    ThirdPartyRelation,
)
from clinic_app.services import appointments, third_parties
from clinic_app.services.sharing import (
    disclosures,
    documents,
    letter_templates,
    template_letters,
)
from clinic_app.services.sharing.letter_templates import BUILT_IN

TODAY = date(2026, 3, 20)
DOCUMENT_ID = "7f3a2c1e-0000-4000-8000-00000000a001"


def _text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _templates(db, by):
    with db.session() as session:
        return {row.kind: row for row in letter_templates.list_templates(session, by)}


@pytest.fixture
def victim(db, psychologist, client_id):
    with db.transaction() as session:
        third_parties.add_third_party(
            session,
            psychologist,
            client_id,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM,
                name="Jane Victimson",
                addresses=("14 Canary Row, Demotown",),
                phones=("07700 900123",),
            ),
        )


@pytest.fixture
def missed(db, psychologist, client_id):
    with db.transaction() as session:
        (row,) = appointments.book(
            session,
            psychologist,
            client_id,
            day=date(2026, 3, 16),
            start_time=time(10, 30),
            duration_minutes=50,
            modality=Modality.IN_PERSON,
            place="Clinic room 2",
            today=date(2026, 3, 10),
        )
        appointments.mark_did_not_attend(session, psychologist, row.id, today=TODAY)


def _draft(db, by, client_id, kind):
    with db.session() as session:
        return template_letters.draft_letter(session, by, client_id, kind, today=TODAY)


def _preview(db, by, client_id, text):
    with db.session() as session:
        return template_letters.preview_letter(
            session, by, client_id, text, document_id=DOCUMENT_ID, issued_on=TODAY
        )


# -- templates --------------------------------------------------------------------------------


def test_every_kind_starts_with_its_built_in_wording(db, admin):
    rows = _templates(db, admin)
    assert set(rows) == set(LetterKind)
    assert all(not row.changed for row in rows.values())
    assert rows[LetterKind.DID_NOT_ATTEND].body == BUILT_IN[LetterKind.DID_NOT_ATTEND].body


def test_the_administrator_changes_a_template(db, admin):
    with db.transaction() as session:
        row = letter_templates.set_template(
            session,
            admin,
            LetterKind.GP_UPDATE,
            salutation="Dear Dr {clinician_name},",
            body="An update on {client_name} ({case_reference}).",
            sign_off="With best wishes,",
        )
    assert row.changed and row.updated_by_name == "Admin"
    assert _templates(db, admin)[LetterKind.GP_UPDATE].sign_off == "With best wishes,"
    with db.transaction() as session:
        letter_templates.restore_built_in(session, admin, LetterKind.GP_UPDATE)
    assert not _templates(db, admin)[LetterKind.GP_UPDATE].changed


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("Dear {client_nmae}", "{client_nmae}, which a letter cannot fill"),
        ("Dear {client_name.__class__}", "which a letter cannot fill"),
        ("A stray } bracket", "curly bracket that is not part of a placeholder"),
        ("", "The body"),
    ],
)
def test_a_template_with_an_unknown_placeholder_is_refused_and_nothing_changes(
    db, admin, body, says
):
    with db.transaction() as session, pytest.raises(ValidationError) as refused:
        letter_templates.set_template(
            session,
            admin,
            LetterKind.REFERRAL,
            salutation="Dear colleague,",
            body=body,
            sign_off="Yours sincerely,",
        )
    assert says in str(refused.value)
    assert "{case_reference}" in str(refused.value) or not body.startswith("Dear {")
    assert not _templates(db, admin)[LetterKind.REFERRAL].changed


def test_only_an_administrator_changes_templates(db, psychologist):
    with db.transaction() as session, pytest.raises(AccessDenied):
        letter_templates.set_template(
            session, psychologist, LetterKind.REFERRAL, salutation="Hi", body="x", sign_off="y"
        )


# -- drafting ---------------------------------------------------------------------------------


def test_a_did_not_attend_letter_is_filled_from_the_record(db, psychologist, client_id, missed):
    draft = _draft(db, psychologist, client_id, LetterKind.DID_NOT_ATTEND)
    assert draft.text.recipient_name == "Alex Example"
    assert draft.text.salutation == "Dear Alex Example,"
    assert "on 16 March 2026 at 10:30" in draft.text.body
    assert "Stalking Clinic" in draft.text.body
    assert draft.signature.name == "Dr Jones"
    assert not draft.needs_gateway


def test_a_placeholder_with_nothing_to_fill_it_must_be_filled_before_issue(
    db, psychologist, client_id
):
    draft = _draft(db, psychologist, client_id, LetterKind.DID_NOT_ATTEND)
    assert "[appointment date]" in draft.text.body
    with pytest.raises(ValidationError) as refused:
        _preview(db, psychologist, client_id, draft.text)
    assert "still has [appointment date] to fill in" in str(refused.value)


# -- the gate ---------------------------------------------------------------------------------


def _dna_text(**changes):
    base = template_letters.LetterText(
        kind=LetterKind.DID_NOT_ATTEND,
        recipient_name="Alex Example",
        recipient_address="1 High Street, Demotown",
        salutation="Dear Alex Example,",
        body="We missed you on Monday. Please call to arrange another appointment.",
        sign_off="Yours sincerely,",
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    "body",
    [
        "Please do not contact Jane again.",
        "Stay away from 14 Canary Row.",
        "Do not call 07700900123.",
    ],
)
def test_a_letter_naming_a_third_party_is_refused_whoever_it_goes_to(
    db, psychologist, client_id, victim, body
):
    for kind in LetterKind:
        with pytest.raises(ValidationError) as refused:
            _preview(db, psychologist, client_id, _dna_text(kind=kind, body=body))
        message = str(refused.value)
        assert "never leave the service" in message
        # The detail itself is not repeated in the message.
        assert "Jane" not in message and "Canary" not in message and "900123" not in message


def test_clinical_wording_goes_to_a_gp_but_not_to_the_client(db, psychologist, client_id):
    body = "Alex remains on sertraline and attends CBT."
    with pytest.raises(ValidationError) as refused:
        _preview(db, psychologist, client_id, _dna_text(body=body))
    assert "carries no clinical wording" in str(refused.value)
    gp = _dna_text(kind=LetterKind.GP_UPDATE, recipient_name="Dr Smith, Demo Surgery", body=body)
    assert _preview(db, psychologist, client_id, gp).data.startswith(b"%PDF")


# -- issuing ----------------------------------------------------------------------------------


def test_an_issued_letter_is_the_reviewed_pdf_in_the_register(
    db, psychologist, client_id, tmp_path
):
    text = _dna_text()
    preview = _preview(db, psychologist, client_id, text)
    assert preview.suggested_filename == "Did-not-attend letter MASIP-0001 2026-03-20.pdf"
    printed = _text(preview.data)
    for words in ("Dear Alex Example,", "We missed you", "Yours sincerely,", "Dr Jones"):
        assert words in printed
    out = tmp_path / preview.suggested_filename
    with db.transaction() as session:
        issued = template_letters.issue_letter(
            session,
            psychologist,
            client_id,
            text,
            out,
            document_id=preview.document_id,
            issued_on=preview.issued_on,
            expected_sha256=preview.sha256,
            gateway=None,
        )
    assert out.read_bytes() == preview.data
    with db.session() as session:
        (entry,) = disclosures.register_for_client(session, psychologist, client_id)
        again = documents.regenerate(session, psychologist, entry.id)
    assert (entry.kind, entry.audience, entry.recipient_agency) == (
        DisclosureKind.LETTER,
        "client",
        "The client",
    )
    assert entry.document_sha256 == preview.sha256 == issued.sha256
    assert again == preview.data


def test_a_gp_letter_needs_a_gateway_and_nothing_is_recorded_without_one(
    db, psychologist, client_id, tmp_path
):
    text = _dna_text(kind=LetterKind.GP_UPDATE, recipient_name="Dr Smith, Demo Surgery")
    preview = _preview(db, psychologist, client_id, text)
    out = tmp_path / "letter.pdf"
    kwargs = {
        "document_id": preview.document_id,
        "issued_on": preview.issued_on,
        "expected_sha256": preview.sha256,
        "client_informed": True,
    }
    with db.transaction() as session, pytest.raises(ValidationError):
        template_letters.issue_letter(
            session, psychologist, client_id, text, out, gateway=None, **kwargs
        )
    assert not out.exists()
    with db.transaction() as session:
        template_letters.issue_letter(
            session, psychologist, client_id, text, out, gateway=Gateway.DPA_SCH1_PARA2, **kwargs
        )
    with db.session() as session:
        (entry,) = disclosures.register_for_client(session, psychologist, client_id)
    assert (entry.gateway, entry.recipient_agency) == (
        Gateway.DPA_SCH1_PARA2,
        "Dr Smith, Demo Surgery",
    )


def test_a_letter_edited_after_review_is_not_issued(db, psychologist, client_id, tmp_path):
    preview = _preview(db, psychologist, client_id, _dna_text())
    out = tmp_path / "letter.pdf"
    with db.transaction() as session, pytest.raises(ValidationError) as refused:
        template_letters.issue_letter(
            session,
            psychologist,
            client_id,
            _dna_text(body="Something else."),
            out,
            document_id=preview.document_id,
            issued_on=preview.issued_on,
            expected_sha256=preview.sha256,
            gateway=None,
        )
    assert "Review the letter again" in str(refused.value)
    assert not out.exists()
    with db.session() as session:
        assert disclosures.register_for_client(session, psychologist, client_id) == []
