"""A victim recorded on the client is looked for in everything that leaves, in every form;
keeping one of their details needs a reason of its own, and no refusal repeats it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic_app.errors import ValidationError
from clinic_app.models import Disclosure
from clinic_app.models.enums import ThirdPartyRelation
from clinic_app.services import third_parties
from clinic_app.services.sharing import disclosures, documents, drafts
from clinic_app.services.sharing.lexicon import Lexicon, TermCategory, TextField, check_fields
from clinic_app.services.third_parties import Identifiers
from tests.unit.services.sharing.test_summaries import (
    DECISION,
    START,
    TODAY,
    _cli,
    _summary_args,
    build_record,
)

NONE = Lexicon({})
SARAH = Identifiers(
    names=("Sarah Jones", "Sally Smith"),
    addresses=("Flat 2, 14 Elm Road, Leyton, E10 5AB", "Works at Riverside Library"),
    phones=("07700 900123", "+44 20 7946 0018"),
    emails=("sarah.jones@example.org",),
    vehicles=("AB12 CDE",),
)


def found(text: str, people: Identifiers = SARAH) -> list[tuple[str, TermCategory]]:
    hits = check_fields([TextField("f", "The field", text)], lexicon=NONE, third_parties=people)
    return [(h.term, h.category) for h in hits]


NAME = TermCategory.THIRD_PARTY_NAME
PLACE = TermCategory.THIRD_PARTY_PLACE
CONTACT = TermCategory.THIRD_PARTY_CONTACT
VEHICLE = TermCategory.THIRD_PARTY_VEHICLE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He wrote to Sarah Jones again.", [("Sarah Jones", NAME)]),
        ("He waited outside Sarah's house.", [("Sarah's", NAME)]),
        ("He waited outside Sarah\u2019s house.", [("Sarah\u2019s", NAME)]),
        ("The Jones' car was followed.", [("Jones'", NAME)]),
        ("He called the Joneses twice.", [("Joneses", NAME)]),
        ("Contact with Sarah\nJones was denied.", [("Sarah\nJones", NAME)]),
        ("Also messaged Sally Smith (her other name).", [("Sally Smith", NAME)]),
        ("SARAH JONES", [("SARAH JONES", NAME)]),
        # Not a name: a longer word that merely starts with one.
        ("Sarahville is a place.", []),
    ],
)
def test_names_and_other_names_in_any_form(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Seen in Elm Road on Tuesday.", [("Elm Road", PLACE)]),
        ("Seen at 14 Elm Road.", [("14 Elm Road", PLACE)]),
        ("Drove to Leyton.", [("Leyton", PLACE)]),
        ("Postcode E10 5AB and e105ab.", [("E10 5AB", PLACE), ("e105ab", PLACE)]),
        ("Waited outside Riverside Library.", [("Riverside Library", PLACE)]),
        ("Rang 07700 900123 at night.", [("07700 900123", CONTACT)]),
        ("Rang 07700900123.", [("07700900123", CONTACT)]),
        ("Rang +44 7700 900123.", [("+44 7700 900123", CONTACT)]),
        ("Rang (020) 7946-0018.", [("(020) 7946-0018", CONTACT)]),
        ("Emailed Sarah.Jones@Example.org.", [("Sarah.Jones@Example.org", CONTACT)]),
        (
            "The car ab12cde was seen; later AB12 CDE.",
            [("ab12cde", VEHICLE), ("AB12 CDE", VEHICLE)],
        ),
        # Other numbers and plates are not flagged.
        ("Rang 07700 900124. Car AB12 CDF.", []),
    ],
)
def test_places_numbers_emails_and_vehicles(text, expected):
    assert found(text) == expected


def test_an_explanation_never_repeats_the_detail():
    [hit] = check_fields(
        [TextField("goals[0].partner_wording", "Goal 1 (partner wording)", "Met Sarah's sister")],
        lexicon=NONE,
        third_parties=SARAH,
    )
    assert hit.explanation == (
        "Goal 1 (partner wording) holds the name of a third party recorded on this client."
    )
    assert "Sarah" not in hit.explanation


def _victim_details(db, me, client_id):
    """Morgan Quill, the victim build_record records, with somewhere to live and a car."""
    with db.transaction() as s:
        [victim] = third_parties.third_parties_for_client(s, me, client_id)
        third_parties.update_third_party(
            s,
            me,
            victim.id,
            replace(
                victim.as_input(),
                aliases=("Mo Quill",),
                addresses=("3 Larch Close, Hackney, E8 1AA",),
                phones=("07700 900456",),
                vehicles=("XY19 ZZZ",),
            ),
        )


def _prepare(db, me, client_id):
    with db.transaction() as s:
        return drafts.prepare_partner_summary(
            s, me, client_id, audience="police", period_from=START, period_to=TODAY
        )


def test_a_partner_update_naming_the_victim_is_stopped_until_reworded_or_kept_with_a_reason(
    db, psychologist, admin, tmp_path
):
    record = build_record(
        db, psychologist, admin, goal_wording="Stay away from Mo Quill's home in Larch Close"
    )
    _victim_details(db, psychologist, record.client_id)
    draft = _prepare(db, psychologist, record.client_id)
    details = [h for h in draft.unresolved if h.category.is_third_party]
    assert [(h.term, h.category) for h in details] == [
        ("Mo Quill's", NAME),
        ("Larch Close", PLACE),
    ]
    # Accepting every warning does not keep a victim's detail.
    assert drafts.accept_all_warnings(draft).unresolved == tuple(details)
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        documents.export_partner_summary(
            s, psychologist, draft, DECISION, tmp_path / "p.pdf", accept_warnings=True
        )
    message = str(caught.value)
    assert "2 details of a third party" in message
    assert "Quill" not in message and "Larch" not in message
    # Keeping one without a reason is refused; with a reason it is kept and registered.
    with db.transaction() as s, pytest.raises(ValidationError, match="reason"):
        drafts.revise(s, psychologist, draft, keep=[details[0].key])
    reason = "Police need to know which address the order protects (SPO condition 2)."
    with db.transaction() as s:
        kept = drafts.revise(
            s,
            psychologist,
            draft,
            keep=[h.key for h in details],
            reasons={h.key: reason for h in details},
        )
        result = documents.export_partner_summary(
            s, psychologist, kept, DECISION, tmp_path / "p.pdf", accept_warnings=True
        )
    with db.session() as s:
        row = s.get(Disclosure, result.disclosure.id)
        assert row is not None and row.payload is not None
        record_of_hits = row.payload["lexicon"]
    third_party_hits = [h for h in record_of_hits["hits"] if h["category"].startswith("third")]
    assert [h["reason"] for h in third_party_hits] == [reason, reason]
    assert record_of_hits["third_party_details_kept"] == 2
    text = json.dumps(record_of_hits)
    assert "Quill" not in text and "Larch" not in text  # the register holds where, not what


def test_a_kept_detail_without_its_reason_is_refused_at_export(db, psychologist, admin, tmp_path):
    record = build_record(db, psychologist, admin, goal_wording="No contact with Morgan Quill")
    draft = _prepare(db, psychologist, record.client_id)
    forged = replace(draft, kept=frozenset(h.key for h in draft.hits))  # no reasons
    with db.transaction() as s, pytest.raises(ValidationError, match="kept without a reason"):
        documents.export_partner_summary(s, psychologist, forged, DECISION, tmp_path / "p.pdf")
    with db.session() as s:
        documents_written = (
            select(func.count())
            .select_from(Disclosure)
            .where(Disclosure.kind.not_in(disclosures.WITHOUT_DOCUMENT))
        )
        assert s.scalar(documents_written) == 0
    assert not (tmp_path / "p.pdf").exists()


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_the_command_line_never_prints_the_victims_details(keyed_db, psychologist, admin, tmp_path):
    build_record(keyed_db, psychologist, admin, goal_wording="Keep away from Morgan Quill")
    out = tmp_path / "police.pdf"
    args = _summary_args(
        "MASIP-0101",
        out,
        "--client-informed",
        "--caldicott",
        "necessary,minimum,relevant,accurate",
        "--accept-warnings",
    )
    code, stdout, err = _cli(keyed_db, *args)
    assert code != 0 and not out.exists()
    assert "Quill" not in stdout + err and "Morgan" not in stdout + err
    assert "--keep-third-party-details" in err
    code, stdout, err = _cli(
        keyed_db, *args, "--keep-third-party-details", "The order names her; police need it."
    )
    assert code == 0, err
    assert out.exists() and "Quill" not in stdout + err


@pytest.fixture
def keyed_db(db, db_key):
    from clinic_app.storage.keys import CredentialStore

    CredentialStore().put(db.path, db_key)
    return db


def test_an_ended_third_party_is_still_looked_for(db, psychologist, client_id):
    with db.transaction() as s:
        person = third_parties.add_third_party(
            s,
            psychologist,
            client_id,
            third_parties.ThirdPartyInput(ThirdPartyRelation.VICTIM, "Dana Wilde"),
        )
        third_parties.end_third_party(
            s, psychologist, person.id, ended_on=TODAY - timedelta(days=1), reason="Moved away"
        )
    with db.session() as s:
        people = third_parties.identifiers(s, psychologist, client_id)
    assert found("Asked about Dana.", people) == [("Dana", NAME)]
