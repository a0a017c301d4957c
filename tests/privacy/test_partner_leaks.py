"""No clinical or third-party value, and no identifying detail an audience may not have,
reaches a partner document, through any path.

Records are built with the services, as a clinician would, while a flush hook writes a
unique canary string into EVERY text or JSON column classed CLINICAL or THIRD_PARTY on
every row the services create. The columns are enumerated from the models' privacy
classes, so a new column is covered without touching this file; a new *table* with such
columns makes :func:`test_every_sensitive_table_is_filled` fail until a row of it is
added to the record below. Then every audience's summary and the urgent risk
notification are produced through the service path and the command line, read back
with pypdf (text, metadata and raw bytes), and searched for every canary.

(The GUI export path is added by the screens' own tests.)
"""

from __future__ import annotations

import io
import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import JSON, Enum, String, Text, event, inspect, select
from sqlalchemy.orm import Session

from clinic_app import cli
from clinic_app.errors import ValidationError
from clinic_app.models import Base, Client, Privacy, privacy_of
from clinic_app.models.enums import (
    Attendance,
    ConsentToShare,
    CriticalReviewOutcome,
    Engagement,
    Gateway,
    InterventionKind,
    MeasureMode,
    Modality,
    Phase,
    PlanStatus,
    ProtectiveMeasureKind,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    ServiceKind,
    ShareDecisionKind,
    ThirdPartyRelation,
    Typology,
    Urgency,
)
from clinic_app.services import (
    clients,
    critical_items,
    form_drafts,
    measures,
    notes,
    plans,
    referrals,
    risk,
    third_parties,
)
from clinic_app.services.sharing import audiences, disclosures, documents, drafts
from clinic_app.services.validation import nhs_check_digit
from clinic_app.storage.keys import CredentialStore
from tests.conftest import STAFF_PASSWORD, own_password

NEVER = (Privacy.CLINICAL, Privacy.THIRD_PARTY)
TODAY = date.today()
START = TODAY - timedelta(days=120)
DECISION = disclosures.SharingDecision(
    recipient_agency="Partner agency",
    purpose="Review",
    gateway=Gateway.CDA_S115,
    client_informed=True,
    caldicott=disclosures.CaldicottConfirmation(True, True, True, True),
)


def _holds_text(column: Any) -> bool:
    """Free text or JSON: a column a canary string can be written into (not coded values)."""
    kind = column.type
    return isinstance(kind, String | Text | JSON) and not isinstance(kind, Enum)


def sensitive_text_columns() -> dict[str, list[str]]:
    """Every CLINICAL or THIRD_PARTY column that can hold a string, by table."""
    found: dict[str, list[str]] = {}
    for mapper in Base.registry.mappers:
        for column in mapper.local_table.columns:
            if privacy_of(column) in NEVER and _holds_text(column):
                found.setdefault(mapper.local_table.name, []).append(column.name)  # type: ignore[attr-defined]
    return found


def sensitive_other_columns() -> set[str]:
    """CLINICAL or THIRD_PARTY columns that cannot hold a canary string (numbers, codes)."""
    return {
        f"{mapper.local_table.name}.{column.name}"  # type: ignore[attr-defined]
        for mapper in Base.registry.mappers
        for column in mapper.local_table.columns
        if privacy_of(column) in NEVER and not _holds_text(column)
    }


# Known non-text sensitive columns and why no partner path can show them: measure answers
# only reach MeasureDirection, whose only fields are a title, two dates and a direction
# word; a third party's relation is never selected (the guarded reader refuses it).
# Coded values and dates no partner document reads: the policies cannot name them (they
# are THIRD_PARTY or CLINICAL) and the builders never select them.
NON_TEXT_ACCOUNTED_FOR = {
    "measure_response.value",
    "third_party.relation",
    "protective_measure.kind",
    "protective_measure.starts_on",
    "protective_measure.ends_on",
    "protective_measure.revoked_on",
}


@dataclass
class Canaries:
    """The canary written into each sensitive column, and which tables got one."""

    token: str
    values: dict[str, str] = field(default_factory=dict)
    filled: set[str] = field(default_factory=set)

    def value(self, table: str, column: str) -> str:
        key = f"{table}.{column}"
        if key not in self.values:
            self.values[key] = f"Qz{self.token}{len(self.values):03d}x"
        return self.values[key]


