"""Self-report measures as FHIR R4: questionnaires, responses and their scores.

Other NHS systems speak FHIR, so a client's measure results can leave the application as
one FHIR R4 ``Bundle`` (type ``collection``):

- the ``Patient``, identified by the NHS number under ``https://fhir.nhs.uk/Id/nhs-number``
  (the minimum another system needs to match the record: NHS number, name and date of
  birth; never the address, police reference or anything about a third party);
- a ``Practitioner`` for each member of staff who entered answers (their display name,
  which is SHAREABLE);
- a ``Questionnaire`` for each measure version given, with stable ``linkId``s: item *n*
  of every measure is ``item-n`` in every version, so responses to comparable versions
  line up;
- for each administration, a ``QuestionnaireResponse`` with the answers as given, and an
  ``Observation`` for its total and one for each subscale score, each ``derivedFrom`` the
  response. Scores are computed by ``clinic_app.measures.scoring``, exactly as the
  application shows them, never stored or typed in.

What leaves, and why it is safe:

- Item answers and scores are CLINICAL, so this is a clinical export for another health
  system, like the record export: only a clinical user with access to the client may make
  it, and it is audited with the bundle's SHA-256.
- No free text written about the client is read at all: not notes, not a critical-item
  review's reason, not the goals behind the Goal-Based Outcomes (the questionnaire's own
  "Goal 1" wording is what is sent). The only words in the bundle come from the measure
  definition, the client's name and the staff member's display name.
- Nothing THIRD_PARTY is read.
- Wording follows the definition's licence: the measures shipped with the app may be
  reproduced, so their items and answers are sent verbatim with their copyright line. A
  clinic's own (usually licensed) measure sends its item and answer wording only when its
  licence is one that allows copying (Creative Commons, public domain, Open Government
  Licence); otherwise the questionnaire and responses carry link ids and answer codes
  only, with the licence named, and the scores.

Profiles: the UK Core profiles' must-support elements are filled where the record holds
them (``meta.profile``, identifiers, status, subject, authored, author, source,
effective date, performer). ``CANONICAL_BASE`` is not resolvable (the ``.invalid`` domain):
a site that publishes its questionnaires replaces it.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import ClinicError
from clinic_app.measures.definitions import MeasureDefinition, Origin, shipped_definitions
from clinic_app.measures.scoring import Score
from clinic_app.models import Client, StaffUser
from clinic_app.models.enums import MeasureMode
from clinic_app.services import audit
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.measures import AdministrationResult, results_for_client

NHS_NUMBER_SYSTEM: Final = "https://fhir.nhs.uk/Id/nhs-number"
CANONICAL_BASE: Final = "https://clinic-app.invalid/fhir"
UK_CORE: Final = "https://fhir.hl7.org.uk/StructureDefinition/"
PROFILES: Final = {
    "Patient": UK_CORE + "UKCore-Patient",
    "Practitioner": UK_CORE + "UKCore-Practitioner",
    "Questionnaire": UK_CORE + "UKCore-Questionnaire",
    "QuestionnaireResponse": UK_CORE + "UKCore-QuestionnaireResponse",
    "Observation": UK_CORE + "UKCore-Observation",
}
NHS_NUMBER_VERIFICATION: Final = (
    UK_CORE + "Extension-UKCore-NHSNumberVerificationStatus",
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
)
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM: Final = "http://unitsofmeasure.org"
LOINC: Final = "http://loinc.org"
URI_IDENTIFIER: Final = "urn:ietf:rfc:3986"

# LOINC codes for the totals of the shipped measures that have one (the other totals are
# coded in the application's own code system only).
LOINC_TOTALS: Final = {
    "phq-9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad-7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
    "audit-c": ("75626-2", "Total score [AUDIT-C]"),
}

# A clinic-supplied measure's wording is copied out only under a licence that allows it.
_OPEN_LICENCE = re.compile(
    r"\b(cc[ -]by|creative commons|public domain|open government licence|ogl)\b", re.IGNORECASE
)

# Deterministic resource ids: the same record and the same moment give the same bytes.
_NAMESPACE: Final = uuid.UUID("6f1d8a52-3c1e-4c59-9a53-9f1f0b6f6d11")


class NothingToExport(ClinicError):
    """The client has no measure administrations to export."""


@dataclass(frozen=True)
class FhirBundle:
    """One client's measures as a FHIR R4 Bundle, as JSON text, with what it holds."""

    text: str
    sha256: str
    questionnaires: int
    responses: int
    observations: int


