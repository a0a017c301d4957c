"""Referrals: the directory (with SNOMED CT ids), the status machine, follow-up rules."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic_app import cli
from clinic_app.errors import AccessDenied, ConflictError, InvalidTransition, ValidationError
from clinic_app.models import Referral, SpecialistService
from clinic_app.models.enums import (
    ConsentToShare,
    Gateway,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    ServiceKind,
    ThirdPartyRelation,
    Urgency,
)
from clinic_app.services import clients, referrals, risk, service_directory, third_parties
from clinic_app.services.referrals import follow_up
from clinic_app.services.service_directory import snomed_concept_id_problem
from clinic_app.services.sharing import letters
from clinic_app.wording import REFERRAL_STATUS_WORDS
from tests.conftest import client_details

S = ReferralStatus
TODAY = date(2026, 3, 20)
WRITTEN = date(2026, 3, 1)

# The issue's status machine, written out here independently of TRANSITIONS.
EXPECTED_ALLOWED: dict[ReferralStatus, set[ReferralStatus]] = {
    S.DRAFT: {S.SENT, S.CLOSED},
    S.SENT: {S.ACKNOWLEDGED, S.ACCEPTED, S.DECLINED, S.WAITING_LIST, S.CLOSED},
    S.ACKNOWLEDGED: {S.ACCEPTED, S.DECLINED, S.WAITING_LIST, S.CLOSED},
    S.ACCEPTED: {S.WAITING_LIST, S.SEEN, S.CLOSED},
    S.WAITING_LIST: {S.SEEN, S.DECLINED, S.CLOSED},
    S.DECLINED: {S.CLOSED},
    S.SEEN: {S.CLOSED},
    S.CLOSED: set(),
}
ALL_PAIRS = [(a, b) for a in S for b in S]


@pytest.fixture
def service_id(db, admin):
    with db.transaction() as session:
        return service_directory.add_service(
            session,
            admin,
            name="Demo PD Service",
            kind=ServiceKind.PERSONALITY_DISORDER,
            contact="1 Hospital Road, Demotown",
            expected_response_days=28,
            snomed_concept_id="3457005",
        ).id


def _new_referral(session, by, client_id, service_id, **overrides):
    values = {
        "service_id": service_id,
        "reason": "Private reason: longstanding emotional instability.",
        "urgency": ReferralUrgency.ROUTINE,
        "created_on": WRITTEN,
        "today": TODAY,
    }
    values.update(overrides)
    return referrals.create_referral(session, by, client_id, **values)


def _path(goal):
    """The shortest allowed way from draft to ``goal``."""
    frontier = [(S.DRAFT, [])]
    seen = {S.DRAFT}
    while frontier:
        status, path = frontier.pop(0)
        if status is goal:
            return path
        for nxt in referrals.allowed_next(status):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append((nxt, [*path, nxt]))
    raise AssertionError(f"{goal} cannot be reached from a draft")


# -- the status machine ---------------------------------------------------------------------


def test_the_status_machine_is_the_one_the_issue_describes():
    assert {k: set(v) for k, v in referrals.TRANSITIONS.items()} == EXPECTED_ALLOWED
    # 19 allowed steps out of 8 x 8 = 64 pairs; the other 45 are refused.
    allowed = [(a, b) for a, b in ALL_PAIRS if referrals.transition_problem(a, b) is None]
    assert len(allowed) == 19
    assert len(ALL_PAIRS) - len(allowed) == 45


@pytest.mark.parametrize(("start", "to"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_pair_has_a_plain_answer(start, to):
    problem = referrals.transition_problem(start, to)
    if to in EXPECTED_ALLOWED[start]:
        assert problem is None
        return
    assert problem is not None
    assert "_" not in problem  # words, not codes (waiting list, not waiting_list)
    if start is to:
        assert problem == f"The referral is already {REFERRAL_STATUS_WORDS[start].lower()}."
    elif start is S.CLOSED:
        assert "closed referral cannot change" in problem
    else:
        assert REFERRAL_STATUS_WORDS[to].lower() in problem
        for option in EXPECTED_ALLOWED[start]:
            assert REFERRAL_STATUS_WORDS[option].lower() in problem


def test_every_allowed_and_refused_transition_in_the_database(
    db, psychologist, client_id, service_id
):
    """All 64 pairs against stored referrals: allowed ones are kept with who and when,
    refused ones raise InvalidTransition and change nothing."""
    with db.transaction() as session:
        made = {}
        for start, to in ALL_PAIRS:
            row = _new_referral(session, psychologist, client_id, service_id)
            for step in _path(start):
                referrals.change_status(
                    session, psychologist, row.id, step, on=date(2026, 3, 2), note="n", today=TODAY
                )
            made[(start, to)] = row.id
    for (start, to), referral_id in made.items():
        with db.session() as session:
            before = referrals.get_referral(session, psychologist, referral_id)
            assert before.status is start
            if to in EXPECTED_ALLOWED[start]:
                after = referrals.change_status(
                    session,
                    psychologist,
                    referral_id,
                    to,
                    on=date(2026, 3, 3),
                    note="Does not meet criteria." if to is S.DECLINED else "",
                    today=TODAY,
                )
                assert after.status is to
                last = after.history[-1]
                assert (last.from_status, last.to_status) == (start, to)
                assert (last.changed_on, last.changed_by) == (date(2026, 3, 3), psychologist.id)
                assert last.changed_by_name == psychologist.display_name
                assert len(after.history) == len(before.history) + 1
            else:
                with pytest.raises(InvalidTransition) as refused:
                    referrals.change_status(
                        session,
                        psychologist,
                        referral_id,
                        to,
                        on=date(2026, 3, 3),
                        note="n",
                        today=TODAY,
                    )
                assert refused.value.message == referrals.transition_problem(start, to)
                session.rollback()
                unchanged = referrals.get_referral(session, psychologist, referral_id)
                assert unchanged == before


def test_declining_needs_a_reason_which_is_kept(db, psychologist, client_id, service_id):
    with db.transaction() as session:
        row = _new_referral(session, psychologist, client_id, service_id)
        referrals.change_status(session, psychologist, row.id, S.SENT, on=WRITTEN, today=TODAY)
    with db.session() as session, pytest.raises(ValidationError) as caught:
        referrals.change_status(session, psychologist, row.id, S.DECLINED, note="  ", today=TODAY)
    assert [(p.where, p.message) for p in caught.value.problems] == [
        ("note", "The reason for declining is required.")
    ]
    with db.transaction() as session:
        declined = referrals.change_status(
            session, psychologist, row.id, S.DECLINED, note="Does not meet criteria.", today=TODAY
        )
    assert declined.decline_reason == "Does not meet criteria."
    assert [(c.from_status, c.to_status) for c in declined.history] == [
        (None, S.DRAFT),
        (S.DRAFT, S.SENT),
        (S.SENT, S.DECLINED),
    ]


def test_a_change_cannot_be_dated_before_the_previous_one(db, psychologist, client_id, service_id):
    with db.transaction() as session:
        row = _new_referral(session, psychologist, client_id, service_id)
        referrals.change_status(
            session, psychologist, row.id, S.SENT, on=date(2026, 3, 10), today=TODAY
        )
    with db.session() as session, pytest.raises(ValidationError) as caught:
        referrals.change_status(
            session, psychologist, row.id, S.ACKNOWLEDGED, on=date(2026, 3, 9), today=TODAY
        )
    assert caught.value.problems[0].message == "The date cannot be before 10 March 2026."
    with db.session() as session, pytest.raises(ValidationError) as future:
        referrals.change_status(
            session, psychologist, row.id, S.ACKNOWLEDGED, on=TODAY + timedelta(days=1), today=TODAY
        )
    assert future.value.problems[0].message == "The date cannot be in the future."
    with db.transaction() as session:  # the same day as the previous change is fine
        same_day = referrals.change_status(
            session, psychologist, row.id, S.ACKNOWLEDGED, on=date(2026, 3, 10), today=TODAY
        )
    assert same_day.status_on == date(2026, 3, 10)


def test_a_change_made_meanwhile_is_not_built_upon(db, psychologist, client_id, service_id):
    with db.transaction() as session:
        row = _new_referral(session, psychologist, client_id, service_id)
        referrals.change_status(session, psychologist, row.id, S.SENT, today=TODAY)
    with db.session() as session, pytest.raises(ConflictError):
        referrals.change_status(
            session,
            psychologist,
            row.id,
            S.ACKNOWLEDGED,
            expected_version=row.version,
            today=TODAY,
        )


def test_new_referrals_are_drafts_with_their_service_and_history(
    db, psychologist, client_id, service_id
):
    with db.transaction() as session:
        row = _new_referral(
            session,
            psychologist,
            client_id,
            service_id,
            clinical_detail="Private detail.",
            fact_shareable=True,
            share_gateway=Gateway.CONSENT,
        )
    with db.session() as session:
        (listed,) = referrals.referrals_for_client(session, psychologist, client_id)
    assert listed == row
    assert (listed.status, listed.service_name, listed.expected_response_days) == (
        S.DRAFT,
        "Demo PD Service",
        28,
    )
    assert listed.clinical_detail == "Private detail."
    assert (listed.fact_shareable, listed.share_gateway) == (True, Gateway.CONSENT)
    assert [(c.to_status, c.changed_on) for c in listed.history] == [(S.DRAFT, WRITTEN)]


def test_a_referral_needs_a_reason_and_an_active_service(
    db, admin, psychologist, client_id, service_id
):
    with db.transaction() as session:
        service_directory.set_service_active(session, admin, service_id, active=False)
    with db.session() as session, pytest.raises(ValidationError) as caught:
        _new_referral(session, psychologist, client_id, service_id, reason="", fact_shareable=True)
    assert {p.where for p in caught.value.problems} == {"service", "reason", "share_gateway"}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 0


def test_an_unshareable_referral_keeps_no_gateway(db, psychologist, client_id, service_id):
    with db.transaction() as session:
        row = _new_referral(
            session, psychologist, client_id, service_id, share_gateway=Gateway.CONSENT
        )
    assert (row.fact_shareable, row.share_gateway) == (False, None)


def test_referrals_need_clinical_access(db, admin, psychologist, client_id, service_id):
    with db.session() as session, pytest.raises(AccessDenied):
        referrals.referrals_for_client(session, admin, client_id)


# -- follow-up rules --------------------------------------------------------------------------


def _follow(status, today, *, status_on=WRITTEN, sent_on=None, days=28):
    return follow_up(
        status,
        created_on=WRITTEN,
        sent_on=sent_on,
        status_on=status_on,
        expected_response_days=days,
        today=today,
    )


def test_a_sent_referral_is_overdue_from_the_day_after_its_due_date():
    sent = date(2026, 3, 1)
    # Due on 1 March + 28 days = 29 March.
    on_due_day = _follow(S.SENT, date(2026, 3, 29), sent_on=sent)
    assert (on_due_day.due_on, on_due_day.overdue, on_due_day.needs_attention) == (
        date(2026, 3, 29),
        False,
        False,
    )
    assert on_due_day.message == "Sent on 1 March 2026: a response is expected by 29 March 2026."
    day_after = _follow(S.SENT, date(2026, 3, 30), sent_on=sent)
    assert (day_after.overdue, day_after.flag) == (True, "Overdue")
    assert day_after.message.startswith("Overdue by 1 day: sent on 1 March 2026")
    assert "within 28 days" in day_after.message
    # Ten days later: 9 April - 29 March = 11 days overdue.
    assert _follow(S.SENT, date(2026, 4, 9), sent_on=sent).message.startswith("Overdue by 11 days")


def test_the_services_own_response_time_sets_the_due_date():
    sent = date(2026, 3, 1)
    # 14 days: due 15 March, overdue on the 16th.
    assert not _follow(S.SENT, date(2026, 3, 15), sent_on=sent, days=14).overdue
    assert _follow(S.SENT, date(2026, 3, 16), sent_on=sent, days=14).overdue


@pytest.mark.parametrize("response", [S.ACKNOWLEDGED, S.ACCEPTED, S.DECLINED, S.WAITING_LIST])
def test_any_response_ends_the_overdue_flag(response):
    later = date(2026, 6, 1)
    assert not _follow(response, later, status_on=date(2026, 5, 31), sent_on=WRITTEN).overdue


@pytest.mark.parametrize(
    ("status", "since", "allowed"),
    [
        # status, the date its clock starts, days allowed before it is flagged
        (S.DRAFT, WRITTEN, 7),
        (S.ACKNOWLEDGED, date(2026, 3, 5), 28),
        (S.ACCEPTED, date(2026, 3, 5), 90),
        (S.WAITING_LIST, date(2026, 3, 5), 90),
        (S.DECLINED, date(2026, 3, 5), 0),
        (S.SEEN, date(2026, 3, 5), 28),
    ],
)
def test_awaiting_action_starts_the_day_after_each_due_date(status, since, allowed):
    due = since + timedelta(days=allowed)
    on_due = _follow(status, due, status_on=since, sent_on=WRITTEN)
    after = _follow(status, due + timedelta(days=1), status_on=since, sent_on=WRITTEN)
    assert on_due.due_on == due
    assert not on_due.needs_attention
    assert (after.awaiting_action, after.overdue, after.flag) == (True, False, "Awaiting action")
    # The message counts the days since the clock started: allowed + 1.
    assert f"{allowed + 1} day" in after.message


def test_a_closed_referral_needs_nothing():
    closed = _follow(S.CLOSED, date(2030, 1, 1), sent_on=WRITTEN)
    assert (closed.due_on, closed.needs_attention) == (None, False)


def test_a_stored_referral_follows_up_from_its_history(db, psychologist, client_id, service_id):
    with db.transaction() as session:
        row = _new_referral(session, psychologist, client_id, service_id)
        row = referrals.change_status(
            session, psychologist, row.id, S.SENT, on=date(2026, 3, 2), today=TODAY
        )
    assert row.sent_on == date(2026, 3, 2)
    # Sent 2 March, service answers within 28 days: due 30 March, overdue on the 31st.
    assert not row.follow_up(date(2026, 3, 30)).overdue
    assert row.follow_up(date(2026, 3, 31)).overdue
    with db.transaction() as session:
        row = referrals.change_status(
            session, psychologist, row.id, S.ACKNOWLEDGED, on=date(2026, 3, 12), today=TODAY
        )
    # Acknowledged 12 March: decision due 9 April; flagged from 10 April.
    assert row.status_on == date(2026, 3, 12)
    assert not row.follow_up(date(2026, 4, 9)).needs_attention
    assert row.follow_up(date(2026, 4, 10)).awaiting_action


# -- the directory and SNOMED CT ids -------------------------------------------------------------


def _with_check_digit(body: str) -> str:
    """``body`` followed by its Verhoeff check digit (found by trying each digit)."""
    for digit in "0123456789":
        if service_directory.verhoeff_valid(body + digit):
            return body + digit
    raise AssertionError("no check digit")


@pytest.mark.parametrize("sctid", ["3457005", "306292001", " 3457005 "])
def test_published_concept_ids_are_accepted(sctid):
    assert snomed_concept_id_problem(sctid) is None


def test_long_format_concept_ids_are_accepted():
    # Namespace 1000001, partition 10 (a concept in an extension), 18 digits in all.
    sctid = _with_check_digit("12345" + "1000001" + "10")
    assert len(sctid) == 15
    assert snomed_concept_id_problem(sctid) is None
    assert snomed_concept_id_problem(_with_check_digit("1" * 15 + "10")) is None  # 18 digits


@pytest.mark.parametrize(
    ("sctid", "message"),
    [
        ("34570", "A SNOMED CT concept id is 6 to 18 digits, for example 3457005."),
        ("1" * 19, "A SNOMED CT concept id is 6 to 18 digits, for example 3457005."),
        ("3457OO5", "A SNOMED CT concept id is 6 to 18 digits, for example 3457005."),
        ("345-7005", "A SNOMED CT concept id is 6 to 18 digits, for example 3457005."),
        (
            "\uff13\uff14\uff15\uff17\uff10\uff10\uff15",  # full-width digits
            "A SNOMED CT concept id is 6 to 18 digits, for example 3457005.",
        ),
        ("0345700", "A SNOMED CT concept id never starts with 0. Check it was copied in full."),
        (
            "3457006",
            "This is not a valid SNOMED CT id: its check digit does not match. "
            "Check it was copied correctly.",
        ),
        (
            "3457050",  # two digits swapped: Verhoeff catches transpositions
            "This is not a valid SNOMED CT id: its check digit does not match. "
            "Check it was copied correctly.",
        ),
    ],
)
def test_malformed_ids_get_a_plain_message(sctid, message):
    assert snomed_concept_id_problem(sctid) == message


@pytest.mark.parametrize(("partition", "what"), [("01", "a description"), ("12", "a relationship")])
def test_ids_of_other_components_are_refused(partition, what):
    sctid = _with_check_digit("34570" + partition)
    assert service_directory.verhoeff_valid(sctid)
    assert snomed_concept_id_problem(sctid) == (
        f"This SNOMED CT id identifies {what}, not a concept. "
        "Enter the concept id of the referral type."
    )


def test_an_unknown_partition_is_refused():
    sctid = _with_check_digit("34570" + "05")
    assert "not a SNOMED CT concept id" in snomed_concept_id_problem(sctid)


def test_administrators_keep_the_directory(db, admin, psychologist):
    with db.transaction() as session:
        added = service_directory.add_service(
            session,
            admin,
            name="  Forensic Service  ",
            kind=ServiceKind.FORENSIC,
            contact="forensic@example.nhs.uk",
            expected_response_days=56,
            snomed_concept_id="306292001",
        )
    assert (added.name, added.active, added.snomed_concept_id) == (
        "Forensic Service",
        True,
        "306292001",
    )
    with db.transaction() as session:
        changed = service_directory.update_service(
            session,
            admin,
            added.id,
            name="Forensic Mental Health Service",
            kind=ServiceKind.FORENSIC,
            contact="Ward 3",
            expected_response_days=42,
            snomed_concept_id="",
        )
        stopped = service_directory.set_service_active(session, admin, added.id, active=False)
    assert (changed.name, changed.expected_response_days, changed.snomed_concept_id) == (
        "Forensic Mental Health Service",
        42,
        None,
    )
    assert not stopped.active
    with db.session() as session:
        listed = service_directory.service_directory(session, psychologist)  # anyone may read it
    assert [(s.name, s.active, s.contact) for s in listed] == [
        ("Forensic Mental Health Service", False, "Ward 3")
    ]
    for attempt in (
        lambda s: service_directory.add_service(s, psychologist, name="X", kind=ServiceKind.GP),
        lambda s: service_directory.set_service_active(s, psychologist, added.id, active=True),
        lambda s: service_directory.update_service(
            s,
            psychologist,
            added.id,
            name="X",
            kind=ServiceKind.GP,
            contact="",
            expected_response_days=1,
            snomed_concept_id=None,
        ),
    ):
        with db.session() as session, pytest.raises(AccessDenied):
            attempt(session)


def test_bad_directory_entries_list_every_problem_and_store_nothing(db, admin, service_id):
    with db.session() as session, pytest.raises(ValidationError) as caught:
        service_directory.add_service(
            session,
            admin,
            name="demo pd service",  # the same name in other letters
            kind=ServiceKind.OTHER,
            expected_response_days=0,
            snomed_concept_id="3457006",
        )
    problems = {p.where: p.message for p in caught.value.problems}
    assert problems == {
        "name": "A service with this name is already in the directory.",
        "expected_response_days": "The expected response time is a whole number of days, 1 to 365.",
        "snomed_concept_id": "This is not a valid SNOMED CT id: its check digit does not "
        "match. Check it was copied correctly.",
    }
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SpecialistService)) == 1


def test_a_service_may_keep_its_own_name_when_edited(db, admin, service_id):
    with db.transaction() as session:
        row = service_directory.update_service(
            session,
            admin,
            service_id,
            name="Demo PD Service",
            kind=ServiceKind.PERSONALITY_DISORDER,
            contact="",
            expected_response_days=30,
            snomed_concept_id="3457005",
        )
    assert row.expected_response_days == 30


# -- what a letter is made from -------------------------------------------------------------------


def test_letter_facts_hold_identity_referral_and_a_risk_summary_without_private_detail(
    db, psychologist, client_id, service_id
):
    with db.transaction() as session:
        clients.record_risk_assessment(
            session,
            psychologist,
            client_id,
            tool=RiskTool.SRP,
            tool_version="2",
            assessed_on=date(2026, 2, 1),
            judgements={"persistence": "high", "recurrence": "moderate"},
            rationale="RATIONALE-CANARY",
            shareable_summary="Risk of persistence is high and actively managed.",
            today=TODAY,
        )
        risk.record_risk_event(
            session,
            psychologist,
            client_id,
            kind=RiskEventKind.CONTACT_WITH_VICTIM,
            urgency=Urgency.URGENT,
            occurred_on=date(2026, 3, 10),
            detail="DETAIL-CANARY: messaged Jane through her sister",
            shareable_statement="Indirect contact with the victim was disclosed.",
            today=TODAY,
        )
        third_parties.add_third_party(
            session,
            psychologist,
            client_id,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM,
                name="THIRD-PARTY-CANARY",
                details="Jane, the former partner",
            ),
        )
        row = _new_referral(
            session, psychologist, client_id, service_id, clinical_detail="Detail for the service."
        )
        facts = letters.letter_facts(session, psychologist, row.id, today=TODAY)
    assert (facts.client_name, facts.date_of_birth, facts.nhs_number) == (
        "Alex Example",
        date(1985, 4, 12),
        "9434765919",
    )
    assert (facts.service_name, facts.service_kind) == (
        "Demo PD Service",
        "Personality disorder service",
    )
    assert facts.reason.startswith("Private reason")
    assert facts.clinical_detail == "Detail for the service."
    assert facts.referrer_name == psychologist.display_name
    assert facts.risk_assessment is not None
    assert facts.risk_assessment.tool == "Stalking Risk Profile (SRP)"
    assert facts.risk_assessment.judgements == (("persistence", "high"), ("recurrence", "moderate"))
    assert [e.statement for e in facts.risk_events] == [
        "Indirect contact with the victim was disclosed."
    ]
    flat = repr(facts.as_payload())
    for canary in ("RATIONALE-CANARY", "DETAIL-CANARY", "THIRD-PARTY-CANARY", "Jane"):
        assert canary not in flat


def test_follow_up_summaries_are_a_few_words():
    # Sent 1 March, 28 days: due 29 March; on 30 March one day overdue.
    assert _follow(S.SENT, date(2026, 3, 30), sent_on=date(2026, 3, 1)).summary == (
        "no response, 1 day overdue"
    )
    # Written 1 March, 7 days to send: flagged on 9 March, 8 days after it was written.
    assert _follow(S.DRAFT, date(2026, 3, 9)).summary == "draft, not sent after 8 days"
    assert _follow(S.SENT, date(2026, 3, 2), sent_on=date(2026, 3, 1)).summary == (
        "response expected by 29 March 2026"
    )
    # Accepted 5 March: seen expected within 90 days, by 3 June.
    assert _follow(S.ACCEPTED, date(2026, 3, 6), status_on=date(2026, 3, 5)).summary == (
        "accepted: the client should be seen by 3 June 2026"
    )


# -- the command line ------------------------------------------------------------------------------


def _cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_administrators_keep_the_directory_from_the_command_line(tmp_path):
    db = str(tmp_path / "clinic.db")
    admin_pw = "admin password 1"
    code, _, err = _cli("init", "--db", db, "--admin", "Admin", "--password-stdin", stdin=admin_pw)
    assert code == 0, err

    def as_admin(*args: str) -> tuple[int, str, str]:
        return _cli(*args, "--db", db, "--user", "admin", "--password-stdin", stdin=admin_pw)

    code, out, err = as_admin("service", "add", "PD Service", "--kind", "gp", "--snomed", "3457006")
    assert code != 0
    assert "check digit does not match" in err
    assert as_admin("service", "list")[1] == "The service directory is empty.\n"
    code, out, err = as_admin(
        "service",
        "add",
        "PD Service",
        "--kind",
        "personality_disorder",
        "--response-days",
        "42",
        "--snomed",
        "3457005",
    )
    assert (code, out) == (0, "Added 'PD Service' to the service directory.\n"), err
    code, out, err = as_admin("service", "update", "pd service", "--in-use", "no")
    assert code == 0, err
    assert out == (
        "Updated 'PD Service' in the service directory; it is out of use (its past referrals "
        "are kept).\n"
    )
    assert as_admin("service", "list")[1] == (
        "PD Service\tPersonality disorder service\t42 days\tout of use\t3457005\n"
    )
    code, _, err = as_admin("service", "update", "Nowhere", "--in-use", "yes")
    assert code != 0 and "There is no service called 'Nowhere'" in err


@pytest.mark.parametrize(
    "consent", [ConsentToShare.REFUSED, ConsentToShare.NOT_ASKED, ConsentToShare.NOT_REQUIRED]
)
def test_the_fact_of_a_referral_is_shared_on_consent_only_if_it_was_given(
    db, psychologist, service_id, consent
):
    with db.transaction() as session:
        client_id = clients.register_client(
            session, psychologist, client_details(consent_to_share=consent)
        ).id
    with db.session() as session, pytest.raises(ValidationError) as caught:
        _new_referral(
            session,
            psychologist,
            client_id,
            service_id,
            fact_shareable=True,
            share_gateway=Gateway.CONSENT,
        )
    [problem] = caught.value.problems
    assert problem.where == "share_gateway" and "does not show consent" in problem.message
    with db.transaction() as session:  # another gateway may still allow it
        row = _new_referral(
            session,
            psychologist,
            client_id,
            service_id,
            fact_shareable=True,
            share_gateway=Gateway.CDA_S115,
        )
    assert row.share_gateway is Gateway.CDA_S115