@contextmanager
def canaried(session: Session, canaries: Canaries) -> Iterator[None]:
    """Fill every sensitive text/JSON column of every new row with its canary at flush."""
    columns = sensitive_text_columns()

    def fill(sess: Session, _context: Any, _instances: Any) -> None:
        for obj in sess.new:
            mapper = inspect(obj).mapper
            table = mapper.local_table.name
            for name in columns.get(table, []):
                column = mapper.local_table.columns[name]
                key = mapper.get_property_by_column(column).key
                canary = canaries.value(table, name)
                if isinstance(column.type, JSON):
                    setattr(obj, key, {"canary": canary, "list": [canary]})
                else:
                    setattr(obj, key, canary)
                canaries.filled.add(table)

    event.listen(session, "before_flush", fill)
    try:
        yield
    finally:
        event.remove(session, "before_flush", fill)


@dataclass(frozen=True)
class Identity:
    given_name: str
    family_name: str
    date_of_birth: date
    nhs_number: str
    local_ref: str
    police_ref: str
    address: str

    def forms(self, column: str) -> list[str]:
        """How a value could appear in a document."""
        if column == "date_of_birth":
            d = self.date_of_birth
            return [d.isoformat(), f"{d.day} {d:%B %Y}", f"{d:%d/%m/%Y}"]
        if column == "nhs_number":
            n = self.nhs_number
            return [n, f"{n[:3]} {n[3:6]} {n[6:]}"]
        return [getattr(self, column)]


def nhs_numbers() -> st.SearchStrategy[str]:
    def valid(nine: str) -> str | None:
        check = nhs_check_digit(nine)
        return None if check is None else nine + str(check)

    return (
        st.text(string.digits, min_size=9, max_size=9)
        .filter(lambda n: not n.startswith("999") and n[0] != "0")
        .map(valid)
        .filter(lambda n: n is not None)  # type: ignore[arg-type]
    )  # type: ignore[return-value]


TOKEN = st.text(string.ascii_lowercase + string.digits, min_size=8, max_size=8)
WORD = st.text(string.ascii_uppercase, min_size=6, max_size=10).map(lambda w: "Zy" + w.lower())
SHAREABLE_TEXT = st.text(string.ascii_letters + " .,", min_size=3, max_size=60).filter(
    lambda t: t.strip() != ""
)


@st.composite
def identities(draw: st.DrawFn) -> Identity:
    return Identity(
        given_name=draw(WORD),
        family_name=draw(WORD),
        date_of_birth=draw(st.dates(date(1940, 1, 1), date(2005, 12, 31))),
        nhs_number=draw(nhs_numbers()),
        local_ref="LR" + draw(TOKEN),
        police_ref="PR" + draw(TOKEN),
        address=draw(WORD) + " Street",
    )


@dataclass
class Record:
    client_id: int
    urgent_event: int
    identity: Identity
    canaries: Canaries