def wording_may_leave(definition: MeasureDefinition) -> bool:
    """Whether the definition's item and answer wording may be copied into an export.

    The shipped measures may (their licences allow reproduction verbatim). A clinic's own
    measure only when its licence is an open one that allows copying.
    """
    if definition.origin is Origin.SHIPPED:
        return True
    return bool(_OPEN_LICENCE.search(definition.licence.licence))


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def _urn(resource: dict[str, Any]) -> str:
    return f"urn:uuid:{resource['id']}"


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def questionnaire_url(measure_id: str) -> str:
    return f"{CANONICAL_BASE}/Questionnaire/{measure_id}"


def answers_system(measure_id: str) -> str:
    return f"{CANONICAL_BASE}/CodeSystem/{measure_id}-answers"


def scores_system() -> str:
    return f"{CANONICAL_BASE}/CodeSystem/measure-scores"


def link_id(item_number: int) -> str:
    """The stable linkId of item ``item_number`` (from 1) of any measure and version."""
    return f"item-{item_number}"


def _computable_name(definition: MeasureDefinition) -> str:
    name = re.sub(r"[^A-Za-z0-9]", "", definition.short_title or definition.id)
    return name if name[:1].isupper() else "Measure" + name


def _copyright(definition: MeasureDefinition) -> str:
    licence = definition.licence
    parts = [licence.copyright_line, f"Licence: {licence.licence}."]
    if not licence.commercial_use:
        parts.append("Not for commercial use.")
    if not wording_may_leave(definition):
        parts.append(
            "Item and answer wording withheld: the licence does not allow it to be copied."
        )
    return " ".join(p for p in parts if p)


def questionnaire(definition: MeasureDefinition) -> dict[str, Any]:
    """The FHIR Questionnaire of one measure version, with stable linkIds."""
    wording = wording_may_leave(definition)
    items: list[dict[str, Any]] = []
    for item in definition.items:
        entry: dict[str, Any] = {"linkId": link_id(item.number), "type": "choice"}
        if wording:
            entry["text"] = item.text
        entry["answerOption"] = [
            {
                "valueCoding": {
                    "system": answers_system(definition.id),
                    "code": str(option.value),
                    **({"display": option.label} if wording else {}),
                }
            }
            for option in item.options
        ]
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": _uuid("questionnaire", definition.id, definition.version),
        "meta": {"profile": [PROFILES["Questionnaire"]]},
        "url": questionnaire_url(definition.id),
        "identifier": [
            {
                "system": URI_IDENTIFIER,
                "value": f"urn:sha256:{definition.content_sha256}",
            }
        ],
        "version": definition.version,
        "name": _computable_name(definition),
        "title": definition.title,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": definition.licence.attribution or definition.source,
        "copyright": _copyright(definition),
        "item": items,
    }
    if wording and definition.instructions:
        resource["description"] = definition.instructions
    return resource


def shipped_questionnaires() -> tuple[dict[str, Any], ...]:
    """A Questionnaire for every version of every measure shipped with the application."""
    return tuple(questionnaire(d) for d in shipped_definitions())


def _salt(client: Client) -> str:
    """What makes this client's resource ids unique beyond this database: internal ids
    repeat from one installation to the next, the reference and creation moment do not."""
    return f"{client.local_ref}|{client.created_at.isoformat()}"


