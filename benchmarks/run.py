"""Measure the performance budget of the architecture notes and report it as a table and JSON.

Run from the project root with the project's interpreter::

    python -m benchmarks.run [--quick] [--keep DIR] [--scale] [--json PATH] [--profile]
    python -m benchmarks.run --only NAME ... [--quick] [--json PATH] [--profile]

With no ``--only`` it measures what the user waits for (``benchmarks/waits.py``): whole
processes and the real window, painted, on stores of 10,000 clients and 100,000 notes.
``--only`` runs the component benchmarks below (services and views on their own).

Benchmarks are measurements, not tests: every figure is repeated and quoted as a median
(with the 95th percentile beside it), compared with its budget and, where the budget
defines one, with a baseline measured in the same run on the same file. Nothing here
fails because a figure is over budget; the table says so and the exit status stays 0.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import keyring
import sqlalchemy
import sqlcipher3
from keyring.backend import KeyringBackend
from keyring.compat import properties
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from clinic_app.models import (
    Client,
    ClientAssignment,
    InterventionPlan,
    MeasureAdministration,
    MeasureResponse,
    NoteAddendum,
    PlanGoal,
    PlannedIntervention,
    PlanRevision,
    Referral,
    ReferralStatusChange,
    RiskAssessment,
    RiskEvent,
    RiskShareDecision,
    SessionNote,
    SpecialistService,
    StaffUser,
    ThirdParty,
    TypologyAssessment,
)
from clinic_app.models.enums import (
    Attendance,
    ClientStatus,
    ConsentToShare,
    Engagement,
    Gateway,
    InterventionKind,
    MeasureMode,
    Modality,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    Role,
    ServiceKind,
    ShareDecisionKind,
    ThirdPartyRelation,
    Typology,
    Urgency,
)
from clinic_app.services import demo, measures, notes, plans, record, referrals, risk, staff
from clinic_app.services.common import StaffRef, content_hash
from clinic_app.storage import engine
from clinic_app.storage.keys import CredentialStore, generate_key

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
ADMIN_PASSWORD = "benchmark admin password"
CLINICIAN_PASSWORD = "benchmark clinician password"
KEY_STORE_USED = "in-memory keyring backend (keyring.set_keyring), read via CredentialStore"

OPEN_TARGET_MS = 50.0
RECORD_TARGET_MS = 100.0
RECORD_TARGET_RATIO = 10.0


# -- results ----------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100) of at least one sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Stats:
    """Summary of repeated timings, in milliseconds."""

    samples_ms: list[float]

    @property
    def n(self) -> int:
        return len(self.samples_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    def to_json(self) -> dict[str, Any]:
        return {
            "median_ms": round(self.median, 3),
            "p95_ms": round(self.p95, 3),
            "min_ms": round(min(self.samples_ms), 3),
            "max_ms": round(max(self.samples_ms), 3),
            "n": self.n,
        }


@dataclass
class Result:
    """One benchmark: its timings, its budget and (optionally) a baseline from the same run."""

    name: str
    stats: Stats
    target_ms: float | None
    target_text: str
    baseline_name: str | None = None
    baseline: Stats | None = None
    target_ratio: float | None = None
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    counted_within: bool | None = None
    """A part of the goal that is a count, not a time (round trips): whether it holds."""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline.median <= 0:
            return None
        return self.stats.median / self.baseline.median

    @property
    def within_budget(self) -> bool | None:
        """Informational only: a benchmark never fails a build."""
        verdicts = []
        if self.target_ms is not None:
            verdicts.append(self.stats.median <= self.target_ms)
        if self.target_ratio is not None and self.ratio is not None:
            verdicts.append(self.ratio <= self.target_ratio)
        if self.counted_within is not None:
            verdicts.append(self.counted_within)
        return all(verdicts) if verdicts else None

    def to_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "name": self.name,
            **self.stats.to_json(),
            "target": {
                "text": self.target_text,
                "median_ms_at_most": self.target_ms,
                "ratio_at_most": self.target_ratio,
            },
            "baseline": None
            if self.baseline is None
            else {"name": self.baseline_name, **self.baseline.to_json()},
            "ratio": None if ratio is None else round(ratio, 3),
            "within_budget": self.within_budget,
            "notes": self.notes,
            "extra": self.extra,
        }


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def _fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 10_000:
        return f"{value / 1000:.1f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    return f"{value:.2f} ms"


def table(results: Sequence[Result]) -> str:
    head = ("benchmark", "median", "p95", "n", "target", "baseline", "ratio", "budget")
    rows = [head]
    for r in results:
        ratio = r.ratio
        verdict = {True: "within", False: "OVER", None: "-"}[r.within_budget]
        rows.append(
            (
                r.name,
                _fmt_ms(r.stats.median),
                _fmt_ms(r.stats.p95),
                str(r.stats.n),
                r.target_text,
                _fmt_ms(r.baseline.median) if r.baseline else "-",
                "-" if ratio is None else f"{ratio:.1f}x",
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(widths[i]) if i in {0, 4} else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# -- shared set-up ----------------------------------------------------------------------------


class MemoryKeyring(KeyringBackend):
    """A credential store that lives in this process only: no OS store is touched."""

    @properties.classproperty
    def priority(cls) -> float:
        return 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._secrets.pop((service, username), None)


def use_memory_keyring() -> None:
    keyring.set_keyring(MemoryKeyring())


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="clinic-bench-") as name:
        yield Path(name)


@dataclass
class Fixture:
    """A new database with an administrator and one psychologist."""

    path: Path
    key: bytes
    database: engine.Database
    me: StaffRef


def new_database(path: Path) -> Fixture:
    key = generate_key()
    database = engine.create_database(path, key)
    with database.transaction() as session:
        admin = staff.create_first_admin(
            session, "bench.admin", ADMIN_PASSWORD, display_name="Benchmark Admin"
        )
        row = staff.add_user(
            session,
            admin,
            "bench.psychologist",
            role=Role.PSYCHOLOGIST,
            password=CLINICIAN_PASSWORD,
            display_name="Benchmark Psychologist",
        )
    return Fixture(path, key, database, StaffRef(row.id, row.username, row.display_name, row.role))


def collect() -> None:
    """Start each repetition from the same garbage-collector state."""
    gc.collect()


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- 1. open the database with the key from the credential store ------------------------------


def _open_with_stored_key(path: Path) -> tuple[engine.Database, dict[str, float]]:
    """What the app does at start: key from the credential store, open, first query."""
    t0 = time.perf_counter()
    key = CredentialStore().get(path)
    t1 = time.perf_counter()
    database = engine.open_database(path, key)
    t2 = time.perf_counter()
    with database.session() as session:
        session.scalar(select(func.count()).select_from(StaffUser))
    t3 = time.perf_counter()
    return database, {
        "key_fetch_ms": _ms(t1 - t0),
        "open_database_ms": _ms(t2 - t1),
        "first_query_ms": _ms(t3 - t2),
        "total_ms": _ms(t3 - t0),
    }


def _raw_open(path: Path, key: bytes) -> float:
    """Baseline: a bare sqlcipher3 connection keyed with the raw key, and one query."""
    t0 = time.perf_counter()
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM staff_user").fetchone()
        elapsed = time.perf_counter() - t0
    finally:
        conn.close()
    return _ms(elapsed)


def bench_open(work: Path, reps: int, warmup: int) -> Result:
    fixture = new_database(work / "open.db")
    fixture.database.close()
    use_memory_keyring()
    CredentialStore().put(fixture.path, fixture.key)
    totals: list[float] = []
    phases: dict[str, list[float]] = {}
    raw: list[float] = []
    for i in range(warmup + reps):
        # Alternate the two so that drift in the machine's load hits both alike.
        collect()
        database, parts = _open_with_stored_key(fixture.path)
        database.close()
        collect()
        raw_ms = _raw_open(fixture.path, fixture.key)
        if i >= warmup:
            totals.append(parts["total_ms"])
            raw.append(raw_ms)
            for name, value in parts.items():
                phases.setdefault(name, []).append(value)
    return Result(
        name="open_database_with_stored_key",
        stats=Stats(totals),
        target_ms=OPEN_TARGET_MS,
        target_text=f"<= {OPEN_TARGET_MS:.0f} ms",
        baseline_name="sqlcipher3.connect + PRAGMA key + one query",
        baseline=Stats(raw),
        notes=[
            f"key store: {KEY_STORE_USED}",
            "repeated in one process (schema scripts and SQLAlchemy caches warm); "
            "see open_database_first_in_process for the first open after start",
            "the ratio is information only: the budget gives no ratio for this one",
        ],
        extra={
            "key_store": KEY_STORE_USED,
            "phases_median_ms": {k: round(statistics.median(v), 3) for k, v in phases.items()},
        },
    )


def _child_cold_open(path: Path) -> None:
    """In a fresh process: install the key, then time the very first open (imports done)."""
    key_hex = sys.stdin.readline().strip()
    use_memory_keyring()
    CredentialStore().put(path, bytes.fromhex(key_hex))
    database, parts = _open_with_stored_key(path)
    database.close()
    print(json.dumps(parts))


def bench_cold_open(work: Path, reps: int) -> Result:
    fixture = new_database(work / "cold.db")
    fixture.database.close()
    totals: list[float] = []
    phases: dict[str, list[float]] = {}
    for _ in range(reps):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.run", "--child-cold-open", str(fixture.path)],
            input=fixture.key.hex() + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the cold-open child process failed:\n{done.stderr}")
        parts = json.loads(done.stdout.strip().splitlines()[-1])
        totals.append(parts["total_ms"])
        for name, value in parts.items():
            phases.setdefault(name, []).append(value)
    return Result(
        name="open_database_first_in_process",
        stats=Stats(totals),
        target_ms=OPEN_TARGET_MS,
        target_text=f"<= {OPEN_TARGET_MS:.0f} ms",
        notes=[
            f"key store: {KEY_STORE_USED}",
            "each sample is a new Python process with clinic_app already imported, timing "
            "its first open (as at application start); process start-up is not included",
        ],
        extra={
            "key_store": KEY_STORE_USED,
            "phases_median_ms": {k: round(statistics.median(v), 3) for k, v in phases.items()},
        },
    )


# -- 2. load a demo caseload ------------------------------------------------------------------


def bench_demo(work: Path, clients: int) -> tuple[Result, Fixture]:
    fixture = new_database(work / "demo.db")
    collect()
    t0 = time.perf_counter()
    with fixture.database.transaction() as session:
        loaded = demo.load_demo_caseload(session, fixture.me, clients)
        t1 = time.perf_counter()
    t2 = time.perf_counter()
    total = t2 - t0
    size = fixture.path.stat().st_size + sum(
        p.stat().st_size for p in fixture.path.parent.glob(fixture.path.name + "-*")
    )
    result = Result(
        name=f"demo_{clients}_clients",
        stats=Stats([_ms(total)]),
        target_ms=None,
        target_text="(no budget)",
        notes=[
            f"{clients:,} clients and {loaded.sessions:,} sessions in one transaction on a "
            f"new database: {clients / total:,.0f} clients/s, commit included",
        ],
        extra={
            "clients": loaded.clients,
            "sessions": loaded.sessions,
            "clients_per_second": round(clients / total, 1),
            "sessions_per_second": round(loaded.sessions / total, 1),
            "load_ms": round(_ms(t1 - t0), 1),
            "commit_ms": round(_ms(t2 - t1), 1),
            "database_bytes": size,
        },
    )
    return result, fixture


# -- 3. open a client with 500 sessions -------------------------------------------------------


class Rows:
    """Rows per table with ids assigned up front, inserted one executemany per table."""

    ORDER: tuple[type[Any], ...] = (
        Client,
        ClientAssignment,
        TypologyAssessment,
        RiskAssessment,
        ThirdParty,
        InterventionPlan,
        PlanRevision,
        PlanGoal,
        PlannedIntervention,
        SessionNote,
        NoteAddendum,
        RiskEvent,
        RiskShareDecision,
        Referral,
        ReferralStatusChange,
        MeasureAdministration,
        MeasureResponse,
    )

    def __init__(self, session: Session) -> None:
        self.session = session
        self.next_ids = {
            model: (session.scalar(select(func.max(model.id))) or 0) + 1 for model in self.ORDER
        }
        self.rows: dict[type[Any], list[dict[str, Any]]] = {}

    def add(self, model: type[Any], **values: Any) -> int:
        ident = self.next_ids[model]
        self.next_ids[model] = ident + 1
        self.rows.setdefault(model, []).append({"id": ident, **values})
        return ident

    def insert_all(self) -> dict[str, int]:
        counts = {}
        for model in self.ORDER:
            rows = self.rows.pop(model, [])
            if rows:
                self.session.execute(insert(model), rows)
                counts[model.__tablename__] = len(rows)
        return counts


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, clock(hour), tzinfo=UTC)


def build_big_client(
    session: Session,
    me: StaffRef,
    *,
    sessions: int = 500,
    administrations: int = 50,
    referral_count: int = 20,
    risk_events: int = 10,
) -> tuple[int, dict[str, int]]:
    """One client with a long record, written directly (the benchmark only reads it)."""
    today = date.today()
    start = today - timedelta(days=3 * sessions + 30)
    service = SpecialistService(
        name=f"Benchmark Service {uuid.uuid4().hex[:8]}",
        kind=ServiceKind.PSYCHIATRY,
        expected_response_days=28,
    )
    session.add(service)
    session.flush()
    used_numbers = {
        n
        for n in session.scalars(select(Client.nhs_number).where(Client.nhs_number.is_not(None)))
        if n
    }
    b = Rows(session)
    client_id = b.add(
        Client,
        local_ref=f"BENCH-{uuid.uuid4().hex[:8]}",
        given_name="Bench",
        family_name="Longrecord",
        date_of_birth=date(1980, 5, 17),
        nhs_number=demo.demo_nhs_number(random.Random(7), used_numbers),
        police_ref="DEMO/BENCH",
        address="1 Demo Street, Demotown",
        site="North",
        referral_source="Police",
        referral_date=start,
        status=ClientStatus.ACTIVE,
        consent_to_share=ConsentToShare.GIVEN,
        sharing_notes="Benchmark record.",
        is_demo=True,
        created_at=_at(start),
        closed_at=None,
        version=1,
    )
    b.add(
        ClientAssignment,
        client_id=client_id,
        staff_id=me.id,
        is_lead=True,
        assigned_at=_at(start),
        ended_at=None,
    )
    b.add(
        TypologyAssessment,
        client_id=client_id,
        typology=Typology.REJECTED,
        rationale="Benchmark rationale.",
        assessed_on=start,
        assessed_by=me.id,
        recorded_at=_at(start),
    )
    b.add(
        RiskAssessment,
        client_id=client_id,
        tool=RiskTool.SRP,
        tool_name="",
        tool_version="2",
        assessor_id=me.id,
        assessed_on=start,
        judgements={"persistence": "high", "recurrence": "moderate", "violence": "low"},
        rationale="Benchmark rationale for the structured judgement.",
        shareable_summary="Risk of persistence is being actively managed.",
        recorded_at=_at(start),
    )
    b.add(
        ThirdParty,
        client_id=client_id,
        label="Person 1",
        relation=ThirdPartyRelation.VICTIM,
        name="Vera Demovictim",
        details="Former partner (demo).",
        recorded_at=_at(start),
    )
    plan_id = b.add(InterventionPlan, client_id=client_id, created_at=_at(start), created_by=me.id)
    goal_keys = [str(uuid.uuid4()) for _ in range(4)]
    for number in (1, 2, 3):
        saved = start + timedelta(days=(number - 1) * 90)
        revision_id = b.add(
            PlanRevision,
            plan_id=plan_id,
            number=number,
            status=PlanStatus.DRAFT if number == 1 else PlanStatus.ACTIVE,
            phase=Phase.ASSESSMENT if number == 1 else Phase.INTERVENTION,
            formulation="Benchmark formulation: grievance and entitlement maintain the pursuit.",
            planned_sessions=500,
            planned_weeks=None,
            next_review_on=saved + timedelta(days=90),
            change_note="" if number == 1 else "Goals refined.",
            saved_at=_at(saved),
            saved_by=me.id,
        )
        for position, goal_key in enumerate(goal_keys):
            b.add(
                PlanGoal,
                revision_id=revision_id,
                goal_key=goal_key,
                position=position,
                private_detail=demo.GOALS[position % len(demo.GOALS)][0],
                partner_wording=demo.GOALS[position % len(demo.GOALS)][1],
                involves_victim=position == 3,
                victim_review_note="Reviewed." if position == 3 else "",
            )
        for position, kind in enumerate(
            (InterventionKind.CBT, InterventionKind.MOTIVATIONAL_INTERVIEWING)
        ):
            b.add(
                PlannedIntervention,
                revision_id=revision_id,
                position=position,
                kind=kind,
                detail="Weekly sessions." if position == 0 else "",
            )
    note_ids: list[int] = []
    unsigned_from = sessions - 5  # the last few are drafts: most notes are signed
    for i in range(sessions):
        day = start + timedelta(days=3 * i)
        content: dict[str, Any] = {
            "session_date": day,
            "duration_minutes": 50,
            "modality": Modality.IN_PERSON if i % 3 else Modality.VIDEO,
            "attendance": Attendance.ATTENDED,
            "engagement": Engagement.GOOD,
            "plan_goal_key": goal_keys[i % 3],
            "risk_checkin": demo.CHECKINS[i % len(demo.CHECKINS)],
            "agenda": demo.AGENDAS[i % len(demo.AGENDAS)],
            "intervention_content": demo.CONTENT[i % len(demo.CONTENT)],
            "homework": demo.HOMEWORK[i % len(demo.HOMEWORK)],
            "risk_rerating": demo.RERATING[i % len(demo.RERATING)],
            "actions": demo.ACTIONS[i % len(demo.ACTIONS)],
            "partner_update": demo.PARTNER_UPDATES[i % len(demo.PARTNER_UPDATES)],
        }
        signed = i < unsigned_from
        written = _at(day, 16)
        digest = (
            content_hash({"client_id": client_id, "author_id": me.id, **content})
            if signed
            else None
        )
        note_id = b.add(
            SessionNote,
            **content,
            client_id=client_id,
            author_id=me.id,
            created_at=written,
            updated_at=written,
            signed_at=written if signed else None,
            signed_by=me.id if signed else None,
            content_sha256=digest,
            version=1,
            entered_in_error_at=None,
            entered_in_error_by=None,
            entered_in_error_reason="",
        )
        note_ids.append(note_id)
        if signed and i % 20 == 7:
            b.add(
                NoteAddendum,
                note_id=note_id,
                reason="Correction",
                text="The homework agreed was a thought record, not a diary.",
                author_id=me.id,
                signed_at=written + timedelta(days=1),
                content_sha256=content_hash({"note": digest, "n": i}),
            )
    kinds = list(RiskEventKind)
    for i in range(risk_events):
        day = start + timedelta(days=30 * i + 5)
        event_id = b.add(
            RiskEvent,
            client_id=client_id,
            session_note_id=note_ids[i * 10],
            kind=kinds[i % len(kinds)],
            urgency=(Urgency.ROUTINE, Urgency.SOON, Urgency.URGENT)[i % 3],
            occurred_on=day,
            detail="Benchmark risk detail.",
            shareable_statement="A change is being managed by the health team.",
            recorded_by=me.id,
            recorded_at=_at(day, 17),
        )
        if i % 5 != 4:
            b.add(
                RiskShareDecision,
                risk_event_id=event_id,
                decision=ShareDecisionKind.SHARED if i % 2 else ShareDecisionKind.NOT_SHARED,
                reason="Relevant to risk management.",
                gateway=Gateway.CDA_S115 if i % 2 else None,
                shared_with="Police (demo)" if i % 2 else "",
                decided_by=me.id,
                decided_at=_at(day, 18),
            )
    path = (ReferralStatus.DRAFT, ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED)
    for i in range(referral_count):
        created = start + timedelta(days=60 * i + 10)
        referral_id = b.add(
            Referral,
            client_id=client_id,
            service_id=service.id,
            reason="Benchmark reason: assessment of longstanding mood difficulties.",
            clinical_detail="",
            urgency=ReferralUrgency.ROUTINE,
            status=path[-1],
            created_on=created,
            sent_on=created,
            fact_shareable=True,
            share_gateway=Gateway.CONSENT,
            created_by=me.id,
            version=1,
        )
        previous = None
        for step, status in enumerate(path):
            on = min(today, created + timedelta(days=step * 7))
            b.add(
                ReferralStatusChange,
                referral_id=referral_id,
                from_status=previous,
                to_status=status,
                changed_on=on,
                note="",
                changed_by=me.id,
                recorded_at=_at(on),
            )
            previous = status
    every = max(1, sessions // administrations)
    for k in range(administrations):
        note_id = note_ids[min(k * every, sessions - 1)]
        day = start + timedelta(days=3 * k * every)
        admin_id = b.add(
            MeasureAdministration,
            client_id=client_id,
            measure_id="phq-9",
            measure_version="1",
            administered_on=day,
            mode=MeasureMode.CLINICIAN_ENTRY,
            session_note_id=note_id,
            entered_by=me.id,
            recorded_at=_at(day, 12),
        )
        for item in range(1, 10):
            b.add(MeasureResponse, administration_id=admin_id, item=item, value=(k + item) % 4)
    return client_id, b.insert_all()


RAW_RECORD_QUERIES = (
    "SELECT * FROM client WHERE id = ?",
    "SELECT * FROM typology_assessment WHERE client_id = ? ORDER BY assessed_on, id",
    "SELECT * FROM risk_assessment WHERE client_id = ? ORDER BY assessed_on, id",
    "SELECT * FROM third_party WHERE client_id = ? ORDER BY id",
    "SELECT * FROM intervention_plan WHERE client_id = ? ORDER BY id",
    "SELECT r.* FROM plan_revision r JOIN intervention_plan p ON p.id = r.plan_id "
    "WHERE p.client_id = ? ORDER BY r.plan_id, r.number",
    "SELECT g.* FROM plan_goal g JOIN plan_revision r ON r.id = g.revision_id "
    "JOIN intervention_plan p ON p.id = r.plan_id WHERE p.client_id = ? "
    "AND r.number = (SELECT max(number) FROM plan_revision WHERE plan_id = p.id) "
    "ORDER BY g.revision_id, g.position",
    "SELECT i.* FROM planned_intervention i JOIN plan_revision r ON r.id = i.revision_id "
    "JOIN intervention_plan p ON p.id = r.plan_id WHERE p.client_id = ? "
    "AND r.number = (SELECT max(number) FROM plan_revision WHERE plan_id = p.id) "
    "ORDER BY i.revision_id, i.position",
    "SELECT * FROM session_note WHERE client_id = ? ORDER BY session_date, id",
    "SELECT a.* FROM note_addendum a JOIN session_note n ON n.id = a.note_id "
    "WHERE n.client_id = ? ORDER BY a.id",
    "SELECT * FROM risk_event WHERE client_id = ? ORDER BY occurred_on, id",
    "SELECT d.* FROM risk_share_decision d JOIN risk_event e ON e.id = d.risk_event_id "
    "WHERE e.client_id = ? ORDER BY d.id",
    "SELECT * FROM referral WHERE client_id = ? ORDER BY id",
    "SELECT * FROM measure_administration WHERE client_id = ? ORDER BY administered_on, id",
    "SELECT r.* FROM measure_response r JOIN measure_administration a "
    "ON a.id = r.administration_id WHERE a.client_id = ? ORDER BY r.administration_id, r.item",
)


def _raw_record(database: engine.Database, client_id: int) -> tuple[float, int]:
    """Baseline: the same rows through the engine's own pooled sqlcipher3 connection."""
    t0 = time.perf_counter()
    pooled = database.engine.raw_connection()
    try:
        conn = pooled.driver_connection
        assert conn is not None
        conn.execute("BEGIN")
        try:
            count = sum(
                len(conn.execute(sql, (client_id,)).fetchall()) for sql in RAW_RECORD_QUERIES
            )
        finally:
            conn.execute("ROLLBACK")
        elapsed = time.perf_counter() - t0
    finally:
        pooled.close()
    return _ms(elapsed), count