def build(
    db, me, other, admin, identity: Identity, canaries: Canaries, texts: list[str], sessions: int
) -> Record:  # type: ignore[no-untyped-def]
    """A client with a row in every table that has sensitive columns."""
    with db.transaction() as s, canaried(s, canaries):
        cid = clients.register_client(
            s,
            me,
            clients.ClientDetails(
                local_ref=identity.local_ref,
                given_name=identity.given_name,
                family_name=identity.family_name,
                date_of_birth=identity.date_of_birth,
                site="North",
                referral_date=START - timedelta(days=5),
                nhs_number=identity.nhs_number,
                police_ref=identity.police_ref,
                address=identity.address,
                sharing_notes="x",
                consent_to_share=ConsentToShare.GIVEN,
            ),
        ).id
        victim = third_parties.add_third_party(
            s,
            me,
            cid,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM, name="x", details="x"
            ),
        )
        third_parties.add_protective_measure(
            s,
            me,
            victim.id,
            third_parties.ProtectiveMeasureInput(
                kind=ProtectiveMeasureKind.STALKING_PROTECTION_ORDER,
                starts_on=START,
                ends_on=TODAY + timedelta(days=365),
                forbids="x",
            ),
        )
        clients.set_typology(s, me, cid, Typology.REJECTED, rationale="x", assessed_on=START)
        clients.record_risk_assessment(
            s,
            me,
            cid,
            tool=RiskTool.SAM,
            tool_version="1",
            assessed_on=START,
            judgements={"nature": "low"},
            rationale="x",
            shareable_summary=texts[0],
        )
        plan = plans.create_plan(
            s,
            me,
            cid,
            plans.PlanInput(
                status=PlanStatus.ACTIVE,
                phase=Phase.INTERVENTION,
                formulation="x",
                change_note="x",
                next_review_on=TODAY + timedelta(days=20),
                goals=(
                    plans.GoalInput("x", texts[1], involves_victim=True, victim_review_note="x"),
                ),
                interventions=(plans.InterventionInput(kind=InterventionKind.CBT, detail="x"),),
            ),
        )
        key = plan.goals[0].goal_key
        plans.rate_goal(s, me, plan.plan_id, key, rating=5, rated_on=START, comment="x")
        plans.record_review(s, me, plan.plan_id, due_on=START, held_on=START, outcome="x")
        note_ids = []
        attendance = list(Attendance)
        for i in range(sessions):
            row = notes.create_draft(
                s,
                me,
                cid,
                notes.NoteContent(
                    session_date=START + timedelta(days=i),
                    duration_minutes=45,
                    modality=Modality.IN_PERSON,
                    attendance=attendance[i % len(attendance)],
                    engagement=Engagement.GOOD,
                    risk_checkin="x",
                    agenda="x",
                    intervention_content="x",
                    homework="x",
                    risk_rerating="x",
                    actions="x",
                    partner_update=texts[2],
                ),
            )
            note_ids.append(row.id)
        notes.sign_note(s, me, note_ids[0], password=STAFF_PASSWORD)
        notes.add_addendum(s, me, note_ids[0], reason="x", text="x", password=STAFF_PASSWORD)
        notes.mark_entered_in_error(s, me, note_ids[-1], reason="x")
        notes.autosave(s, me, cid, {"agenda": "x"})
        form_drafts.keep_open_forms(
            s, me, [form_drafts.OpenForm(cid, "Plan", "plan", {}, {"x": "x"})]
        )
        urgent = risk.record_risk_event(
            s,
            me,
            cid,
            kind=RiskEventKind.CONTACT_WITH_VICTIM,
            urgency=Urgency.URGENT,
            occurred_on=START + timedelta(days=1),
            detail="x",
            shareable_statement=texts[3],
        )
        risk.record_share_decision(
            s,
            me,
            urgent.id,
            decision=ShareDecisionKind.SHARED,
            reason="x",
            gateway=Gateway.CDA_S115,
            shared_with="Police",
            client_informed=True,
        )
        service_ids = [svc.id for svc in referrals.service_directory(s, me)]
        if not service_ids:
            service_ids = [
                referrals.add_service(
                    s, admin, name="Leak test service", kind=ServiceKind.FORENSIC
                ).id
            ]
        ref = referrals.create_referral(
            s,
            me,
            cid,
            service_id=service_ids[0],
            reason="x",
            clinical_detail="x",
            urgency=ReferralUrgency.ROUTINE,
            fact_shareable=True,
            share_gateway=Gateway.CONSENT,
            created_on=START,
        )
        referrals.change_status(s, me, ref.id, ReferralStatus.SENT, on=START, note="x")
        phq9 = next(d for d in measures.available_measures(s, me) if d.id == "phq-9")
        given = [
            measures.record_administration(
                s,
                me,
                cid,
                measure_id="phq-9",
                measure_version=phq9.version,
                administered_on=day,
                answers=dict.fromkeys(range(1, 10), value),
                mode=MeasureMode.CLINICIAN_ENTRY,
            )
            for day, value in ((START, 3), (TODAY, 0))
        ]
        critical_items.review_critical_answers(  # item 9 answered 3 on the first
            s, me, given[0].id, outcome=CriticalReviewOutcome.NO_FURTHER_ACTION, reason="x"
        )
        disclosures.record_decision_not_to_share(
            s,
            me,
            cid,
            audience="police",
            recipient_agency="Police",
            purpose="Asked for an update",
            reason="x",
            client_informed=False,
            client_not_informed_reason="x",
        )
    with db.transaction() as s, canaried(s, canaries):
        # ``other`` is not assigned to the client: an emergency-access row with its reason.
        clients.grant_emergency_access(s, other, cid, "Urgent call from the police")
    return Record(cid, urgent.id, identity, canaries)


# -- looking for canaries --------------------------------------------------------------------------


def document_texts(data: bytes) -> tuple[str, str]:
    """All the text of a PDF (pages and metadata) and the same with whitespace removed."""
    reader = PdfReader(io.BytesIO(data))
    parts = [page.extract_text() for page in reader.pages]
    parts.extend(str(v) for v in (reader.metadata or {}).values())
    parts.append(data.decode("latin-1"))
    joined = "\n".join(parts)
    return joined, re.sub(r"\s+", "", joined)


