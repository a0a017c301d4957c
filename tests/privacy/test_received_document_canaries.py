"""A document received from another service never leaves: not its content, its title, who
sent it or its file name, in any file the application writes.

The shared leak-test record (``canary_record.py``) has a police report attached: its title,
sender and file name hold canaries (written by the flush hook) and its content is a text
file holding one more. Every kind of file that leaves is made from that record (each
audience's partner summary and the urgent risk notification, the clinical summary, a
referral letter, a released subject access pack, a service evaluation export and a FHIR
bundle) and searched for those canaries: text, metadata and
raw bytes. As a positive control, the same canaries are read back through the service
that opens the document, so the search is for values really stored.

The client record file (for moving a record to another clinic-app database) is made from a
record of its own: the shared record's signed note and addendum hold canaries written
after their seals, which the export rightly refuses.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

from clinic_app.models import DocumentClass
from clinic_app.models.subject_access import HarmDecision, RequesterKind
from clinic_app.services import clients, documents, evaluation, fhir, interchange, referrals
from clinic_app.services import subject_access as sar
from clinic_app.services.sharing import disclosures, letters
from clinic_app.services.sharing import documents as shared
from clinic_app.services.sharing import subject_access as packs
from tests.privacy.canary_record import (
    START,
    TODAY,
    Canaries,
    Identity,
    Record,
    build,
    canaried,
)
from tests.privacy.test_partner_leaks import document_texts, export_all
from tests.unit.services.test_evaluation import add_client, fill_client

COLUMNS = ("title", "received_from", "file_name", "content")


def _record(db, psychologist, clinician, admin) -> Record:  # type: ignore[no-untyped-def]
    identity = Identity(
        "Zydocs", "Zyreceived", date(1980, 9, 9), "9434765919", "LRDOC55", "PRDOC55", "5 Zy Way"
    )
    return build(
        db, psychologist, clinician, admin, identity, Canaries("docs0001"), ["Shareable"] * 4, 3
    )


def _canaries(record: Record) -> dict[str, str]:
    return {c: record.canaries.values[f"received_document.{c}"] for c in COLUMNS}


def _outgoing(db, me, admin, record: Record, tmp: Path) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every kind of file that leaves, made from the record, as (what, searchable text)."""
    out: list[tuple[str, str]] = []

    def pdf(where: str, data: bytes) -> None:
        text, squeezed = document_texts(data)
        out.append((where, text + "\n" + squeezed))

    for audience, where, data in export_all(db, me, record, tmp):
        pdf(f"the {audience} {where}", data)
    decision = disclosures.SharingDecision(
        recipient_agency="Clinical record",
        purpose="Summary for the clinical record",
        gateway=None,
        client_informed=True,
        caldicott=disclosures.CaldicottConfirmation(True, True, True, True),
    )
    summary = tmp / "clinical.pdf"
    with db.transaction() as s:
        shared.export_clinical_summary(s, me, record.client_id, decision, summary)
        [referral, *_] = referrals.referrals_for_client(s, me, record.client_id)
        letter = letters.preview_referral_letter(s, me, referral.id)
    pdf("the clinical summary", summary.read_bytes())
    pdf("the referral letter", letter.data)
    with db.transaction() as s:
        request = sar.register_request(
            s,
            me,
            record.client_id,
            received_on=TODAY,
            requester_kind=RequesterKind.CLIENT,
            requester_name="Zydocs Zyreceived",
            identity_method="Passport seen",
            identity_checked_on=TODAY,
        )
        packs.record_review(
            s, me, request.id, decision=HarmDecision.RELEASE_IN_FULL, rationale="No harm"
        )
    with db.transaction() as s:
        packs.release_pack(s, me, request.id, tmp / "pack.pdf", tmp / "pack.json")
    pdf("the subject access pack", (tmp / "pack.pdf").read_bytes())
    out.append(("the subject access pack's JSON", (tmp / "pack.json").read_text("utf-8")))
    with db.transaction() as s:
        bundle = fhir.measures_bundle(s, me, record.client_id)
    out.append(("the FHIR bundle", bundle.text))
    with db.transaction() as s:
        for i in range(1, 6):  # enough clients at the site for it to be shown
            cid = add_client(s, me, i, start=START)
            fill_client(s, me, cid, i, start=START)
    with db.transaction() as s:
        evaluation.create_project(s, admin, "Docs")
    with db.transaction() as s:
        made = evaluation.export_evaluation(s, admin, project="Docs", start=START, end=TODAY)
    for name, data in made.files:
        if name.endswith(".pdf"):
            pdf(f"the evaluation export's {name}", data)
        else:
            out.append((f"the evaluation export's {name}", data.decode("utf-8")))
    return out


def test_no_received_document_reaches_any_file_that_leaves(
    db, psychologist, clinician, admin, tmp_path
) -> None:
    record = _record(db, psychologist, clinician, admin)
    canaries = _canaries(record)
    # Positive control: the canaries are what is stored, and the document opens.
    with db.transaction() as s:
        [row] = documents.documents_for_client(s, psychologist, record.client_id)
        opened = documents.open_document(s, psychologist, row.id)
    assert (row.title, row.received_from, row.file_name) == (
        canaries["title"],
        canaries["received_from"],
        canaries["file_name"],
    )
    assert opened.content == canaries["content"].encode()

    made = _outgoing(db, psychologist, admin, record, tmp_path)
    kinds = {where.split("'")[0].split(" ")[1] for where, _text in made}
    assert {"police", "clinical", "referral", "subject", "FHIR", "evaluation"} <= kinds
    for where, text in made:
        for column, canary in canaries.items():
            assert canary not in text, f"received_document.{column} reached {where}"
    # The pack does not name the table either: documents are left out, not emptied.
    pack = json.loads((tmp_path / "pack.json").read_text("utf-8"))["pack"]
    assert "received_document" not in json.dumps(pack["sections"])


def test_the_service_register_names_no_received_document(
    db, psychologist, clinician, admin
) -> None:
    record = _record(db, psychologist, clinician, admin)
    with db.transaction() as s:
        register = disclosures.register_csv(s, admin)
    for column, canary in _canaries(record).items():
        assert canary not in register, f"received_document.{column} in the register"
    assert io.StringIO(register).readline()  # the register was really written


def test_the_client_record_file_carries_no_received_document(db, psychologist) -> None:
    canaries = Canaries("docfile1")
    with db.transaction() as s:
        cid = clients.register_client(
            s,
            psychologist,
            clients.ClientDetails(
                local_ref="DOCFILE-1",
                given_name="Zyfile",
                family_name="Zymove",
                date_of_birth=date(1979, 1, 2),
                site="North",
                referral_date=date(2024, 1, 5),
            ),
        ).id
        with canaried(s, canaries):
            documents.add_document(
                s,
                psychologist,
                cid,
                documents.DocumentDetails("x", "x", date(2024, 2, 1), DocumentClass.CLINICAL),
                file_name="letter.txt",
                content=canaries.value("received_document", "content").encode(),
            )
        document = interchange.export_client(s, psychologist, cid)
    dumped = json.dumps(document, ensure_ascii=False)
    assert "Zymove" in dumped  # the record is there: the search is of a real file
    assert set(canaries.values) == {
        f"received_document.{c}" for c in (*COLUMNS, "entered_in_error_reason")
    }
    for column, canary in canaries.values.items():
        assert canary not in dumped, f"{column} in the client record file"