def _orm_record(database: engine.Database, me: StaffRef, client_id: int) -> tuple[float, int]:
    """open_record in a fresh unit of work, rolled back so the audit chain does not grow."""
    session = database.session()
    try:
        t0 = time.perf_counter()
        opened = record.open_record(session, me, client_id)
        elapsed = time.perf_counter() - t0
    finally:
        session.rollback()
        session.close()
    rows = (
        1
        + len(opened.typologies)
        + len(opened.risk_assessments)
        + len(opened.third_parties)
        + sum(1 + len(p.goals) + len(p.interventions) for p in opened.plans)
        + len(opened.notes)
        + sum(len(n.addenda) for n in opened.notes)
        + len(opened.risk_events)
        + len(opened.referrals)
        + len(opened.measures)
        + sum(len(m.answers) for m in opened.measures)
    )
    return _ms(elapsed), rows


def _parts(database: engine.Database, me: StaffRef, client_id: int, reps: int) -> dict[str, float]:
    """The services open_record calls, each timed alone (medians, ms)."""
    calls: dict[str, Callable[[Session], object]] = {
        "plans.plans_for_client": lambda s: plans.plans_for_client(s, me, client_id),
        "notes.notes_for_client": lambda s: notes.notes_for_client(s, me, client_id),
        "risk.events_for_client": lambda s: risk.events_for_client(s, me, client_id),
        "referrals.referrals_for_client": lambda s: referrals.referrals_for_client(
            s, me, client_id
        ),
        "measures.administrations_for_client": lambda s: measures.administrations_for_client(
            s, me, client_id
        ),
    }
    out = {}
    for name, call in calls.items():
        samples = []
        for _ in range(reps):
            with database.session() as session:
                collect()
                t0 = time.perf_counter()
                call(session)
                samples.append(_ms(time.perf_counter() - t0))
                session.rollback()
        out[name] = round(statistics.median(samples), 3)
    return out


