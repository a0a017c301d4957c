"""Victims and other third parties: recorded in full, audited, never deleted, never shown to
anyone without clinical access, and what protects them summarised for the Overview."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.models import AuditEvent, ProtectiveMeasure, ThirdParty
from clinic_app.models.base import Privacy, privacy_of
from clinic_app.models.enums import ProtectiveMeasureKind, ThirdPartyRelation
from clinic_app.services import third_parties as tp

TODAY = date(2026, 3, 18)

SARAH = tp.ThirdPartyInput(
    relation=ThirdPartyRelation.VICTIM,
    name="Sarah Jones",
    aliases=("Sarah Smith", "sj_runs"),
    addresses=("14 Elm Road, Leyton, E10 5AB", "Works at Riverside Library"),
    phones=("07700 900123",),
    emails=("sarah.jones@example.org",),
    vehicles=("ab12 cde",),
    advocate_service="Paladin National Stalking Advocacy Service",
    advocate_contact="A. Advocate, 020 7946 0000",
    wishes_and_concerns="No contact of any kind; fears he will come to her workplace.",
)


def add(db, by, client_id, data=SARAH):
    with db.transaction() as session:
        return tp.add_third_party(session, by, client_id, data)


def spo(**changes):
    values = {
        "kind": ProtectiveMeasureKind.STALKING_PROTECTION_ORDER,
        "starts_on": date(2026, 1, 10),
        "ends_on": date(2028, 1, 9),
        "forbids": "Contacting Sarah by any means; entering Elm Road.",
        "reference": "SPO 2026/114",
    }
    return tp.ProtectiveMeasureInput(**(values | changes))


def test_a_victim_is_recorded_in_full_and_audited(db, psychologist, client_id):
    row = add(db, psychologist, client_id)
    assert (row.label, row.relation_words) == ("Person 1", "Victim")
    assert row.aliases == ("Sarah Smith", "sj_runs")
    assert row.vehicles == ("AB12 CDE",)  # registrations kept as written on plates
    with db.session() as session:
        [again] = tp.third_parties_for_client(session, psychologist, client_id)
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "third_party"))
        assert [(e.action, e.entity_id) for e in events] == [("create", row.id)]
    assert again == row


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"name": "  "}, "name"),
        ({"phones": ("call me",)}, "phones"),
        ({"emails": ("sarah at example",)}, "emails"),
        ({"vehicles": ("not a plate at all!",)}, "vehicles"),
        ({"aliases": tuple(f"name {n}" for n in range(51))}, "aliases"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_written(
    db, psychologist, client_id, changes, where
):
    bad = tp.ThirdPartyInput(**(SARAH.__dict__ | changes))
    with pytest.raises(ValidationError) as caught:
        add(db, psychologist, client_id, bad)
    assert [p.where for p in caught.value.problems] == [where]
    with db.session() as session:
        assert tp.third_parties_for_client(session, psychologist, client_id) == ()


def test_an_edit_keeps_the_label_and_is_audited(db, psychologist, client_id):
    row = add(db, psychologist, client_id)
    changed = tp.ThirdPartyInput(**(SARAH.__dict__ | {"phones": ("07700 900999",)}))
    with db.transaction() as session:
        after = tp.update_third_party(session, psychologist, row.id, changed)
    assert (after.label, after.phones) == ("Person 1", ("07700 900999",))
    with db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "third_party")
        ).all()
    assert actions == ["create", "update"]


def test_a_third_party_is_ended_never_deleted(db, psychologist, client_id):
    row = add(db, psychologist, client_id)
    with db.transaction() as session, pytest.raises(ValidationError, match="reason"):
        tp.end_third_party(session, psychologist, row.id, ended_on=TODAY, reason="", today=TODAY)
    with db.transaction() as session:
        ended = tp.end_third_party(
            session, psychologist, row.id, ended_on=TODAY, reason="Moved abroad.", today=TODAY
        )
    assert ended.ended_on == TODAY
    with db.transaction() as session, pytest.raises(ValidationError, match="already"):
        tp.end_third_party(session, psychologist, row.id, ended_on=TODAY, reason="x", today=TODAY)
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(text("DELETE FROM third_party"))
    with db.session() as session:
        assert session.scalar(select(ThirdParty.name)) == "Sarah Jones"
        # Ended people still count for the wording check: her name must not leave either.
        assert "Sarah Jones" in tp.identifiers(session, psychologist, client_id).names
        assert tp.protection(session, psychologist, client_id, TODAY).people == 0


def test_protective_measures_in_force_and_expiring(db, psychologist, client_id):
    row = add(db, psychologist, client_id)
    with db.transaction() as session:
        order = tp.add_protective_measure(session, psychologist, row.id, spo())
        bail = tp.add_protective_measure(
            session,
            psychologist,
            row.id,
            spo(
                kind=ProtectiveMeasureKind.BAIL_CONDITIONS,
                starts_on=date(2026, 3, 1),
                ends_on=date(2026, 4, 15),  # 28 days after 18 March is 15 April: expiring
                forbids="Not to enter Leyton.",
            ),
        )
        tp.add_protective_measure(
            session,
            psychologist,
            row.id,
            spo(
                kind=ProtectiveMeasureKind.RESTRAINING_ORDER,
                starts_on=date(2024, 1, 1),
                ends_on=date(2025, 1, 1),
            ),  # ended
        )
    with db.session() as session:
        shown = tp.protection(session, psychologist, client_id, TODAY)
    assert (shown.people, shown.victims) == (1, 1)
    assert shown.measures_in_force == (
        ("Bail conditions", date(2026, 4, 15)),
        ("Stalking protection order", date(2028, 1, 9)),
    )
    assert shown.expiring == (("Bail conditions", date(2026, 4, 15)),)
    assert not order.expiring(TODAY) and bail.expiring(TODAY)
    assert not bail.expiring(date(2026, 3, 17))  # 29 days before its end: not yet
    with db.transaction() as session:
        tp.revoke_protective_measure(session, psychologist, bail.id, revoked_on=TODAY)
    with db.session() as session:
        assert tp.protection(session, psychologist, client_id, TODAY).expiring == ()


def test_a_measure_ending_before_it_starts_is_refused(db, psychologist, client_id):
    row = add(db, psychologist, client_id)
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        tp.add_protective_measure(
            session, psychologist, row.id, spo(ends_on=date(2025, 1, 1), forbids="")
        )
    assert {p.where for p in caught.value.problems} == {"ends_on", "forbids"}


def test_identifiers_gather_every_name_place_and_number(db, psychologist, client_id):
    add(db, psychologist, client_id)
    add(
        db,
        psychologist,
        client_id,
        tp.ThirdPartyInput(ThirdPartyRelation.NEW_PARTNER, "Tom Reed", aliases=("Tommy",)),
    )
    with db.session() as session:
        found = tp.identifiers(session, psychologist, client_id)
    assert found.names == ("Sarah Jones", "Sarah Smith", "sj_runs", "Tom Reed", "Tommy")
    assert found.addresses == ("14 Elm Road, Leyton, E10 5AB", "Works at Riverside Library")
    assert (found.phones, found.emails, found.vehicles) == (
        ("07700 900123",),
        ("sarah.jones@example.org",),
        ("AB12 CDE",),
    )


def test_administrators_and_unassigned_staff_cannot_read_or_write(
    db, psychologist, clinician, admin, client_id
):
    row = add(db, psychologist, client_id)
    for who in (admin, clinician):
        with db.session() as session, pytest.raises(AccessDenied):
            tp.third_parties_for_client(session, who, client_id)
        with db.session() as session, pytest.raises(AccessDenied):
            tp.update_third_party(session, who, row.id, SARAH)
        with db.session() as session, pytest.raises(AccessDenied):
            tp.protection(session, who, client_id)


def test_every_third_party_field_is_classed_third_party():
    for model in (ThirdParty, ProtectiveMeasure):
        for column in model.__table__.columns:
            if column.name in {
                "id",
                "client_id",
                "third_party_id",
                "label",
                "recorded_at",
                "recorded_by",
                "ended_on",
                "disclosure_consent_on",
                "disclosure_consent_by",
                "version",  # an edit counter
            }:
                continue
            assert privacy_of(column) is Privacy.THIRD_PARTY, f"{model.__name__}.{column.name}"


def test_where_a_measure_stands_is_said_the_same_way_everywhere():
    row = tp.ProtectiveMeasureRow(
        1, 1, ProtectiveMeasureKind.BAIL_CONDITIONS, date(2026, 3, 1), date(2026, 4, 15), "x", "",
        None,
    )  # fmt: skip
    assert row.state(date(2026, 2, 28)) is tp.MeasureState.NOT_YET_IN_FORCE
    assert row.state(date(2026, 3, 17)) is tp.MeasureState.IN_FORCE  # 29 days before its end
    assert row.state(date(2026, 3, 18)) is tp.MeasureState.EXPIRING  # 28 days: highlighted
    assert row.state(date(2026, 4, 15)) is tp.MeasureState.EXPIRING  # its last day
    assert row.state(date(2026, 4, 16)) is tp.MeasureState.ENDED
    revoked = replace(row, revoked_on=date(2026, 3, 20))
    assert revoked.state(date(2026, 3, 19)) is tp.MeasureState.EXPIRING  # not revoked yet
    assert revoked.state(date(2026, 3, 20)) is tp.MeasureState.REVOKED
    assert revoked.state(date(2026, 5, 1)) is tp.MeasureState.REVOKED  # why it stopped
    open_ended = replace(row, ends_on=None)
    assert open_ended.state(date(2030, 1, 1)) is tp.MeasureState.IN_FORCE
    assert set(tp.MEASURE_STATE_WORDS) == set(tp.MeasureState)
