"""Two people interleaving edits to the same note and plan: no lost update, every conflict shown.

A property-based stateful test: hypothesis chooses who opens, edits, saves and saves
again over a conflict, in any order. A model of the record says what must be stored after
every step; a save made from a version someone else has since saved over must be refused
with an ``EditConflict`` carrying both texts (a conflict surfaced), and a save from the
current version must be stored (a refused one would lose work too). Then the same race for
real: two threads saving from the same version at the same moment.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from clinic_app.errors import ClinicError, EditConflict
from clinic_app.models import SessionNote
from clinic_app.models.enums import Attendance, Modality, Phase, PlanStatus
from clinic_app.services import clients, notes, plans
from clinic_app.services.workspace import Workspace

TODAY = date(2026, 3, 20)
NOTE = notes.NoteContent(
    session_date=date(2026, 3, 2),
    duration_minutes=50,
    modality=Modality.IN_PERSON,
    attendance=Attendance.ATTENDED,
    agenda="first",
)
PLAN = plans.PlanInput(status=PlanStatus.DRAFT, phase=Phase.ASSESSMENT, formulation="first")
RECORDS = ("note", "plan")
WHAT = {"note": "agenda", "plan": "formulation"}

texts = st.text(alphabet="abc xyz", max_size=12)
users = st.sampled_from((0, 1))
records = st.sampled_from(RECORDS)


@pytest.fixture
def team(db, psychologist, clinician, client_id):
    with db.transaction() as session:
        clients.assign_staff(session, psychologist, client_id, clinician.id)
    return (psychologist, clinician)


class TwoPeopleEditing(RuleBasedStateMachine):
    """Two members of staff, one note and one plan, and what the record must hold."""

    def __init__(self, db, team, client_id) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.db, self.team = db, team
        with db.transaction() as session:
            self.note_id = notes.create_draft(session, team[0], client_id, NOTE, today=TODAY).id
            self.plan_id = plans.create_plan(session, team[0], client_id, PLAN).plan_id
        # The model: the text each record must hold, and its version.
        self.stored = {"note": "first", "plan": "first"}
        self.version = {"note": 1, "plan": 1}
        # The version each person's screen started from, and conflicts they were shown.
        self.opened = {(u, r): 1 for u in (0, 1) for r in RECORDS}
        self.shown: dict[tuple[int, str], tuple[EditConflict, str]] = {}
        self.conflicts = 0

    def _save(self, user: int, record: str, text: str, version: int) -> int:
        who = self.team[user]
        with self.db.transaction() as session:
            if record == "note":
                return notes.edit_draft(
                    session,
                    who,
                    self.note_id,
                    replace(NOTE, agenda=text),
                    expected_version=version,
                    today=TODAY,
                ).version
            return plans.save_revision(
                session, who, self.plan_id, replace(PLAN, formulation=text), based_on=version
            ).number

    def _read(self, record: str) -> tuple[str, int]:
        with self.db.session() as session:
            if record == "note":
                note = session.get(SessionNote, self.note_id)
                assert note is not None
                return note.agenda, note.version
            latest = plans.revisions(session, self.team[0], self.plan_id)[-1]
            return latest.formulation, latest.number

    def _attempt(self, user: int, record: str, text: str, version: int) -> None:
        try:
            saved = self._save(user, record, text, version)
        except EditConflict as conflict:
            # Refused: only right when someone else saved since this version.
            assert version != self.version[record], "a save from the current version refused"
            assert conflict.version == self.version[record]
            if text != self.stored[record]:
                (part,) = [f for f in conflict.fields if f.name == WHAT[record]]
                assert (part.theirs, part.saved) == (text, self.stored[record])
            self.shown[(user, record)] = (conflict, text)
            self.conflicts += 1
        else:
            assert version == self.version[record], "saved over a change not seen: lost update"
            self.stored[record] = text
            self.version[record] = saved
            self.opened[(user, record)] = saved
            self.shown.pop((user, record), None)

    @rule(user=users, record=records)
    def open_again(self, user: int, record: str) -> None:
        """The person reloads the record: their screen now starts from the saved version."""
        text, version = self._read(record)
        assert (text, version) == (self.stored[record], self.version[record])
        self.opened[(user, record)] = version
        self.shown.pop((user, record), None)

    @rule(user=users, record=records, text=texts)
    def save(self, user: int, record: str, text: str) -> None:
        self._attempt(user, record, text, self.opened[(user, record)])

    @rule(user=users, record=records)
    def save_mine_over_it(self, user: int, record: str) -> None:
        """After a conflict, the person chooses to put their text over the newer one."""
        if (user, record) not in self.shown:
            return
        conflict, text = self.shown.pop((user, record))
        self._attempt(user, record, text, conflict.version)

    @rule(user=users, record=records)
    def keep_the_saved_one(self, user: int, record: str) -> None:
        """After a conflict, the person keeps the newer text: their screen shows it."""
        if self.shown.pop((user, record), None) is not None:
            self.open_again(user, record)

    @invariant()
    def the_record_holds_every_acknowledged_save(self) -> None:
        for record in RECORDS:
            assert self._read(record) == (self.stored[record], self.version[record])


def test_two_people_interleaving_edits_lose_nothing_and_see_every_conflict(
    db, team, client_id
) -> None:
    machines: list[TwoPeopleEditing] = []

    def machine() -> TwoPeopleEditing:
        machines.append(TwoPeopleEditing(db, team, client_id))
        return machines[-1]

    run_state_machine_as_test(
        machine,  # type: ignore[arg-type]  # a factory is accepted, not only the class
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    assert sum(m.conflicts for m in machines) > 0  # the interleavings did collide


@pytest.mark.parametrize("record", RECORDS)
def test_two_saves_from_one_version_at_the_same_moment_store_one_and_refuse_the_other(
    db, team, client_id, record
) -> None:
    def create() -> int:
        with db.transaction() as session:
            if record == "note":
                return notes.create_draft(session, team[0], client_id, NOTE, today=TODAY).id
            return plans.create_plan(session, team[0], client_id, PLAN).plan_id

    def save(who, ident: int, text: str) -> object:  # type: ignore[no-untyped-def]
        workspace = Workspace(db, who)
        if record == "note":
            return workspace.call(
                notes.edit_draft, ident, replace(NOTE, agenda=text), expected_version=1, today=TODAY
            )
        return workspace.call(
            plans.save_revision, ident, replace(PLAN, formulation=text), based_on=1
        )

    for _ in range(3):
        ident = create()
        start = threading.Barrier(2)
        outcomes: dict[int, object] = {}

        def run(
            user: int,
            ident: int = ident,
            start: threading.Barrier = start,
            outcomes: dict[int, object] = outcomes,
        ) -> None:
            start.wait()
            try:
                outcomes[user] = save(team[user], ident, f"from {user}")
            except ClinicError as error:
                outcomes[user] = error

        threads = [threading.Thread(target=run, args=(u,)) for u in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        refused = [o for o in outcomes.values() if isinstance(o, ClinicError)]
        assert len(outcomes) == 2 and len(refused) == 1, outcomes
        assert isinstance(refused[0], EditConflict), refused[0]
        (winner,) = [u for u, o in outcomes.items() if not isinstance(o, ClinicError)]
        with db.session() as session:
            if record == "note":
                stored = notes.notes_for_client(session, team[0], client_id)[-1].content.agenda
            else:
                stored = plans.plans_for_client(session, team[0], client_id)[-1].formulation
        assert stored == f"from {winner}"  # the acknowledged save is the one stored