def profile_record(
    database: engine.Database, me: StaffRef, client_id: int, reps: int = 10
) -> dict[str, Any]:
    """cProfile over a few open_record calls: the functions where the time goes."""
    profiler = cProfile.Profile()
    for _ in range(reps):
        session = database.session()
        try:
            profiler.enable()
            record.open_record(session, me, client_id)
            profiler.disable()
        finally:
            session.rollback()
            session.close()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats("clinic_app", 15)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    own = sorted(
        (
            (f"{Path(fn).name}:{line}({name})", tt / reps * 1000, ct / reps * 1000)
            for (fn, line, name), (_, _, tt, ct, _) in raw.items()
        ),
        key=lambda item: item[1],
        reverse=True,
    )
    return {
        "calls_profiled": reps,
        "top_own_time_ms_per_call": [
            {"function": f, "own_ms": round(tt, 3), "cumulative_ms": round(ct, 3)}
            for f, tt, ct in own[:15]
        ],
        "text": stream.getvalue(),
    }


def bench_record(
    fixture: Fixture, reps: int, warmup: int, *, profile: bool
) -> tuple[Result, dict[str, Any] | None]:
    database, me = fixture.database, fixture.me
    with database.transaction() as session:
        client_id, counts = build_big_client(session, me)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    orm: list[float] = []
    raw: list[float] = []
    orm_rows = raw_rows = 0
    for i in range(warmup + reps):
        collect()
        orm_ms, orm_rows = _orm_record(database, me, client_id)
        collect()
        raw_ms, raw_rows = _raw_record(database, client_id)
        if i >= warmup:
            orm.append(orm_ms)
            raw.append(raw_ms)
    result = Result(
        name="open_client_500_sessions",
        stats=Stats(orm),
        target_ms=RECORD_TARGET_MS,
        target_text=f"<= {RECORD_TARGET_MS:.0f} ms, <= {RECORD_TARGET_RATIO:.0f}x raw",
        baseline_name="raw SQL, same rows, same pooled sqlcipher3 connection",
        baseline=Stats(raw),
        target_ratio=RECORD_TARGET_RATIO,
        notes=[
            "record.open_record in a new Session each time, rolled back (its audit event "
            "is written and flushed, not committed)",
            "baseline: SELECT * of every table open_record reads, for the client, fetchall, "
            "in one BEGIN..ROLLBACK; no access checks, no audit write, no objects built",
        ],
        extra={
            "rows_written": counts,
            "rows_read_raw": raw_rows,
            "rows_in_record": orm_rows,
            "parts_median_ms": _parts(database, me, client_id, max(5, reps // 4)),
        },
    )
    profiled = None
    if profile or result.within_budget is False:
        profiled = profile_record(database, me, client_id)
        result.extra["profile"] = {k: v for k, v in profiled.items() if k != "text"}
    return result, profiled


# -- running ----------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    conn = sqlcipher3.connect(":memory:")
    try:
        cipher = conn.execute("PRAGMA cipher_version").fetchone()
        sqlite_version = conn.execute("SELECT sqlite_version()").fetchone()[0]
    finally:
        conn.close()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "sqlalchemy": sqlalchemy.__version__,
        "sqlcipher": cipher[0] if cipher else "unknown",
        "sqlite": sqlite_version,
        "git_commit": commit,
        "git_dirty": dirty,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions and a 1,000-client demo caseload"
    )
    parser.add_argument(
        "--json",
        type=Path,
        help=f"where to write the figures (results/waits.json; with --only {DEFAULT_JSON})",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="build the record stores here and reuse them next time (--only record: the "
        "10,000-client store of the window figures)",
    )
    parser.add_argument(
        "--scale", action="store_true", help="growth at 1,000, 10,000 and 100,000 clients/notes"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("open", "cold", "demo", "record", "app", "caseload", "search", "summary"),
        help="run only these component benchmarks (not what the user waits for)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="always profile open_record (it is profiled anyway when over budget)",
    )
    parser.add_argument(
        "--home",
        action="store_true",
        help="only sign-in to Home (40 clients, a team lead, everyone) and peak memory",
    )
    parser.add_argument("--child-cold-open", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_cold_open is not None:
        _child_cold_open(args.child_cold_open)
        return 0
    if not args.only:
        from benchmarks import waits

        forwarded = [
            *(["--quick"] if args.quick else []),
            *(["--scale"] if args.scale else []),
            *(["--profile"] if args.profile else []),
            *(["--home"] if args.home else []),
            *(["--keep", str(args.keep)] if args.keep else []),
            *(["--json", str(args.json)] if args.json else []),
        ]
        return waits.main(forwarded)
    quick: bool = args.quick
    chosen = set(args.only)
    reps = 15 if quick else 60
    record_reps = 10 if quick else 40
    cold_reps = 2 if quick else 5
    clients = 1_000 if quick else 10_000
    results: list[Result] = []
    profiled: dict[str, Any] | None = None
    started = time.perf_counter()
    with scratch_dir() as work:
        if "open" in chosen:
            say("open_database_with_stored_key ...")
            results.append(bench_open(work, reps, warmup=3))
        if "cold" in chosen:
            say("open_database_first_in_process ...")
            results.append(bench_cold_open(work, cold_reps))
        fixture: Fixture | None = None
        try:
            if "demo" in chosen:
                say(f"demo_{clients}_clients ...")
                demo_result, fixture = bench_demo(work, clients)
                results.append(demo_result)
            if "record" in chosen:
                if fixture is None:
                    # Alone: give the big client some neighbours so indexes matter.
                    fixture = new_database(work / "record.db")
                    with fixture.database.transaction() as session:
                        demo.load_demo_caseload(session, fixture.me, 200)
                say("open_client_500_sessions ...")
                record_result, profiled = bench_record(
                    fixture, record_reps, warmup=3, profile=args.profile
                )
                record_result.extra["store"] = (
                    f"the same database as the demo caseload ({clients:,} other clients)"
                    if "demo" in chosen
                    else "a new database with 200 other demo clients"
                )
                results.append(record_result)
        finally:
            if fixture is not None:
                fixture.database.close()
    # The application-level benchmarks live in their own modules and report plain figures.
    others: dict[str, Any] = {}
    if "app" in chosen:
        say("start to sign-in, note save, autosave ...")
        from benchmarks import app_start

        others["app"] = app_start.measure(starts=3 if quick else 7, saves=50 if quick else 200)
    if "caseload" in chosen:
        say("caseload filter ...")
        from benchmarks import caseload_filter

        others["caseload_filter"] = caseload_filter.measure(repeats=5 if quick else 20)
    if "record" in chosen:
        # The same client in the real window, as the user waits for it (the window figures
        # of the default run): first tab painted, then every tab visited once.
        say("open the 500-session client in the window and visit every tab ...")
        from benchmarks import waits

        window_figures = waits.record_in_window(args.keep, quick)
        others["record_in_window"] = [f.to_json() for f in window_figures]
        print(waits.table(window_figures))
        for figure in window_figures:
            if "per_tab_median_ms" in figure.extra:
                print(f"{figure.name}: per tab (median ms): {figure.extra['per_tab_median_ms']}")
        print()
    if "search" in chosen:
        say("note search ...")
        from benchmarks import note_search

        others["note_search"] = note_search.measure(notes=20_000 if quick else 100_000)
    if "summary" in chosen:
        say("partner summary ...")
        from benchmarks import partner_summary

        others["partner_summary"] = partner_summary.measure(repeats=5 if quick else 20)
    elapsed = time.perf_counter() - started

    print(table(results))
    for name, figures in others.items():
        print(f"\n{name}:")
        print(json.dumps(figures, indent=2, default=str))
    print()
    for r in results:
        for note in r.notes:
            print(f"{r.name}: {note}")
        phases = r.extra.get("phases_median_ms") or r.extra.get("parts_median_ms")
        if phases:
            shown = ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
            print(f"{r.name}: medians (ms): {shown}")
    if profiled is not None:
        print()
        print("open_record profile (cProfile, 10 calls):")
        print(profiled["text"].rstrip())
    print(f"\n(benchmarks took {elapsed:.0f} s; medians over repetitions, p95 nearest-rank)")

    out: Path = args.json or DEFAULT_JSON
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "quick": quick,
        "environment": environment(),
        "elapsed_s": round(elapsed, 1),
        "benchmarks": [r.to_json() for r in results],
        "application": others,
    }
    out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