def assert_no_leak(data: bytes, record: Record, audience: str, where: str) -> None:
    text, squeezed = document_texts(data)
    for column, canary in record.canaries.values.items():
        assert canary not in text and canary not in squeezed, f"{column} leaked into {where}"
    policy = audiences.BUILT_IN[audience]
    allowed = {f.partition(".")[2] for f in policy.identifying}
    for column in (
        "given_name",
        "family_name",
        "date_of_birth",
        "nhs_number",
        "local_ref",
        "police_ref",
        "address",
    ):
        for form in record.identity.forms(column):
            if column in allowed:
                continue
            assert form not in text and re.sub(r"\s+", "", form) not in squeezed, (
                f"client.{column} reached the {audience} document ({where})"
            )
    # A positive control: what the audience may have is there, so the reading works.
    name = record.identity.family_name
    if "family_name" in allowed:
        assert name in text, f"the {audience} document ({where}) could not be read"


def assert_no_canary_in_words(text: str, record: Record, where: str) -> None:
    for column, canary in record.canaries.values.items():
        assert canary not in text, f"{column} leaked into {where}"


def export_all(
    db, me, record: Record, tmp: Path, accept: bool = True
) -> list[tuple[str, str, bytes]]:  # type: ignore[no-untyped-def]
    out: list[tuple[str, str, bytes]] = []
    for audience in audiences.AUDIENCE_NAMES:
        with db.transaction() as s:
            draft = drafts.prepare_partner_summary(
                s, me, record.client_id, audience=audience, period_from=START, period_to=TODAY
            )
            path = tmp / f"{audience}-{record.identity.local_ref}.pdf"
            documents.export_partner_summary(s, me, draft, DECISION, path, accept_warnings=accept)
            preview = documents.preview_partner_summary(s, me, draft, DECISION)
        out.append((audience, "service export", path.read_bytes()))
        out.append((audience, "service preview", preview.data))
    with db.transaction() as s:
        notice = drafts.prepare_risk_notice(s, me, record.urgent_event)
        path = tmp / f"notice-{record.identity.local_ref}.pdf"
        documents.export_risk_notice(s, me, notice, DECISION, path, accept_warnings=accept)
    out.append(("police", "risk notice export", path.read_bytes()))
    return out


