"""Clinical documents (a clinical summary, a referral letter) carry clinical text by design,
but nothing recorded about a third party: a canary in every THIRD_PARTY column of the
record, and none of them in the document's pages, metadata or bytes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from clinic_app.models import Base, Privacy, privacy_of
from clinic_app.services import referrals
from clinic_app.services.sharing import disclosures, documents, letters
from tests.privacy.canary_record import Canaries, Identity, Record, build
from tests.privacy.test_partner_leaks import document_texts

CALDICOTT = disclosures.CaldicottConfirmation(
    necessary=True, minimum=True, relevant=True, accurate=True
)


def _third_party_canaries(record: Record) -> dict[str, str]:
    found = {}
    for column, canary in record.canaries.values.items():
        table, name = column.split(".")
        if privacy_of(Base.metadata.tables[table].columns[name]) is Privacy.THIRD_PARTY:
            found[column] = canary
    return found


def _record(db, psychologist, clinician, admin) -> Record:  # type: ignore[no-untyped-def]
    identity = Identity(
        "Zyclin", "Zydoc", date(1982, 6, 3), "9434765919", "LRCLIN77", "PRCLIN77", "3 Zy Row"
    )
    return build(
        db, psychologist, clinician, admin, identity, Canaries("clin0001"), ["Shareable"] * 4, 4
    )


def _assert_no_third_party(data: bytes, canaries: dict[str, str], where: str) -> None:
    text, squeezed = document_texts(data)
    assert "Zydoc" in text, f"{where} could not be read"  # the client is named: reading works
    for column, canary in canaries.items():
        assert canary not in text and canary not in squeezed, f"{column} reached {where}"


def test_no_third_party_canary_in_a_clinical_summary(
    db, psychologist, clinician, admin, tmp_path: Path
) -> None:
    record = _record(db, psychologist, clinician, admin)
    canaries = _third_party_canaries(record)
    # Every THIRD_PARTY text column of the third party and protection tables is covered.
    assert {c.split(".")[0] for c in canaries} >= {"third_party", "protective_measure"}
    decision = disclosures.SharingDecision(
        recipient_agency="Clinical record",
        purpose="Summary for the clinical record",
        gateway=None,
        client_informed=True,
        caldicott=CALDICOTT,
    )
    out = tmp_path / "clinical.pdf"
    with db.transaction() as s:
        documents.export_clinical_summary(s, psychologist, record.client_id, decision, out)
    _assert_no_third_party(out.read_bytes(), canaries, "the clinical summary")


def test_no_third_party_canary_in_a_referral_letter(db, psychologist, clinician, admin) -> None:
    record = _record(db, psychologist, clinician, admin)
    canaries = _third_party_canaries(record)
    with db.transaction() as s:
        [referral, *_] = referrals.referrals_for_client(s, psychologist, record.client_id)
        preview = letters.preview_referral_letter(s, psychologist, referral.id)
    _assert_no_third_party(preview.data, canaries, "the referral letter")
