"""Letters from templates: no clinical or third-party canary reaches a letter by filling it,
and a third party's recorded details typed into a letter are refused, whoever it goes to.

The record has a canary in every CLINICAL and THIRD_PARTY text column
(tests/privacy/canary_record.py). Every placeholder is used at once, so a placeholder that
read one of those columns would put its canary on the page.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from clinic_app.errors import ValidationError
from clinic_app.models import Base, Privacy, privacy_of
from clinic_app.models.enums import DisclosureKind, Gateway, LetterKind
from clinic_app.services.sharing import disclosures, template_letters
from clinic_app.services.sharing.letter_templates import PLACEHOLDERS, set_template
from tests.privacy.canary_record import Canaries, Identity, Record, build
from tests.privacy.test_partner_leaks import document_texts

EVERY_PLACEHOLDER = " ".join("{" + name + "}" for name in PLACEHOLDERS)
IDENTIFIERS = ("name", "aliases", "addresses", "emails", "vehicles")
"""The third_party columns the gate matches a letter's text against. Phones are matched by
their digits, which a canary has none of: tests/unit/services/sharing/test_template_letters.py
refuses a recorded phone number typed with or without its spaces."""


@pytest.fixture
def record(db, psychologist, clinician, admin) -> Record:
    identity = Identity(
        "Zyletter", "Zywriter", date(1980, 2, 3), "9434765919", "LRLET01", "PRLET01", "5 Zy Lane"
    )
    built = build(
        db, psychologist, clinician, admin, identity, Canaries("let0001"), ["Shareable"] * 4, 4
    )
    with db.transaction() as session:
        for kind in LetterKind:
            set_template(
                session,
                admin,
                kind,
                salutation="Dear {client_name},",
                body=EVERY_PLACEHOLDER,
                sign_off="Yours sincerely, {clinician_name}",
            )
    return built


def _filled(text: template_letters.LetterText) -> template_letters.LetterText:
    """The clinician fills in what the record could not (a job title, an appointment)."""
    body = template_letters.UNFILLED.sub("filled in", text.body)
    return replace(text, recipient_name=text.recipient_name or "Dr Smith, Demo Surgery", body=body)


@pytest.mark.parametrize("kind", list(LetterKind))
def test_no_canary_reaches_a_letter_filled_from_every_placeholder(
    db, psychologist, record, kind, tmp_path: Path
):
    with db.session() as session:
        draft = template_letters.draft_letter(session, psychologist, record.client_id, kind)
    parts = (draft.text.recipient_name, draft.text.recipient_address, draft.text.salutation)
    drafted = " ".join((*parts, draft.text.body, draft.text.sign_off))
    assert record.canaries.pattern.search(drafted) is None
    text = _filled(draft.text)
    with db.session() as session:
        preview = template_letters.preview_letter(session, psychologist, record.client_id, text)
    out = tmp_path / "letter.pdf"
    with db.transaction() as session:
        template_letters.issue_letter(
            session,
            psychologist,
            record.client_id,
            text,
            out,
            document_id=preview.document_id,
            issued_on=preview.issued_on,
            expected_sha256=preview.sha256,
            gateway=Gateway.DPA_SCH1_PARA2,
            client_informed=True,
        )
    written, squeezed = document_texts(out.read_bytes())
    assert "Zywriter" in written  # the letter names its client: reading the PDF works
    for column, canary in record.canaries.values.items():
        assert canary not in written and canary not in squeezed, f"{column} reached the letter"
    with db.session() as session:
        entries = disclosures.register_for_client(session, psychologist, record.client_id)
        [letter] = [e for e in entries if e.kind is DisclosureKind.LETTER]
        stored = disclosures.stored_document(session, psychologist, letter.id)
    assert record.canaries.pattern.search(repr(stored.payload)) is None


def _third_party_identifiers(record: Record) -> dict[str, str]:
    found = {}
    for column, canary in record.canaries.values.items():
        table, name = column.split(".")
        is_third_party = (
            privacy_of(Base.metadata.tables[table].columns[name]) is Privacy.THIRD_PARTY
        )
        if is_third_party and table == "third_party" and name in IDENTIFIERS:
            found[column] = canary
    return found


@pytest.mark.parametrize("kind", list(LetterKind))
def test_a_third_partys_recorded_detail_typed_into_a_letter_is_refused(
    db, psychologist, record, kind
):
    canaries = _third_party_identifiers(record)
    assert {c.split(".")[1] for c in canaries} >= {"name", "addresses"}
    for column, canary in canaries.items():
        text = template_letters.LetterText(
            kind=kind,
            recipient_name="Dr Smith, Demo Surgery",
            recipient_address="",
            salutation="Dear colleague,",
            body=f"Please note {canary} in this letter.",
            sign_off="Yours sincerely,",
        )
        with db.session() as session, pytest.raises(ValidationError) as refused:
            template_letters.preview_letter(session, psychologist, record.client_id, text)
        assert "never leave the service" in str(refused.value), column
        assert canary not in str(refused.value)
