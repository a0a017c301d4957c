"""Measures as FHIR R4: every shipped measure round-trips as valid resources whose scores are
the application's own, the licence decides what wording leaves, and refusals write nothing.

Structural validation uses the ``fhir.resources`` models (R4B, the release of R4 that library
ships; Patient, Practitioner, Questionnaire, QuestionnaireResponse, Observation and Bundle
are the same in R4 and R4B).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from sqlalchemy import func, select

from clinic_app import cli
from clinic_app.errors import AccessDenied
from clinic_app.measures.definitions import shipped_definitions
from clinic_app.models import AuditEvent
from clinic_app.services import fhir, measure_definitions, measures
from clinic_app.storage.keys import CredentialStore
from tests.conftest import STAFF_PASSWORD, own_password
from tests.unit.services.test_measure_services import example_text

TODAY = date(2026, 5, 1)
NOW = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)


def _give(db, me, client_id, definition, value_of, on=TODAY):
    answers = {
        item.number: item.values[value_of(item.number) % len(item.values)]
        for item in definition.items
    }
    with db.transaction() as s:
        return measures.record_administration(
            s,
            me,
            client_id,
            measure_id=definition.id,
            measure_version=definition.version,
            administered_on=on,
            answers=answers,
            today=TODAY,
        )


def _bundle(db, me, client_id) -> dict:
    with db.transaction() as s:
        made = fhir.measures_bundle(s, me, client_id, now=NOW)
    Bundle.model_validate_json(made.text)  # structurally valid FHIR, or this raises
    return json.loads(made.text)


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_every_shipped_measure_exports_as_valid_fhir_with_the_applications_scores(
    db, psychologist, client_id
):
    given = {}
    for definition in shipped_definitions():
        row = _give(db, psychologist, client_id, definition, lambda n: n * 7 + 1)
        given[row.id] = (definition, row)
    bundle = _bundle(db, psychologist, client_id)
    assert bundle["type"] == "collection"

    [patient] = _resources(bundle, "Patient")
    assert patient["identifier"][0]["system"] == "https://fhir.nhs.uk/Id/nhs-number"
    assert patient["identifier"][0]["value"] == "9434765919"
    assert patient["meta"]["profile"] == [fhir.PROFILES["Patient"]]
    assert "address" not in patient

    responses = _resources(bundle, "QuestionnaireResponse")
    observations = _resources(bundle, "Observation")
    questionnaires = {(q["url"], q["version"]): q for q in _resources(bundle, "Questionnaire")}
    assert len(responses) == len(given)
    by_response = {}
    for obs in observations:
        [source] = obs["derivedFrom"]
        by_response.setdefault(source["reference"], []).append(obs)
    urls = {e["resource"]["id"]: e["fullUrl"] for e in bundle["entry"]}
    # Responses come in the order given (all on one day): by administration.
    for (definition, row), response in zip(given.values(), responses, strict=True):
        url, version = response["questionnaire"].split("|")
        questionnaire = questionnaires[(url, version)]
        # Stable link ids: item n is item-n, in the questionnaire and in the response.
        assert [i["linkId"] for i in questionnaire["item"]] == [
            f"item-{n}" for n in range(1, definition.item_count + 1)
        ]
        assert [i["linkId"] for i in response["item"]] == [
            i["linkId"] for i in questionnaire["item"]
        ]
        answers = {
            int(i["linkId"].removeprefix("item-")): int(i["answer"][0]["valueCoding"]["code"])
            for i in response["item"]
            if "answer" in i
        }
        assert answers == dict(row.answers)
        assert response["subject"]["reference"] == urls[patient["id"]]
        assert response["authored"] == TODAY.isoformat()
        assert "author" in response and response["status"] == "completed"
        # The totals and subscale scores are exactly the application's.
        scored = row.score
        assert scored is not None
        found = {
            o["code"]["coding"][-1]["code"]: o["valueQuantity"]["value"]
            for o in by_response[urls[response["id"]]]
        }
        expected = {f"{definition.id}-total": scored.total} | {
            f"{definition.id}-{s.id}": s.total for s in scored.subscales if s.total is not None
        }
        assert found == pytest.approx(expected)


def test_the_phq9_total_carries_its_loinc_code_and_band(db, psychologist, client_id):
    phq9 = next(d for d in shipped_definitions() if d.id == "phq-9")
    _give(db, psychologist, client_id, phq9, lambda n: 1)  # 9 x 1 = 9: mild
    bundle = _bundle(db, psychologist, client_id)
    [total] = _resources(bundle, "Observation")
    assert total["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "44261-6",
        "display": fhir.LOINC_TOTALS["phq-9"][1],
    }
    assert total["valueQuantity"]["value"] == 9
    assert total["interpretation"] == [{"text": "Mild"}]
    assert total["category"][0]["coding"][0]["code"] == "survey"


def test_a_questionnaire_for_every_shipped_measure_validates():
    made = fhir.shipped_questionnaires()
    assert len(made) == len(shipped_definitions())
    for resource in made:
        parsed = Questionnaire.model_validate(resource)
        assert parsed.url.startswith(fhir.CANONICAL_BASE)
        assert all(i.text for i in parsed.item)  # shipped wording may be copied
    core = next(q for q in made if q["url"].endswith("/core-10"))
    assert "CORE System Trust" in core["copyright"]
    assert "Not for commercial use." in core["copyright"]


def _import(db, admin, **licence):
    doc = json.loads(example_text())
    doc["licence"].update(licence)
    with db.transaction() as s:
        measure_definitions.import_definition(s, admin, json.dumps(doc))
    return doc


def test_a_clinics_licensed_measure_sends_no_wording(db, admin, psychologist, client_id):
    doc = _import(db, admin, licence="Licensed to North Clinic for its own use")
    with db.session() as s:
        definition = measure_definitions.known_definition(s, doc["id"], doc["version"])
    assert definition is not None and not fhir.wording_may_leave(definition)
    _give(db, psychologist, client_id, definition, lambda n: n)
    text = json.dumps(_bundle(db, psychologist, client_id))
    for item in definition.items:
        assert item.text not in text
        for option in item.options:
            assert f'"display": "{option.label}"' not in text
    assert "Item and answer wording withheld" in text


def test_a_clinics_openly_licensed_measure_sends_its_wording(db, admin, psychologist, client_id):
    doc = _import(db, admin, licence="CC BY 4.0")
    with db.session() as s:
        definition = measure_definitions.known_definition(s, doc["id"], doc["version"])
    _give(db, psychologist, client_id, definition, lambda n: n)
    text = json.dumps(_bundle(db, psychologist, client_id))
    assert all(item.text in text for item in definition.items)


def test_an_administrator_cannot_export_clinical_answers(db, admin, psychologist, client_id):
    _give(db, psychologist, client_id, shipped_definitions()[0], lambda n: 0)
    with db.transaction() as s, pytest.raises(AccessDenied):
        fhir.measures_bundle(s, admin, client_id)


def test_nothing_to_export_is_said_plainly_and_not_audited(db, psychologist, client_id):
    with db.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    with db.transaction() as s, pytest.raises(fhir.NothingToExport) as caught:
        fhir.measures_bundle(s, psychologist, client_id)
    assert "MASIP-0001 has no completed measures" in caught.value.message
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_the_export_is_audited_with_its_hash(db, psychologist, client_id):
    _give(db, psychologist, client_id, shipped_definitions()[0], lambda n: 0)
    with db.transaction() as s:
        made = fhir.measures_bundle(s, psychologist, client_id, now=NOW)
    with db.session() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.entity == "fhir_bundle" and event.detail["sha256"] == made.sha256


# -- the command line ---------------------------------------------------------------------------


def _cli(db, *args):
    own_password(db, "dr.jones")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        [*args, "--db", str(db.path), "--user", "dr.jones", "--password-stdin"],
        stdin=io.StringIO(STAFF_PASSWORD + "\n"),
        stdout=out,
        stderr=err,
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def keyed(db, db_key):
    CredentialStore().put(db.path, db_key)
    return db


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_the_command_writes_a_valid_bundle(keyed, psychologist, client_id, tmp_path):
    _give(keyed, psychologist, client_id, shipped_definitions()[0], lambda n: 2)
    out = tmp_path / "out" / "measures.json"
    code, said, err = _cli(keyed, "fhir", "export", "--client", "MASIP-0001", "--out", str(out))
    assert code == 0, err
    assert "Exported 1 measure administrations of client MASIP-0001" in said
    Bundle.model_validate_json(out.read_text(encoding="utf-8"))


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("NOPE-1", "There is no client with the case reference 'NOPE-1'."),
        ("MASIP-0001", "has no completed measures"),
    ],
)
def test_the_command_refuses_plainly_and_writes_nothing(
    keyed, psychologist, client_id, tmp_path, reference, message
):
    out = tmp_path / "measures.json"
    code, _said, err = _cli(keyed, "fhir", "export", "--client", reference, "--out", str(out))
    assert code == 1 and message in err and "Traceback" not in err
    assert not out.exists()


def test_the_parser_loads_no_measure_or_fhir_code():
    import subprocess
    import sys

    probe = (
        "import sys; from clinic_app import cli; cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith(('clinic_app.services.fhir', "
        "'clinic_app.services.evaluation', 'clinic_app.measures', 'reportlab'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_answers_that_cannot_be_scored_go_without_a_score(db, psychologist, client_id):
    phq9 = next(d for d in shipped_definitions() if d.id == "phq-9")
    with db.transaction() as s:
        measures.record_administration(
            s,
            psychologist,
            client_id,
            measure_id="phq-9",
            measure_version=phq9.version,
            administered_on=TODAY,
            answers={1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: None, 8: None, 9: None},
            today=TODAY,
        )
    bundle = _bundle(db, psychologist, client_id)
    [response] = _resources(bundle, "QuestionnaireResponse")
    assert [i["linkId"] for i in response["item"] if "answer" not in i] == [
        "item-7",
        "item-8",
        "item-9",
    ]
    assert _resources(bundle, "Observation") == []


def test_the_same_record_at_the_same_moment_gives_the_same_bytes(db, psychologist, client_id):
    _give(db, psychologist, client_id, shipped_definitions()[0], lambda n: 1)
    with db.transaction() as s:
        first = fhir.measures_bundle(s, psychologist, client_id, now=NOW)
    with db.transaction() as s:
        again = fhir.measures_bundle(s, psychologist, client_id, now=NOW)
    assert first.sha256 == again.sha256
