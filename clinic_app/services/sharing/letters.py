"""Referral letters: what a letter says, and previewing and issuing one.

A referral letter goes to a specialist service (a clinical recipient), so it is built
from the client's clinical record rather than through the partner gate
(:class:`~clinic_app.services.sharing.audiences.PartnerReader`); it still leaves out
everything about other people: no third party's record is read into it, every recorded
detail of a third party in the clinician's words (the reason, the detail, a statement) is
taken out (:mod:`~clinic_app.services.sharing.redaction`), a risk event's private detail
is never read, and an event decided not to be shared is not listed.

- :func:`letter_facts` reads the referral and the client's record into
  :class:`~clinic_app.reports.content.LetterFacts`, addressed from the signed-in user.
- :func:`preview_referral_letter` draws the letter for review
  (:func:`clinic_app.reports.referral_letter.render_referral_letter`); nothing is recorded.
- :func:`issue_referral_letter`, in the caller's unit of work, draws it again, refuses if
  it is not the letter that was reviewed (same SHA-256), records the disclosure to the
  service in the register with the letter's SHA-256 and the facts it was drawn from, and
  only then writes the file atomically. If anything fails nothing is written and, as the
  caller rolls back, nothing is recorded. A draft referral becomes Sent on the day its
  letter is issued.

A past letter is drawn again from its register entry by
:func:`clinic_app.services.sharing.documents.regenerate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.config import SERVICE_NAME
from clinic_app.errors import ValidationError
from clinic_app.models import (
    Client,
    Referral,
    RiskAssessment,
    RiskEvent,
    SpecialistService,
    StaffUser,
)
from clinic_app.models.enums import (
    ConsentToShare,
    DisclosureKind,
    Gateway,
    LetterKind,
    ReferralStatus,
    RiskTool,
    ShareDecisionKind,
)
from clinic_app.reports.content import (
    LetterFacts,
    LetterRiskAssessment,
    LetterRiskEvent,
    sha256_hex,
)
from clinic_app.reports.referral_letter import (
    PURPOSE,
    letter_frame,
    payload_of,
    render_referral_letter,
)
from clinic_app.services import risk
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.referrals import change_status, client_consent
from clinic_app.services.settings import get_text_setting
from clinic_app.services.sharing import disclosures, letter_templates, lexicon
from clinic_app.services.sharing.disclosures import CLINICAL_AUDIENCE, DisclosureRow
from clinic_app.services.sharing.redaction import redact_third_parties
from clinic_app.services.third_parties import identifiers
from clinic_app.services.validation import Checker
from clinic_app.storage.files import write_atomically
from clinic_app.wording import (
    CONSENT_PHRASES,
    REFERRAL_STATUS_WORDS,
    REFERRAL_URGENCY_WORDS,
    RISK_EVENT_WORDS,
    RISK_TOOL_WORDS,
    SERVICE_KIND_WORDS,
    long_date,
)

# -- what a referral letter is made from ------------------------------------------------------

LETTER_RISK_EVENT_DAYS = 365
"""Risk events from the last year go in a letter's risk summary."""

LETTER_IDENTITY: Final = (
    "service_name",
    "service_kind",
    "service_contact",
    "client_name",
    "address",
    "local_ref",
    "nhs_number",
    "referrer_name",
    "referrer_title",
    "referrer_contact",
)
"""Fields of a letter that identify its people and are never redacted."""