def run_cli(db, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    own_password(db, "dr.jones")
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.main(
        [*args, "--db", str(db.path), "--user", "dr.jones", "--password-stdin"],
        stdin=io.StringIO(STAFF_PASSWORD + "\n"),
        stdout=stdout,
        stderr=stderr,
    )
    return code, stdout.getvalue(), stderr.getvalue()


SHARING = (
    "--recipient",
    "Partner agency",
    "--purpose",
    "Review",
    "--gateway",
    "cda-s115",
    "--client-informed",
    "--caldicott",
    "necessary,minimum,relevant,accurate",
    "--accept-warnings",
)


def cli_documents(
    db, record: Record, tmp: Path, audiences_to_run: list[str]
) -> list[tuple[str, str, bytes]]:  # type: ignore[no-untyped-def]
    out = []
    for audience in audiences_to_run:
        path = tmp / f"cli-{audience}-{record.identity.local_ref}.pdf"
        code, stdout, err = run_cli(
            db,
            "summary",
            "--client",
            record.identity.local_ref,
            "--audience",
            audience,
            "--from",
            START.isoformat(),
            "--to",
            TODAY.isoformat(),
            *SHARING,
            "--out",
            str(path),
        )
        assert code == 0, err
        assert_no_canary_in_words(stdout, record, "the command line's output")
        out.append((audience, "command line", path.read_bytes()))
    path = tmp / f"cli-notice-{record.identity.local_ref}.pdf"
    code, stdout, err = run_cli(
        db, "risk-notice", "--event", str(record.urgent_event), *SHARING, "--out", str(path)
    )
    assert code == 0, err
    out.append(("police", "command line risk notice", path.read_bytes()))
    return out


# -- the tests ---------------------------------------------------------------------------------


@pytest.fixture
def keyed(db, db_key):  # type: ignore[no-untyped-def]
    CredentialStore().put(db.path, db_key)
    return db


def test_every_sensitive_table_is_filled(db, psychologist, clinician, admin, tmp_path):
    canaries = Canaries("fixed001")
    identity = Identity(
        "Zyfirst", "Zylast", date(1981, 5, 17), "9434765919", "LR1", "PR1", "1 Zy Road"
    )
    build(db, psychologist, clinician, admin, identity, canaries, ["Shareable text"] * 4, 6)
    missing = set(sensitive_text_columns()) - canaries.filled
    assert not missing, (
        f"No row of {sorted(missing)} is in the leak-test record: add one to build() in "
        "tests/privacy/test_partner_leaks.py so its clinical columns are checked."
    )
    unknown = sensitive_other_columns() - NON_TEXT_ACCOUNTED_FOR
    assert not unknown, f"Say how {sorted(unknown)} is kept out of partner documents."
    with db.session() as s:
        # The canaries really are stored (the hook is not a no-op).
        notes_value = s.scalar(select(Client.sharing_notes).where(Client.local_ref == "LR1"))
        assert notes_value == canaries.values["client.sharing_notes"]


def test_no_canary_in_any_partner_document(keyed, psychologist, clinician, admin, tmp_path):
    @given(
        token=TOKEN,
        identity=identities(),
        texts=st.lists(SHAREABLE_TEXT, min_size=4, max_size=4),
        sessions=st.integers(min_value=2, max_value=12),
        cli_audience=st.sampled_from(audiences.AUDIENCE_NAMES),
    )
    @settings(
        max_examples=6,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(
        token: str, identity: Identity, texts: list[str], sessions: int, cli_audience: str
    ) -> None:
        with keyed.session() as s:
            taken = s.scalar(
                select(Client.id).where(
                    (Client.local_ref == identity.local_ref)
                    | (Client.nhs_number == identity.nhs_number)
                )
            )
        if taken is not None:
            return  # hypothesis drew a reference or NHS number already used here
        record = build(
            keyed, psychologist, clinician, admin, identity, Canaries(token), texts, sessions
        )
        produced = export_all(keyed, psychologist, record, tmp_path)
        produced += cli_documents(keyed, record, tmp_path, [cli_audience])
        for audience, where, data in produced:
            assert_no_leak(data, record, audience, where)
        with keyed.transaction() as s:
            csv_text = disclosures.register_csv(s, admin)
        assert_no_canary_in_words(csv_text, record, "the service register CSV")

    check()


def test_every_audience_through_the_command_line(keyed, psychologist, clinician, admin, tmp_path):
    canaries = Canaries("cliall01")
    # References long enough that compressed PDF bytes cannot hold them by chance (a
    # three-letter "LRC" once matched a compressed stream).
    identity = Identity(
        "Zyann", "Zybrook", date(1979, 11, 3), "4010232137", "LRCQZ7741", "PRCQZ7742", "2 Zy Way"
    )
    record = build(keyed, psychologist, clinician, admin, identity, canaries, ["Shareable"] * 4, 5)
    for audience, where, data in cli_documents(
        keyed, record, tmp_path, list(audiences.AUDIENCE_NAMES)
    ):
        assert_no_leak(data, record, audience, where)


def test_a_third_party_named_in_the_purpose_or_recipient_never_reaches_a_document(
    keyed, psychologist, clinician, admin, tmp_path
):
    """The purpose and the recipient's name are printed on every page: a third party's
    name typed there is refused on every export path, and nothing is written or logged."""
    canaries = Canaries("purpose1")
    identity = Identity(
        "Zyfirst", "Zylast", date(1981, 5, 17), "9434765919", "LRP", "PRP", "3 Zy Close"
    )
    record = build(keyed, psychologist, clinician, admin, identity, canaries, ["Shareable"] * 4, 3)
    victim = canaries.values["third_party.name"]
    folder = tmp_path / "out"
    folder.mkdir()
    with keyed.session() as s:
        entries_before = len(disclosures.register_for_client(s, psychologist, record.client_id))
    for decision in (
        replace(DECISION, purpose=f"Update after contact with {victim}"),
        replace(DECISION, recipient_person=victim),
    ):
        with keyed.transaction() as s:
            draft = drafts.prepare_partner_summary(
                s,
                psychologist,
                record.client_id,
                audience="panel",
                period_from=START,
                period_to=TODAY,
            )
            notice = drafts.prepare_risk_notice(s, psychologist, record.urgent_event)
        for export, prepared in (
            (documents.export_partner_summary, draft),
            (documents.export_risk_notice, notice),
        ):
            with pytest.raises(ValidationError) as caught, keyed.transaction() as s:
                export(s, psychologist, prepared, decision, folder / "x.pdf")
            assert {p.where for p in caught.value.problems} & {"purpose", "recipient_person"}
            assert any("name of a third party" in p.message for p in caught.value.problems)
    # The command line, without --accept-warnings.
    sharing = [a for a in SHARING if a != "--accept-warnings"]
    sharing[sharing.index("--purpose") + 1] = f"Update after contact with {victim}"
    code, _, err = run_cli(
        keyed,
        "risk-notice",
        "--event",
        str(record.urgent_event),
        *sharing,
        "--out",
        str(folder / "cli.pdf"),
    )
    assert code == 1 and "name of a third party" in err
    assert list(folder.iterdir()) == []
    with keyed.session() as s:
        assert len(disclosures.register_for_client(s, psychologist, record.client_id)) == (
            entries_before
        )