def _patient(client: Client) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": _uuid("patient", client.id, _salt(client)),
        "meta": {"profile": [PROFILES["Patient"]]},
    }
    if client.nhs_number:
        # Numbers starting 999 are test numbers and never verified (DOMAIN.md).
        verified = not client.is_demo and not client.nhs_number.startswith("999")
        resource["identifier"] = [
            {
                "extension": [
                    {
                        "url": NHS_NUMBER_VERIFICATION[0],
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": NHS_NUMBER_VERIFICATION[1],
                                    "code": "01" if verified else "02",
                                    "display": "Number present and verified"
                                    if verified
                                    else "Number present but not traced",
                                }
                            ]
                        },
                    }
                ],
                "system": NHS_NUMBER_SYSTEM,
                "value": client.nhs_number,
            }
        ]
    resource["name"] = [
        {"use": "official", "family": client.family_name, "given": [client.given_name]}
    ]
    resource["birthDate"] = client.date_of_birth.isoformat()
    return resource


def _practitioner(staff_id: int, display_name: str, salt: str) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": _uuid("practitioner", staff_id, salt),
        "meta": {"profile": [PROFILES["Practitioner"]]},
        "name": [{"text": display_name}],
    }


def _response(
    result: AdministrationResult,
    definition: MeasureDefinition,
    patient: dict[str, Any],
    author: dict[str, Any] | None,
    salt: str,
) -> dict[str, Any]:
    row = result.administration
    ident = _uuid("response", row.id, salt)
    wording = wording_may_leave(definition)
    answers = dict(row.answers)
    items: list[dict[str, Any]] = []
    for item in definition.items:
        entry: dict[str, Any] = {"linkId": link_id(item.number)}
        if wording:
            entry["text"] = item.text
        value = answers.get(item.number)
        if value is not None:
            coding: dict[str, Any] = {"system": answers_system(definition.id), "code": str(value)}
            label = item.label_for(value)
            if wording and label is not None:
                coding["display"] = label
            entry["answer"] = [{"valueCoding": coding}]
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": ident,
        "meta": {"profile": [PROFILES["QuestionnaireResponse"]]},
        "identifier": {"system": URI_IDENTIFIER, "value": f"urn:uuid:{ident}"},
        "questionnaire": f"{questionnaire_url(definition.id)}|{definition.version}",
        "status": "completed",
        "subject": {"reference": _urn(patient)},
        "authored": row.administered_on.isoformat(),
    }
    if author is not None:
        resource["author"] = {"reference": _urn(author)}
    if row.mode is MeasureMode.SELF_COMPLETION:
        resource["source"] = {"reference": _urn(patient)}
    resource["item"] = items
    return resource


def _observation(
    *,
    ident: str,
    definition: MeasureDefinition,
    code: str,
    display: str,
    value: float,
    interpretation: str | None,
    response: dict[str, Any],
    patient: dict[str, Any],
    performer: dict[str, Any] | None,
    when: str,
) -> dict[str, Any]:
    codings = [{"system": scores_system(), "code": code, "display": display}]
    if code == f"{definition.id}-total" and definition.id in LOINC_TOTALS:
        loinc, loinc_display = LOINC_TOTALS[definition.id]
        codings.insert(0, {"system": LOINC, "code": loinc, "display": loinc_display})
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ident,
        "meta": {"profile": [PROFILES["Observation"]]},
        "identifier": [{"system": URI_IDENTIFIER, "value": f"urn:uuid:{ident}"}],
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {"coding": codings, "text": display},
        "subject": {"reference": _urn(patient)},
        "effectiveDateTime": when,
    }
    if performer is not None:
        resource["performer"] = [{"reference": _urn(performer)}]
    resource["valueQuantity"] = {
        "value": _number(value),
        "unit": "score",
        "system": UCUM,
        "code": "{score}",
    }
    if interpretation:
        resource["interpretation"] = [{"text": interpretation}]
    resource["derivedFrom"] = [{"reference": _urn(response)}]
    return resource


