"""Subject access requests: the clock, the review before release, the register entry.

The canary tests (nothing about a third party in a pack unless they agreed, every
removal logged) are in tests/privacy/test_subject_access_canaries.py.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.models import AuditEvent, Disclosure, SubjectAccessRequest, SubjectAccessReview
from clinic_app.models.enums import Attendance, DisclosureKind, Modality, ThirdPartyRelation
from clinic_app.models.subject_access import Exemption, HarmDecision, RequesterKind
from clinic_app.services import notes, third_parties
from clinic_app.services import subject_access as sar
from clinic_app.services.sharing import disclosures, documents
from clinic_app.services.sharing import subject_access as packs

TODAY = date(2026, 3, 10)


# -- the clock ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # The corresponding day of the next month ...
        (date(2026, 3, 10), date(2026, 4, 10)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        # ... or that month's last day when it has no such day.
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 8, 31), date(2026, 9, 30)),
        (date(2026, 2, 28), date(2026, 3, 28)),
    ],
)
def test_a_request_is_due_one_calendar_month_after_receipt(received: date, due: date) -> None:
    assert sar.due_date(received) == due


def test_an_extension_reaches_three_months_after_receipt_at_most() -> None:
    # 31 January + 3 months = 30 April (not 28 April, which clamping twice would give).
    assert sar.latest_extension(date(2026, 1, 31)) == date(2026, 4, 30)
    assert sar.latest_extension(date(2026, 11, 30)) == date(2027, 2, 28)


# -- registering and extending ----------------------------------------------------------------


def _register(db, me, client_id, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "received_on": date(2026, 1, 31),
        "requester_kind": RequesterKind.CLIENT,
        "requester_name": "Alex Example",
        "identity_method": "Passport seen at the clinic",
        "identity_checked_on": date(2026, 2, 2),
        "today": TODAY - timedelta(days=36),
    }
    values.update(overrides)
    with db.transaction() as s:
        return sar.register_request(s, me, client_id, **values)


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_registering_sets_the_due_date_and_is_audited(db, psychologist, client_id) -> None:
    row = _register(db, psychologist, client_id)
    assert row.due_on == date(2026, 2, 28)
    assert row.deadline == date(2026, 2, 28)
    assert row.identity_checked_by == psychologist.display_name
    assert row.is_open and row.review is None
    with db.session() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.entity == "subject_access_request"
        assert "Alex" not in json.dumps(event.detail)


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"requester_name": "  "}, "requester_name"),
        ({"identity_method": ""}, "identity_method"),
        ({"received_on": date(2027, 1, 1)}, "received_on"),
        ({"identity_checked_on": date(2027, 1, 1)}, "identity_checked_on"),
        ({"received_on": date(2010, 1, 1)}, "received_on"),
        ({"identity_checked_by": 999}, "identity_checked_by"),
    ],
)
def test_bad_input_registers_nothing(db, psychologist, client_id, overrides, where) -> None:
    before = (_count(db, SubjectAccessRequest), _count(db, AuditEvent))
    with pytest.raises(ValidationError) as caught:
        _register(db, psychologist, client_id, **overrides)
    assert where in {p.where for p in caught.value.problems}
    assert (_count(db, SubjectAccessRequest), _count(db, AuditEvent)) == before


def test_an_administrator_cannot_register_a_request(db, admin, client_id) -> None:
    with pytest.raises(AccessDenied):
        _register(db, admin, client_id)
    assert _count(db, SubjectAccessRequest) == 0


def test_an_extension_needs_a_reason_and_stays_within_two_months(
    db, psychologist, client_id
) -> None:
    row = _register(db, psychologist, client_id)
    on = date(2026, 2, 20)
    for kwargs, where in (
        ({"reason": ""}, "reason"),
        ({"reason": "Complex", "extended_to": date(2026, 5, 1)}, "extended_to"),
        ({"reason": "Complex", "extended_to": date(2026, 2, 28)}, "extended_to"),
    ):
        with pytest.raises(ValidationError) as caught, db.transaction() as s:
            sar.extend_request(s, psychologist, row.id, today=on, **kwargs)
        assert where in {p.where for p in caught.value.problems}
    with db.transaction() as s:
        extended = sar.extend_request(s, psychologist, row.id, reason="Complex", today=on)
    assert extended.extended_to == date(2026, 4, 30)
    assert extended.deadline == date(2026, 4, 30)
    assert extended.extension_reason == "Complex"


def test_an_extension_after_the_first_month_is_refused(db, psychologist, client_id) -> None:
    row = _register(db, psychologist, client_id)
    with pytest.raises(ValidationError, match="within the first month"), db.transaction() as s:
        sar.extend_request(s, psychologist, row.id, reason="Late", today=date(2026, 3, 1))
    with db.session() as s:
        assert sar.request_row(s, psychologist, row.id).extended_to is None


def test_open_requests_for_the_dashboard(db, psychologist, clinician, client_id) -> None:
    row = _register(db, psychologist, client_id)
    with db.session() as s:
        [open_row] = sar.open_subject_access_requests(s, psychologist, today=date(2026, 3, 1))
        # Not on the caseload of someone not assigned to the client.
        assert sar.open_subject_access_requests(s, clinician, today=TODAY) == ()
    assert open_row.request_id == row.id
    assert open_row.due_on == date(2026, 2, 28)
    assert open_row.overdue and not open_row.reviewed
    assert "serious-harm review" in open_row.what
    with pytest.raises(AttributeError):
        open_row.due_on = TODAY  # type: ignore[misc]  # frozen


# -- review and release -------------------------------------------------------------------------


def _note(db, me, client_id, text: str) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return notes.create_draft(
            s,
            me,
            client_id,
            notes.NoteContent(
                session_date=date(2026, 1, 20),
                duration_minutes=50,
                modality=Modality.IN_PERSON,
                attendance=Attendance.ATTENDED,
                agenda=text,
            ),
        ).id


def _release(db, me, request_id, tmp_path: Path, name: str = "pack"):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return packs.release_pack(
            s, me, request_id, tmp_path / f"{name}.pdf", tmp_path / f"{name}.json"
        )


def test_release_is_refused_without_a_serious_harm_review(
    db, psychologist, client_id, tmp_path
) -> None:
    row = _register(db, psychologist, client_id)
    entries = _count(db, Disclosure)
    with pytest.raises(ValidationError, match="serious-harm review"):
        _release(db, psychologist, row.id, tmp_path)
    assert list(tmp_path.glob("pack*")) == []
    assert _count(db, Disclosure) == entries
    with db.session() as s:
        assert sar.request_row(s, psychologist, row.id).is_open


def test_release_is_refused_after_a_decision_not_to_release(
    db, psychologist, client_id, tmp_path
) -> None:
    row = _register(db, psychologist, client_id)
    with db.transaction() as s:
        packs.record_review(
            s, psychologist, row.id, decision=HarmDecision.DO_NOT_RELEASE, rationale="Harm"
        )
    with pytest.raises(ValidationError, match="not to be released"):
        _release(db, psychologist, row.id, tmp_path)
    assert list(tmp_path.glob("pack*")) == []


def test_the_database_never_changes_a_review_nor_deletes_a_request(
    db, psychologist, client_id
) -> None:
    from sqlalchemy import text

    row = _register(db, psychologist, client_id)
    with db.transaction() as s:
        packs.record_review(
            s, psychologist, row.id, decision=HarmDecision.DO_NOT_RELEASE, rationale="Harm"
        )
    for sql, refusal in (
        ("UPDATE subject_access_review SET decision = 'release_in_full'", "cannot be changed"),
        ("DELETE FROM subject_access_review", "cannot be changed"),
        ("DELETE FROM subject_access_request", "never deleted"),
    ):
        with db.session() as s, pytest.raises(Exception, match=refusal):
            s.execute(text(sql))
    assert _count(db, SubjectAccessReview) == 1
    assert _count(db, SubjectAccessRequest) == 1


def test_only_a_health_professional_reviews(db, admin, psychologist, client_id) -> None:
    row = _register(db, psychologist, client_id)
    with pytest.raises(AccessDenied), db.transaction() as s:
        packs.record_review(
            s, admin, row.id, decision=HarmDecision.RELEASE_IN_FULL, rationale="Fine"
        )
    assert _count(db, SubjectAccessReview) == 0


def test_a_review_naming_unknown_items_or_mismatched_decision_records_nothing(
    db, psychologist, client_id
) -> None:
    row = _register(db, psychologist, client_id)
    for kwargs in (
        {"decision": HarmDecision.RELEASE_WITH_ITEMS_WITHHELD, "rationale": "x"},
        {
            "decision": HarmDecision.RELEASE_WITH_ITEMS_WITHHELD,
            "rationale": "x",
            "withheld": [("session_note:999", Exemption.SERIOUS_HARM)],
        },
        {
            "decision": HarmDecision.RELEASE_IN_FULL,
            "rationale": "x",
            "withheld": [(f"client:{client_id}", Exemption.SERIOUS_HARM)],
        },
        {"decision": HarmDecision.RELEASE_IN_FULL, "rationale": " "},
    ):
        with pytest.raises(ValidationError), db.transaction() as s:
            packs.record_review(s, psychologist, row.id, **kwargs)  # type: ignore[arg-type]
    assert _count(db, SubjectAccessReview) == 0


def test_a_change_to_the_record_after_the_review_needs_a_new_review(
    db, psychologist, client_id, tmp_path
) -> None:
    row = _register(db, psychologist, client_id)
    with db.transaction() as s:
        packs.record_review(
            s, psychologist, row.id, decision=HarmDecision.RELEASE_IN_FULL, rationale="Fine"
        )
    _note(db, psychologist, client_id, "A new note written after the review")
    with pytest.raises(ValidationError, match="changed since the serious-harm review"):
        _release(db, psychologist, row.id, tmp_path)
    assert list(tmp_path.glob("pack*")) == []


def test_release_registers_the_pack_with_its_sha256_and_completes_the_request(
    db, psychologist, client_id, tmp_path
) -> None:
    note_id = _note(db, psychologist, client_id, "Talked about work. Zyxsecret plan.")
    _note(db, psychologist, client_id, "Kept note text Zykept.")
    row = _register(db, psychologist, client_id)
    with db.session() as s:
        prepared = packs.prepare_pack(s, psychologist, row.id)
    assert f"session_note:{note_id}" in prepared.pack.items()
    with db.transaction() as s:
        review = packs.record_review(
            s,
            psychologist,
            row.id,
            decision=HarmDecision.RELEASE_WITH_ITEMS_WITHHELD,
            rationale="The plan would distress",
            withheld=[(f"session_note:{note_id}/agenda", Exemption.SERIOUS_HARM)],
        )
    assert review.withheld == ((f"session_note:{note_id}/agenda", "dpa-sch3-pt2-para5"),)
    released = _release(db, psychologist, row.id, tmp_path)
    pdf = (tmp_path / "pack.pdf").read_bytes()
    data = (tmp_path / "pack.json").read_bytes()
    assert released.sha256 == hashlib.sha256(pdf).hexdigest()
    assert released.json_sha256 == hashlib.sha256(data).hexdigest()
    document = json.loads(data)
    assert "Zyxsecret" not in data.decode() and "Zykept" in data.decode()
    [log] = [r for r in document["pack"]["redaction_log"] if r["exemption"] == "dpa-sch3-pt2-para5"]
    assert "Agenda" in log["where"]
    assert document["pack"]["review"]["decision"] == "release_with_items_withheld"
    with db.session() as s:
        entry = s.get(Disclosure, released.disclosure.id)
        assert entry is not None
        assert entry.kind is DisclosureKind.SUBJECT_ACCESS
        assert entry.document_sha256 == released.sha256
        assert entry.payload is not None and entry.payload["json_sha256"] == released.json_sha256
        after = sar.request_row(s, psychologist, row.id)
        assert not after.is_open and after.disclosure_id == entry.id
        assert sar.open_subject_access_requests(s, psychologist) == ()
    # The register can draw the PDF again, byte for byte.
    with db.transaction() as s:
        assert documents.regenerate(s, psychologist, released.disclosure.id) == pdf
        listed = disclosures.register_for_client(s, psychologist, client_id)
    assert listed[-1].kind_words == "Subject access disclosure"
    # A completed request is not released twice.
    with pytest.raises(ValidationError, match="already been completed"):
        _release(db, psychologist, row.id, tmp_path, "again")


def test_the_disclosure_register_about_the_client_is_in_the_pack(
    db, psychologist, client_id
) -> None:
    with db.transaction() as s:
        disclosures.record_decision_not_to_share(
            s,
            psychologist,
            client_id,
            audience="police",
            recipient_agency="Police",
            purpose="Asked for an update",
            reason="Zyreason not needed",
            client_informed=True,
        )
    row = _register(db, psychologist, client_id)
    with db.session() as s:
        pack = packs.prepare_pack(s, psychologist, row.id).pack
    [section] = [x for x in pack.sections if x.title.startswith("Letters")]
    [item] = section.items
    values = {f.name: f.value for f in item.fields}
    assert values["decision_reason"] == "Zyreason not needed"
    assert values["recipient_agency"] == "Police"


def test_a_victim_named_in_the_clients_own_record_is_taken_out_but_their_identity_stays(
    db, psychologist, client_id
) -> None:
    from clinic_app.models import Client

    with db.transaction() as s:
        third_parties.add_third_party(
            s,
            psychologist,
            client_id,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM, name="Morgan Quill", addresses=("Example",)
            ),
        )
        client = s.get(Client, client_id)
        assert client is not None
        client.sharing_notes = "Morgan Quill asked that nothing be shared."
    row = _register(db, psychologist, client_id)
    with db.session() as s:
        pack = packs.prepare_pack(s, psychologist, row.id).pack
    details = pack.items()[f"client:{client_id}"]
    values = {f.name: f.value for f in details.fields}
    assert "Morgan" not in (values["sharing_notes"] or "")
    assert values["family_name"] == "Example"  # the client's own name, though a victim's place
    assert any(r.where == "Your details: Sharing notes" for r in pack.removals)


def test_third_party_consent_is_recorded_and_audited(db, psychologist, client_id) -> None:
    with db.transaction() as s:
        person = third_parties.add_third_party(
            s,
            psychologist,
            client_id,
            third_parties.ThirdPartyInput(relation=ThirdPartyRelation.VICTIM, name="Zoe Zed"),
        )
    with pytest.raises(ValidationError), db.transaction() as s:
        third_parties.record_disclosure_consent(
            s, psychologist, person.id, given_on=date(2099, 1, 1)
        )
    with db.transaction() as s:
        row = third_parties.record_disclosure_consent(
            s, psychologist, person.id, given_on=date(2026, 1, 5)
        )
    assert row.disclosure_consent_on == date(2026, 1, 5)
    with db.transaction() as s:
        row = third_parties.record_disclosure_consent(s, psychologist, person.id, given_on=None)
    assert row.disclosure_consent_on is None


# -- the gate -------------------------------------------------------------------------------------


def test_every_table_is_in_the_pack_or_left_out_with_a_reason() -> None:
    from clinic_app.models import Base
    from clinic_app.services.sharing import audiences

    tables = {t.name for t in Base.metadata.sorted_tables}
    placed = set(audiences.SUBJECT_ACCESS_TABLES) | set(audiences.SUBJECT_ACCESS_NOT_INCLUDED)
    assert tables - placed == set(), "Say whether a new table belongs in a subject access pack"
    assert (
        set(audiences.SUBJECT_ACCESS_TABLES) & set(audiences.SUBJECT_ACCESS_NOT_INCLUDED) == set()
    )
    drawn = {t for _, group in packs.SECTIONS for t in group} | packs.FOLDED
    assert drawn == set(audiences.SUBJECT_ACCESS_TABLES)


def test_the_policy_holds_every_column_of_its_tables_but_third_party_ones() -> None:
    from clinic_app.models import Base, Privacy, privacy_of
    from clinic_app.services.sharing import audiences

    policy = audiences.subject_access_policy()
    for table in audiences.SUBJECT_ACCESS_TABLES:
        for column in Base.metadata.tables[table].columns:
            name = f"{table}.{column.name}"
            if privacy_of(column) is Privacy.THIRD_PARTY:
                assert name not in policy.columns
            elif name not in audiences.SUBJECT_ACCESS_OMITTED:
                assert name in policy.columns, name


def test_the_gate_refuses_third_party_columns_and_columns_outside_the_policy() -> None:
    from clinic_app.models import Client, StaffUser, ThirdParty
    from clinic_app.services.sharing import audiences

    reader = audiences.SubjectAccessReader(audiences.subject_access_policy())
    reader.select(Client.given_name, Client.sharing_notes)  # identifying and clinical: theirs
    for attribute in (ThirdParty.name, ThirdParty.addresses, StaffUser.password_hash):
        with pytest.raises(audiences.PartnerLeakRefused):
            reader.select(attribute)
    with pytest.raises(audiences.PartnerLeakRefused):
        reader.table("third_party")
    # A policy that names a third party's column, or reaches past a consenting person's
    # name, cannot be used.
    bad = audiences.SubjectAccessPolicy(
        "Bad", ("third_party.addresses",), ("third_party.name", "third_party.phones")
    )
    wheres = {p.where for p in audiences.subject_access_problems(bad)}
    assert wheres == {"columns", "consented"}


def test_appointments_are_in_the_pack_with_a_victims_name_taken_out_of_a_reason(
    db, psychologist, client_id
) -> None:
    from datetime import time

    from clinic_app.models.enums import CancelledBy
    from clinic_app.services import appointments

    with db.transaction() as s:
        third_parties.add_third_party(
            s,
            psychologist,
            client_id,
            third_parties.ThirdPartyInput(relation=ThirdPartyRelation.VICTIM, name="Morgan Quill"),
        )
        booked = appointments.book(
            s,
            psychologist,
            client_id,
            day=TODAY + timedelta(days=3),
            today=TODAY,
            start_time=time(10, 30),
            duration_minutes=50,
            modality=Modality.IN_PERSON,
            clinician_ids=(psychologist.id,),
            allow_overlap=True,
        )
        appointments.cancel(
            s,
            psychologist,
            booked[0].id,
            cancelled_by=CancelledBy.CLIENT,
            reason="Said Morgan Quill would be in town that day",
        )
    row = _register(db, psychologist, client_id)
    with db.session() as s:
        pack = packs.prepare_pack(s, psychologist, row.id).pack
    [section] = [x for x in pack.sections if x.title == "Appointments"]
    [appointment] = [i for i in section.items if i.key.startswith("appointment:")]
    values = {f.name: f.value for f in appointment.fields}
    assert values["day"] == (TODAY + timedelta(days=3)).isoformat()
    assert "Morgan" not in (values["cancel_reason"] or "")
    assert "in town" in (values["cancel_reason"] or "")
    [attending] = [i for i in section.items if i.key.startswith("appointment_clinician:")]
    assert psychologist.display_name in {f.value for f in attending.fields}
    assert any(r.where.startswith("Appointment") for r in pack.removals)