def letter_facts(
    session: Session, by: StaffRef, referral_id: int, *, today: date | None = None
) -> LetterFacts:
    """What the letter for this referral will say, addressed from the signed-in user."""
    found = get_or_raise(session, Referral, referral_id, "referral")
    require_clinical_access(session, by, found.client_id)
    today = today or date.today()
    service = get_or_raise(session, SpecialistService, found.service_id, "specialist service")
    client = get_or_raise(session, Client, found.client_id, "client")
    me = get_or_raise(session, StaffUser, by.id, "member of staff")
    latest = session.scalar(
        select(RiskAssessment)
        .where(RiskAssessment.client_id == client.id)
        .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc())
        .limit(1)
    )
    assessment = None
    if latest is not None:
        tool = RISK_TOOL_WORDS[latest.tool]
        if latest.tool is RiskTool.OTHER and latest.tool_name:
            tool = latest.tool_name
        assessment = LetterRiskAssessment(
            tool,
            latest.tool_version,
            latest.assessed_on,
            tuple(sorted((str(k), str(v)) for k, v in latest.judgements.items())),
            latest.shareable_summary,
        )
    since = today - timedelta(days=LETTER_RISK_EVENT_DAYS)
    recent = list(
        session.scalars(
            select(RiskEvent)
            .where(RiskEvent.client_id == client.id, RiskEvent.occurred_on >= since)
            .order_by(RiskEvent.occurred_on, RiskEvent.id)
        )
    )
    decided = risk.latest_decisions(session, [e.id for e in recent])
    events = tuple(
        LetterRiskEvent(
            e.occurred_on,
            RISK_EVENT_WORDS[e.kind],
            e.urgency.value.capitalize(),
            e.shareable_statement,
        )
        for e in recent
        # An event decided not to be shared appears nowhere that leaves the service.
        if e.id not in decided or decided[e.id].decision is not ShareDecisionKind.NOT_SHARED
    )
    facts = LetterFacts(
        referral_id=found.id,
        client_id=client.id,
        letter_date=today,
        service_name=service.name,
        service_kind=SERVICE_KIND_WORDS[service.kind],
        service_contact=service.contact,
        snomed_concept_id=service.snomed_concept_id,
        client_name=f"{client.given_name} {client.family_name}",
        date_of_birth=client.date_of_birth,
        nhs_number=client.nhs_number,
        address=client.address,
        local_ref=client.local_ref,
        is_demo=client.is_demo,
        urgency=REFERRAL_URGENCY_WORDS[found.urgency],
        status=REFERRAL_STATUS_WORDS[found.status],
        created_on=found.created_on,
        sent_on=found.sent_on,
        reason=found.reason,
        clinical_detail=found.clinical_detail,
        fact_shareable=found.fact_shareable,
        risk_assessment=assessment,
        risk_events=events,
        referrer_name=me.display_name,
        referrer_title=me.job_title,
        referrer_contact=me.contact,
    )
    # The reason, the detail and the statements are the clinician's words and may name
    # the victim or where she lives: each recorded detail is taken out (DOMAIN rule:
    # third-party data never leaves). The client's own identity and address stay whole.
    redacted, _removed = redact_third_parties(
        facts, identifiers(session, by, client.id), keep=LETTER_IDENTITY
    )
    return redacted


def check_letter_choices(
    *,
    gateway: Gateway | None,
    client_informed: bool,
    client_not_informed_reason: str,
    consent: ConsentToShare | None = None,
) -> None:
    """The sharing choices a letter needs before it may be produced.

    ``consent`` is what the client's record says: consent is a basis only if given.
    """
    check = Checker()
    if gateway is None:
        check.add("gateway", "Choose the legal gateway the letter is shared under.")
    elif gateway is Gateway.CONSENT and consent is not ConsentToShare.GIVEN:
        recorded = "nothing" if consent is None else CONSENT_PHRASES[consent]
        check.add(
            "gateway",
            "Consent cannot be the gateway: the client's record does not show consent to "
            f"share ({recorded}). Record consent on the Overview first, or "
            "choose the gateway that applies.",
        )
    if not client_informed:
        check.text(
            "client_not_informed_reason",
            client_not_informed_reason,
            label="The reason the client has not been told",
            required=True,
            max_length=5000,
        )
    check.raise_if_any()


# -- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralWording:
    """The letter's own words around the referral's facts, which the clinician may edit."""

    salutation: str
    opening: str
    sign_off: str


@dataclass(frozen=True)
class LetterPreview:
    """A letter drawn for review: its bytes, fingerprint, and what to issue it with."""

    referral_id: int
    document_id: str
    issued_on: date
    data: bytes
    sha256: str
    service_name: str
    suggested_filename: str
    wording: ReferralWording | None = None
    """The words drawn (issue with the same to get the same bytes)."""


def referral_wording(session: Session, facts: LetterFacts) -> ReferralWording:
    """The service's referral template filled from the letter's facts (identity, referrer)."""
    nhs = facts.nhs_number or ""
    values = {
        "client_name": facts.client_name,
        "client_first_name": facts.client_name.split(" ")[0],
        "case_reference": facts.local_ref,
        "date_of_birth": long_date(facts.date_of_birth),
        "nhs_number": f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" if len(nhs) == 10 else "[NHS number]",
        "clinician_name": facts.referrer_name,
        # A referrer without recorded details is reached as the letter's foot says.
        "clinician_job_title": facts.referrer_title,
        "clinician_contact": facts.referrer_contact or "the details below",
        "service_name": get_text_setting(session, SERVICE_NAME),
        "appointment_date": "[appointment date]",
        "appointment_time": "[appointment time]",
        "today": long_date(facts.letter_date),
    }
    template = letter_templates.wording_for(session, LetterKind.REFERRAL)
    return ReferralWording(
        letter_templates.fill(template.salutation, values),
        letter_templates.fill(template.body, values),
        letter_templates.fill(template.sign_off, values),
    )


_UNFILLED: Final = re.compile(r"\[[^\]\n]{1,120}\]")