def _observations(
    score: Score,
    *,
    definition: MeasureDefinition,
    response: dict[str, Any],
    patient: dict[str, Any],
    performer: dict[str, Any] | None,
    admin_id: int,
    salt: str,
) -> list[dict[str, Any]]:
    when = response["authored"]
    out = [
        _observation(
            ident=_uuid("observation", admin_id, "total", salt),
            definition=definition,
            code=f"{definition.id}-total",
            display=f"{definition.short_title} total score",
            value=score.total,
            interpretation=score.band,
            response=response,
            patient=patient,
            performer=performer,
            when=when,
        )
    ]
    for sub in score.subscales:
        if sub.total is None:
            continue
        out.append(
            _observation(
                ident=_uuid("observation", admin_id, sub.id, salt),
                definition=definition,
                code=f"{definition.id}-{sub.id}",
                display=f"{definition.short_title} {sub.title} score",
                value=sub.total,
                interpretation=None,
                response=response,
                patient=patient,
                performer=performer,
                when=when,
            )
        )
    return out


def _entries(resources: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"fullUrl": _urn(r), "resource": r} for r in resources]


def measures_bundle(
    session: Session, by: StaffRef, client_id: int, *, now: datetime | None = None
) -> FhirBundle:
    """Every measure administration of the client as one FHIR R4 collection Bundle.

    Only a clinical user with access to the client may export it; the export is audited
    with the bundle's SHA-256 (ids and counts only). An administration whose definition
    version is unknown here cannot be described and is left out; one whose answers cannot
    be scored is sent as its response without score observations. A client with no
    administrations is refused (``NothingToExport``).
    """
    require_clinical_access(session, by, client_id)
    client = get_or_raise(session, Client, client_id, "client")
    results = [
        result
        for measure in results_for_client(session, by, client_id)
        for result in measure.administrations
        if result.definition is not None
    ]
    if not results:
        raise NothingToExport(
            f"Client {client.local_ref} has no completed measures that can be exported."
        )
    results.sort(key=lambda r: (r.administration.administered_on, r.administration.id))
    patient = _patient(client)
    staff_ids = {r.administration.entered_by for r in results if r.administration.entered_by}
    names: dict[int, str] = dict(
        session.execute(
            select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(staff_ids))
        ).all()
    )
    salt = _salt(client)
    practitioners = {
        ident: _practitioner(ident, name, salt) for ident, name in sorted(names.items())
    }
    questionnaires: dict[tuple[str, str], dict[str, Any]] = {}
    responses: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    for result in results:
        definition = result.definition
        assert definition is not None  # filtered above
        key = (definition.id, definition.version)
        if key not in questionnaires:
            questionnaires[key] = questionnaire(definition)
        row = result.administration
        author = practitioners.get(row.entered_by) if row.entered_by else None
        response = _response(result, definition, patient, author, salt)
        responses.append(response)
        if result.score is not None:
            observations.extend(
                _observations(
                    result.score,
                    definition=definition,
                    response=response,
                    patient=patient,
                    performer=author,
                    admin_id=row.id,
                    salt=salt,
                )
            )
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    bundle = {
        "resourceType": "Bundle",
        "id": _uuid("bundle", client_id, salt, stamp.isoformat()),
        "identifier": {
            "system": URI_IDENTIFIER,
            "value": f"urn:uuid:{_uuid('bundle', client_id, salt, stamp.isoformat())}",
        },
        "type": "collection",
        "timestamp": stamp.isoformat().replace("+00:00", "Z"),
        "entry": _entries(
            [
                patient,
                *practitioners.values(),
                *questionnaires.values(),
                *responses,
                *observations,
            ]
        ),
    }
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    audit.record(
        session,
        audit.Action.EXPORT,
        actor_id=by.id,
        entity="fhir_bundle",
        entity_id=client_id,
        client_id=client_id,
        detail={
            "responses": len(responses),
            "observations": len(observations),
            "sha256": digest,
        },
    )
    return FhirBundle(text, digest, len(questionnaires), len(responses), len(observations))
