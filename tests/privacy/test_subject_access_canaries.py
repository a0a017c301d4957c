"""A subject access pack holds the client's whole record, but nothing about a third party
unless that person agreed to be named, and every removal is in its redaction log.

The record is the shared canary record (tests/privacy/canary_record.py): a canary in every
CLINICAL and THIRD_PARTY text column. A session note also names the victim and where she
lives, and names a second person who agreed to be named (and where they live). The pack is
released through the service and read back: the PDF (text, metadata and bytes) and the JSON.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from clinic_app.models import Base, Privacy, privacy_of
from clinic_app.models.enums import Attendance, Modality, ThirdPartyRelation
from clinic_app.models.subject_access import HarmDecision, RequesterKind
from clinic_app.services import notes, third_parties
from clinic_app.services import subject_access as sar
from clinic_app.services.sharing import subject_access as packs
from clinic_app.services.sharing.redaction import MARKER
from tests.privacy.canary_record import TODAY, Canaries, Identity, Record, build
from tests.privacy.test_partner_leaks import document_texts

CONSENTER = third_parties.ThirdPartyInput(
    relation=ThirdPartyRelation.VICTIM_FAMILY,
    name="Zyconsenter Smith",
    aliases=("Zyconnick",),
    addresses=("12 Zyconsent Road, Zytown",),
    phones=("07700 900123",),
    details="Zyconsdetail about them",
)
ALWAYS_WITHHELD = ("Zyconsent Road", "Zytown", "07700 900123", "Zyconsdetail")


def _third_party_canaries(record: Record) -> dict[str, str]:
    found = {}
    for column, canary in record.canaries.values.items():
        table, name = column.split(".")
        if privacy_of(Base.metadata.tables[table].columns[name]) is Privacy.THIRD_PARTY:
            found[column] = canary
    return found


def _released(db, me, other, admin, tmp_path: Path, *, victim_consents: bool):  # type: ignore[no-untyped-def]
    identity = Identity(
        "Zysar", "Zysubject", date(1983, 2, 1), "9434765919", "LRSAR771", "PRSAR772", "4 Zy Row"
    )
    record = build(db, me, other, admin, identity, Canaries("sar00001"), ["Shareable"] * 4, 3)
    victim_name = record.canaries.values["third_party.name"]
    victim_place = record.canaries.values["third_party.addresses"]
    with db.transaction() as s:
        victim = third_parties.third_parties_for_client(s, me, record.client_id)[0]
        consenter = third_parties.add_third_party(s, me, record.client_id, CONSENTER)
        third_parties.record_disclosure_consent(s, me, consenter.id, given_on=TODAY)
        if victim_consents:
            third_parties.record_disclosure_consent(s, me, victim.id, given_on=TODAY)
        notes.create_draft(
            s,
            me,
            record.client_id,
            notes.NoteContent(
                session_date=TODAY,
                duration_minutes=50,
                modality=Modality.IN_PERSON,
                attendance=Attendance.ATTENDED,
                agenda=f"Spoke of {victim_name} and of going past {victim_place} again.",
                homework="Zyconsenter Smith (Zyconnick) of 12 Zyconsent Road rang.",
            ),
        )
        request = sar.register_request(
            s,
            me,
            record.client_id,
            received_on=TODAY,
            requester_kind=RequesterKind.CLIENT,
            requester_name="Zysar Zysubject",
            identity_method="Passport seen",
            identity_checked_on=TODAY,
        )
        packs.record_review(
            s, me, request.id, decision=HarmDecision.RELEASE_IN_FULL, rationale="No harm"
        )
    with db.transaction() as s:
        packs.release_pack(s, me, request.id, tmp_path / "pack.pdf", tmp_path / "pack.json")
    pdf_text, pdf_squeezed = document_texts((tmp_path / "pack.pdf").read_bytes())
    raw_json = (tmp_path / "pack.json").read_text(encoding="utf-8")
    return record, pdf_text, pdf_squeezed, raw_json, json.loads(raw_json)["pack"]


def _assert_every_removal_logged(pack: dict[str, Any]) -> None:
    log = pack["redaction_log"]
    for entry in log:
        assert entry["exemption"] == "dpa-sch2-pt3-para16"
        assert "Schedule 2 Part 3 paragraph 16" in entry["exemption_words"]
        assert entry["reason"]
    logged: dict[str, int] = {}
    for entry in log:
        logged[entry["where"]] = logged.get(entry["where"], 0) + 1
    for section in pack["sections"]:
        for item in section["items"]:
            for field in item["fields"]:
                count = (field["value"] or "").count(MARKER)
                if count:
                    where = f"{item['heading']}: {field['label']}"
                    assert logged.pop(where, 0) == count, f"{where}: removals not all logged"
    # What is left in the log are whole people and orders, never a field's text.
    assert all(not re.search(r": ", where) for where in logged), logged
    assert "Person 1" in logged and "Person 2" in logged
    assert any(w.startswith("Protective measure 1 for Person 1") for w in logged)


def test_no_third_party_canary_in_a_subject_access_pack(
    db, psychologist, clinician, admin, tmp_path
) -> None:
    record, pdf_text, pdf_squeezed, raw_json, pack = _released(
        db, psychologist, clinician, admin, tmp_path, victim_consents=False
    )
    canaries = _third_party_canaries(record)
    assert {c.split(".")[0] for c in canaries} >= {"third_party", "protective_measure"}
    for column, canary in canaries.items():
        assert canary not in pdf_text and canary not in pdf_squeezed, f"{column} in the PDF"
        assert canary not in raw_json, f"{column} in the JSON"
    # The one who agreed is named, in the text and in their own entry; never where they live.
    assert "Zyconsenter Smith" in raw_json and "Zyconsenter Smith" in pdf_text
    for detail in ALWAYS_WITHHELD:
        assert detail not in raw_json and detail not in pdf_text, detail
    # The victim's name and place were taken out of the note, and each removal is logged.
    assert MARKER in raw_json
    _assert_every_removal_logged(pack)
    # It is the whole clinical record: clinical canaries are there (a positive control).
    for column in ("session_note.agenda", "plan_revision.formulation", "risk_event.detail"):
        assert record.canaries.values[column] in raw_json, column
    assert record.canaries.values["session_note.agenda"] in pdf_squeezed


def test_a_third_party_who_agreed_is_named_but_never_located(
    db, psychologist, clinician, admin, tmp_path
) -> None:
    record, _pdf_text, pdf_squeezed, raw_json, pack = _released(
        db, psychologist, clinician, admin, tmp_path, victim_consents=True
    )
    named = {"third_party.name", "third_party.aliases"}
    for column, canary in _third_party_canaries(record).items():
        if column in named:
            assert canary in raw_json and canary in pdf_squeezed, f"{column} missing"
        else:
            assert canary not in raw_json and canary not in pdf_squeezed, f"{column} given"
    _assert_every_removal_logged(pack)
