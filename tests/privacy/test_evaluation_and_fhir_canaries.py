"""Nothing identifying or free-text leaves in an evaluation export or a FHIR bundle.

The shared leak-test record (a canary in every CLINICAL and THIRD_PARTY text column, see
``canary_record.py``) is exported with five more clients so that its site has enough
clients to be shown. A scanner then reads every file of the evaluation export (the CSV
files, the README, and the outcome report's text and metadata) and finds no name, NHS
number, date of birth, address or postcode, no reference, no canary and, in the aggregate
tables, no count under five. The FHIR bundle of the same client carries its identity (it
is for another health system) but no canary and nothing about a third party.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from clinic_app.models import Client, ThirdParty
from clinic_app.services import evaluation, fhir
from tests.privacy.canary_record import START, TODAY, Canaries, Identity, build
from tests.unit.services.test_evaluation import add_client, fill_client

POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
FULL_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b")


def _record(db, psychologist, clinician, admin):
    identity = Identity(
        "Zyfirst", "Zylast", date(1981, 5, 17), "9434765919", "LRZ1", "PRZ1", "1 Zy Road, E8 1AA"
    )
    canaries = Canaries("eval0001")
    record = build(db, psychologist, clinician, admin, identity, canaries, ["Shareable"] * 4, 6)
    with db.transaction() as s:
        for i in range(1, 6):
            cid = add_client(s, psychologist, i, start=START)
            fill_client(s, psychologist, cid, i, start=START)
    return record


def _texts(made) -> dict[str, str]:
    out = {}
    for name, data in made.files:
        if name.endswith(".pdf"):
            reader = PdfReader(io.BytesIO(data))
            words = " ".join(page.extract_text() for page in reader.pages)
            meta = " ".join(str(v) for v in (reader.metadata or {}).values())
            out[name] = f"{words}\n{meta}"
        else:
            out[name] = data.decode("utf-8")
    return out


def _identifying(db) -> list[str]:
    """Every identifying value of every client, in the forms a document could show."""
    found = []
    with db.session() as s:
        for c in s.scalars(select(Client)):
            born = c.date_of_birth
            found += [c.given_name, c.family_name, c.local_ref, c.address]
            found += [born.isoformat(), f"{born.day} {born:%B %Y}", f"{born:%d/%m/%Y}"]
            if c.police_ref:
                found.append(c.police_ref)
            if c.nhs_number:
                n = c.nhs_number
                found += [n, f"{n[:3]} {n[3:6]} {n[6:]}"]
    return [v for v in found if v]


def test_the_evaluation_export_holds_nothing_identifying_and_no_small_cell(
    db, psychologist, clinician, admin
):
    record = _record(db, psychologist, clinician, admin)
    with db.transaction() as s:
        evaluation.create_project(s, admin, "Scan")
    with db.transaction() as s:
        made = evaluation.export_evaluation(s, admin, project="Scan", start=START, end=TODAY)
    assert made.clients == 6
    identifying = _identifying(db)
    with db.session() as s:
        third = [t.name for t in s.scalars(select(ThirdParty))]
    for name, body in _texts(made).items():
        assert not record.canaries.pattern.search(body), f"a canary in {name}"
        for value in [*identifying, *third]:
            assert value not in body, f"{value!r} in {name}"
        assert not POSTCODE.search(body), f"a postcode in {name}"
        if name.endswith(".csv"):
            assert not FULL_DATE.search(body), f"a full date in {name}"
    for name, data in made.files:
        if not name.startswith("summary_"):
            continue
        reader = csv.reader(io.StringIO(data.decode("utf-8")))
        next(reader)
        for line in reader:
            for cell in line:
                if cell.isdigit():
                    assert int(cell) >= 5, f"a count under 5 in {name}: {line}"
    # The shared record's client is in the export, with its coded categories only.
    clients_rows = list(
        csv.DictReader(io.StringIO(dict(made.files)["clients.csv"].decode("utf-8")))
    )
    assert "stalking_protection_order" in {r["legal_status"] for r in clients_rows}


def test_a_fhir_bundle_carries_no_canary_and_nothing_about_a_third_party(
    db, psychologist, clinician, admin
):
    record = _record(db, psychologist, clinician, admin)
    with db.transaction() as s:
        bundle = fhir.measures_bundle(s, psychologist, record.client_id)
    assert not record.canaries.pattern.search(bundle.text)
    with db.session() as s:
        third = [t.name for t in s.scalars(select(ThirdParty))]
    assert third and not any(name in bundle.text for name in third)
    assert "1 Zy Road" not in bundle.text and "PRZ1" not in bundle.text
    # It is for another health system: the client is identified, by NHS number.
    patient = json.loads(bundle.text)["entry"][0]["resource"]
    assert patient["identifier"][0]["value"] == record.identity.nhs_number