def check_wording(
    session: Session, by: StaffRef, client_id: int, wording: ReferralWording, *, complete: bool
) -> None:
    """The one gate for the letter's own words: never a third party's recorded details
    (clinical words may go to a clinical service); when ``complete``, nothing left to
    fill in."""
    check = Checker()
    parts = (
        ("salutation", "the salutation", wording.salutation, 200),
        ("opening", "the opening of the letter", wording.opening, 20_000),
        ("sign_off", "the sign-off", wording.sign_off, 200),
    )
    for where, label, text, limit in parts:
        check.text(where, text, label=label[:1].upper() + label[1:], max_length=limit)
        left = _UNFILLED.search(text)
        if complete and left is not None:
            check.add(
                where, f"{label[:1].upper()}{label[1:]} still has {left.group(0)} to fill in."
            )
    hits = lexicon.check_fields(
        [lexicon.TextField(where, label, text) for where, label, text, _ in parts],
        third_parties=lexicon.third_party_details(session, by, client_id),
    )
    for hit in hits:
        if hit.category.is_third_party:
            check.add(
                hit.field,
                f"{hit.explanation} Details of the victim and other people never leave the "
                "service: take it out.",
            )
    check.raise_if_any()


def _worded(
    session: Session,
    by: StaffRef,
    facts: LetterFacts,
    wording: ReferralWording | None,
    *,
    complete: bool,
) -> tuple[LetterFacts, ReferralWording]:
    given = wording is not None
    wording = wording or referral_wording(session, facts)
    if given or complete:  # the template's own words need checking only before issue
        check_wording(session, by, facts.client_id, wording, complete=complete)
    worded = replace(
        facts,
        salutation=wording.salutation.strip(),
        opening=wording.opening.strip(),
        sign_off=wording.sign_off.strip(),
    )
    return worded, wording


@dataclass(frozen=True)
class IssuedLetter:
    """A letter written to disk and entered in the disclosure register."""

    disclosure: DisclosureRow
    path: Path
    sha256: str


def _filename(facts: LetterFacts, issued_on: date) -> str:
    ref = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in facts.local_ref)
    return f"Referral letter {ref} {issued_on.isoformat()}.pdf"


def preview_referral_letter(
    session: Session,
    by: StaffRef,
    referral_id: int,
    *,
    document_id: str | None = None,
    issued_on: date | None = None,
    wording: ReferralWording | None = None,
) -> LetterPreview:
    """The exact pages of the letter (nothing is recorded).

    ``wording`` is the clinician's edit of the letter's own words (by default the
    service's referral template, filled in). Issue it with the same ``document_id``,
    ``issued_on`` and wording to get these very bytes.
    """
    issued_on = issued_on or date.today()
    facts, wording = _worded(
        session,
        by,
        letter_facts(session, by, referral_id, today=issued_on),
        wording,
        complete=False,
    )
    frame = letter_frame(
        facts, document_id=document_id or disclosures.new_document_id(), issued_on=issued_on
    )
    data = render_referral_letter(facts, frame)
    return LetterPreview(
        referral_id,
        frame.document_id,
        issued_on,
        data,
        sha256_hex(data),
        facts.service_name,
        _filename(facts, issued_on),
        wording,
    )


def issue_referral_letter(
    session: Session,
    by: StaffRef,
    referral_id: int,
    out: Path,
    *,
    document_id: str,
    issued_on: date,
    expected_sha256: str,
    gateway: Gateway | None,
    client_informed: bool,
    client_not_informed_reason: str = "",
    wording: ReferralWording | None = None,
) -> IssuedLetter:
    """Record the letter reviewed in the preview as disclosed to the service, then write it.

    ``document_id``, ``issued_on`` and ``expected_sha256`` come from the preview: if the
    referral or the record changed since, the letter would differ from what was reviewed
    and nothing is issued.
    """
    facts, _wording = _worded(
        session,
        by,
        letter_facts(session, by, referral_id, today=issued_on),
        wording,
        complete=True,
    )
    check_letter_choices(
        gateway=gateway,
        client_informed=client_informed,
        client_not_informed_reason=client_not_informed_reason,
        consent=client_consent(session, facts.client_id),
    )
    frame = letter_frame(facts, document_id=document_id, issued_on=issued_on)
    data = render_referral_letter(facts, frame)
    sha256 = sha256_hex(data)
    if sha256 != expected_sha256:
        raise ValidationError(
            "The referral or the client's record has changed since you reviewed this letter. "
            "Review the letter again before it is produced.",
            where="letter",
        )
    row = disclosures.record_disclosure(
        session,
        by,
        kind=DisclosureKind.REFERRAL_LETTER,
        client_id=facts.client_id,
        audience=CLINICAL_AUDIENCE,
        recipient_agency=facts.service_name,
        purpose=PURPOSE,
        gateway=gateway,
        client_informed=client_informed,
        client_not_informed_reason=client_not_informed_reason,
        document_sha256=sha256,
        payload=payload_of(facts, frame),
        referral_id=referral_id,
        document_id=document_id,
    )
    # Issuing the letter is sending the referral: a draft moves on to Sent on the day the
    # letter was issued, so the record no longer says "Draft / Not sent".
    referral = get_or_raise(session, Referral, referral_id, "referral")
    if referral.status is ReferralStatus.DRAFT:
        change_status(
            session,
            by,
            referral_id,
            ReferralStatus.SENT,
            on=issued_on,
            note="Referral letter issued.",
            today=max(issued_on, date.today()),
        )
    write_atomically(out, data)
    return IssuedLetter(row, Path(out), sha256)
