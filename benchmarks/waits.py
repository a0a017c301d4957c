"""What the user waits for, at a real service's scale, each beside a baseline from the same run.

Run from the project root (this is what ``python -m benchmarks.run`` runs by default)::

    python -m benchmarks.waits [--keep DIR] [--scale] [--quick] [--profile] [--json PATH]

Every figure is a median of repetitions (nearest-rank p95 beside it) and, where the goal
names one, a baseline measured in the same run, taking turns with the measured code so
that load changes hit both alike. Window figures drive the real ``ClinicApp`` and
``MainWindow`` on Qt's offscreen platform and stop the clock when the widget is painted
(see ``benchmarks/session_probe.py``); start-up and the PDF are whole processes.
Benchmarks are measurements, not tests: nothing here fails when a figure is over budget.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.run import ROOT, Stats, environment, say
from benchmarks.stores import CLINICIAN, EVERYONE, LEAD, PASSWORD, Store, client_store

PROBE_DIR = Path(__file__).resolve().parent / "probe"
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "waits.json"
SCALES = (1_000, 10_000, 100_000)
MB = 1024.0


@dataclass
class Figure:
    """One row of the table: samples, goal, and (optionally) a baseline and ratio goal."""

    name: str
    samples: list[float]
    goal: str
    at_most_ms: float | None = None
    p95_at_most_ms: float | None = None
    baseline_name: str | None = None
    baseline: list[float] | None = None
    ratio_at_most: float | None = None
    unit: str = "ms"
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stats(self) -> Stats:
        return Stats(self.samples)

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        base = statistics.median(self.baseline)
        return None if base <= 0 else self.stats.median / base

    @property
    def within(self) -> bool | None:
        verdicts = []
        if self.at_most_ms is not None:
            verdicts.append(self.stats.median <= self.at_most_ms)
        if self.p95_at_most_ms is not None:
            verdicts.append(self.stats.p95 <= self.p95_at_most_ms)
        if self.ratio_at_most is not None and self.ratio is not None:
            verdicts.append(self.ratio <= self.ratio_at_most)
        return all(verdicts) if verdicts else None

    def to_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "name": self.name,
            "unit": self.unit,
            **self.stats.to_json(),
            "goal": self.goal,
            "baseline": None
            if not self.baseline
            else {"name": self.baseline_name, **Stats(self.baseline).to_json()},
            "ratio": None if ratio is None else round(ratio, 3),
            "within_goal": self.within,
            "notes": self.notes,
            "extra": self.extra,
        }


def _fmt(value: float, unit: str) -> str:
    if unit == "MB":
        return f"{value:.0f} MB"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms"


def table(figures: Sequence[Figure]) -> str:
    """A Markdown table: figure, median, p95, n, baseline, ratio, goal, verdict."""
    rows = [("figure", "median", "p95", "n", "baseline (median)", "ratio", "goal", "")]
    for f in figures:
        ratio = f.ratio
        rows.append(
            (
                f.name,
                _fmt(f.stats.median, f.unit),
                _fmt(f.stats.p95, f.unit),
                str(f.stats.n),
                "-"
                if not f.baseline
                else f"{_fmt(statistics.median(f.baseline), f.unit)} {f.baseline_name}",
                "-" if ratio is None else f"{ratio:.2f}x",
                f.goal,
                {True: "within", False: "**OVER**", None: "-"}[f.within],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# -- processes --------------------------------------------------------------------------------


def _env(store: Store | None = None, *, probe: bool = False) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    paths = [str(ROOT)]
    if probe:
        paths.insert(0, str(PROBE_DIR))
        env["CLINIC_BENCH_PROBE"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if store is not None:
        env["CLINIC_APP_DATA_DIR"] = store.directory
        env["CLINIC_APP_KEY_FILE"] = str(store.key_file)
    return env


def clinic_app_command() -> list[str]:
    """The installed ``clinic-app`` entry point beside this interpreter, else ``-m``."""
    script = Path(sys.executable).parent / "clinic-app"
    return [str(script)] if script.exists() else [sys.executable, "-m", "clinic_app"]


def _marks(command: list[str], env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Spawn, read ``name value`` lines; (CLOCK_MONOTONIC at spawn, marks)."""
    spawned = time.monotonic()
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=180, check=False, cwd=ROOT
    )
    marks = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition(" ")
        try:
            marks[name] = float(value)
        except ValueError:
            continue
    if "painted" not in marks:
        raise RuntimeError(f"{command[0]} never painted:\n{done.stderr[-2000:]}")
    return spawned, marks


def measure_start(store: Store, pairs: int) -> tuple[Figure, Figure, list[float]]:
    """Real clinic-app to sign-in painted, against a bare PySide6 window; bare peak memory."""
    app_cmd = clinic_app_command()
    bare_cmd = [sys.executable, str(PROBE_DIR / "bare_window.py")]
    app_ms: list[float] = []
    ready_ms: list[float] = []
    bare_ms: list[float] = []
    bare_peak_mb: list[float] = []
    for i in range(pairs + 1):  # the first pair warms the file cache and is not kept
        order = [("bare", bare_cmd), ("app", app_cmd)]
        for name, command in order if i % 2 else reversed(order):
            env = _env(store, probe=name == "app")
            # An installed clinic-app starts from compiled bytecode (pip compiles it, the
            # bundle holds it): a shell that says not to write bytecode (as some
            # development setups do) would have every start compile the application's
            # modules from source, which no user waits for. The pair not kept writes it.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            spawned, marks = _marks(command, env)
            if i == 0:
                continue
            if name == "app":
                app_ms.append((marks["painted"] - spawned) * 1000)
                ready_ms.append((marks.get("prepared", math.nan) - spawned) * 1000)
            else:
                bare_ms.append((marks["painted"] - spawned) * 1000)
                bare_peak_mb.append(marks.get("peak_kb", 0) / MB)
    start = Figure(
        "process start to sign-in window painted",
        app_ms,
        "<= 2x bare",
        baseline_name="bare PySide6 window",
        baseline=bare_ms,
        ratio_at_most=2.0,
        notes=[
            f"real `{Path(app_cmd[0]).name}` process on the {store.clients:,}-client store "
            "with its key file; clock from spawn to the first paint of the sign-in window "
            "(probe: benchmarks/probe/sitecustomize.py)",
        ],
        extra={"database_opened_behind_sign_in_ms": ready_ms},
    )
    opened = Figure(
        "process start to database open (behind the sign-in window)",
        [v for v in ready_ms if not math.isnan(v)] or [math.nan],
        "(information)",
        baseline_name="bare PySide6 window painted",
        baseline=bare_ms,
    )
    return start, opened, bare_peak_mb


def session(
    store: Store,
    username: str,
    *,
    record: int | None = None,
    reps: int = 10,
    keystrokes: bool = False,
    profile: bool = False,
) -> dict[str, Any]:
    """One ``benchmarks.session_probe`` process on ``store``, signed in as ``username``."""
    return probe(
        [store.directory],
        username,
        PASSWORD,
        record=record,
        reps=reps,
        keystrokes=keystrokes,
        profile=profile,
    )


def probe(
    where: Sequence[str],
    username: str,
    password: str,
    *,
    record: int | None = None,
    reps: int = 10,
    keystrokes: bool = False,
    profile: bool = False,
) -> dict[str, Any]:
    """The figures of one ``benchmarks.session_probe`` process (the real window) signed in
    as ``username`` where ``where`` says: a store's folder, or ``--site ... -``."""
    command = [sys.executable, "-m", "benchmarks.session_probe", *where, username]
    if record is not None:
        command += ["--record", str(record), "--reps", str(reps)]
    if keystrokes:
        command.append("--keystrokes")
    if profile:
        command.append("--profile")
    done = subprocess.run(
        command,
        input=password + "\n",
        env=_env(),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"session probe failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_home(
    store: Store, username: str, caseload: int, runs: int
) -> tuple[Figure, list[float]]:
    samples, checks, built, peaks, resident = [], [], [], [], []
    for _ in range(runs):
        got = session(store, username)
        samples.append(got["home"]["painted_ms"])
        checks.append(got["home"]["sign_in_check_ms"])
        built.append(got["home"]["window_built_ms"])
        peaks.append(got["memory_home_shown"]["peak_kb"] / MB)
        resident.append(got["memory_home_shown"]["rss_kb"] / MB)
    goal_ms = 1000.0 if caseload <= 100 else 2000.0
    figure = Figure(
        f"sign-in to Home painted, {store.clients:,}-client store, {caseload:,}-client caseload",
        samples,
        f"<= {goal_ms / 1000:.0f} s",
        at_most_ms=goal_ms,
        baseline_name="of which password check",
        baseline=checks,
        notes=[
            "a new process per sample: the first sign-in after start, database already "
            "open (it opens while the user types); from OK to the Home tab painted",
        ],
        extra={"window_built_ms": built, "peak_memory_mb": peaks, "resident_memory_mb": resident},
    )
    return figure, peaks


def measure_record(store: Store, reps: int, profile: bool) -> tuple[list[Figure], dict[str, Any]]:
    got = session(store, CLINICIAN, record=store.big_client_id, reps=reps, profile=profile)
    rec = got["record"]
    opened = Figure(
        "open a 500-session client, first tab painted",
        rec["open_ms"],
        "<= 150 ms, <= 10x raw SQL",
        at_most_ms=150.0,
        baseline_name="raw SQL, same rows",
        baseline=rec["raw_sql_ms"],
        ratio_at_most=10.0,
        notes=[
            "MainWindow.open_client in the real window, again and again in one process "
            "(closed with its tab's close button in between); the first open in the "
            "process is the next row",
        ],
        extra={"raw_rows": rec["raw_rows"]},
    )
    first = Figure(
        "  the same, first open after sign-in",
        [rec["first_in_process"]["open_ms"]],
        "<= 150 ms",
        at_most_ms=150.0,
        notes=[
            "the first record opened once the work signing in started is done (the "
            "record's screens imported ahead, about 0.3 s after Home is painted)"
        ],
    )
    tabs = Figure(
        "every tab of that client visited once",
        rec["tabs_total_ms"],
        "<= 1 s in total",
        at_most_ms=1000.0,
        extra={
            "per_tab_median_ms": {
                k: round(statistics.median(v), 1) for k, v in rec["per_tab_ms"].items()
            },
            "first_in_process_ms": rec["first_in_process"]["tabs_ms"],
        },
    )
    return [opened, first, tabs], got


def record_in_window(keep: Path | None, quick: bool) -> list[Figure]:
    """The record's window figures alone (``run --only record``), on a kept store if given."""
    root = keep or Path(tempfile.mkdtemp(prefix="clinic-bench-stores-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        store = client_store(root, 1_000 if quick else 10_000)
        figures, _ = measure_record(store, 5 if quick else 15, False)
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return figures


def measure_keystrokes(store: Store, profile: bool) -> tuple[Figure, Figure, dict[str, Any]]:
    got = session(store, EVERYONE, keystrokes=True, profile=profile)
    keys = got["keystrokes"]
    typed = keys["keystroke_ms"] + keys["select_all_and_delete_ms"][1::2]
    figure = Figure(
        f"caseload filter keystroke, {keys['rows']:,} clients from the database",
        typed,
        "<= 50 ms p95",
        p95_at_most_ms=50.0,
        notes=[
            "QTest.keyClick into the caseload search box of the real window, one key at a "
            "time, until the caseload is painted; includes the Backspace that clears it",
        ],
        extra={
            "rows_shown_per_text": keys["rows_shown_per_text"],
            "caseload_tab_first_shown_ms": keys["caseload_shown_ms"],
        },
    )
    home = Figure(
        f"  sign-in to Home painted, {keys['rows']:,}-client caseload",
        [got["home"]["painted_ms"]],
        "(information)",
        baseline_name="of which password check",
        baseline=[got["home"]["sign_in_check_ms"]],
    )
    return figure, home, got


def measure_saves(store: Store, saves: int) -> Figure:
    """notes.create_draft committed (synchronous=FULL) against a bare durable commit."""
    from clinic_app.models.enums import Attendance, Modality
    from clinic_app.services import clients, notes, staff
    from clinic_app.storage import engine
    from clinic_app.storage.keys import KeyFile

    database = engine.open_database(store.path, KeyFile(store.key_file).get(store.path))
    try:
        with database.transaction() as s:
            me = staff.sign_in(s, EVERYONE, PASSWORD)
        with database.session() as s:
            client_id = clients.caseload(s, me)[0].client.id
        content = notes.NoteContent(
            session_date=date.today(),
            duration_minutes=50,
            modality=Modality.IN_PERSON,
            attendance=Attendance.ATTENDED,
            intervention_content="Worked on rumination and the delay plan. " * 20,
        )
        saved: list[float] = []
        bare: list[float] = []

        def save() -> float:
            t0 = time.perf_counter()
            with database.transaction() as s:
                notes.create_draft(s, me, client_id, content)
            return (time.perf_counter() - t0) * 1000

        def commit() -> float:
            t0 = time.perf_counter()
            pooled = database.engine.raw_connection()
            try:
                conn = pooled.driver_connection
                assert conn is not None
                conn.execute("BEGIN IMMEDIATE")
                # A real change: SQLite writes nothing for an UPDATE that changes nothing.
                conn.execute("UPDATE client SET version = version + 1 WHERE id = ?", (client_id,))
                conn.execute("COMMIT")
            finally:
                pooled.close()
            return (time.perf_counter() - t0) * 1000

        for i in range(saves + 3):
            pair = (save(), commit()) if i % 2 else tuple(reversed((commit(), save())))
            if i >= 3:
                saved.append(pair[0])
                bare.append(pair[1])
    finally:
        database.close()
    return Figure(
        "durable note save",
        saved,
        "<= 50 ms p95",
        p95_at_most_ms=50.0,
        baseline_name="bare durable commit, same file",
        baseline=bare,
        notes=[
            f"notes.create_draft committed, on the {store.clients:,}-client store; baseline: "
            "BEGIN IMMEDIATE, a one-row UPDATE (the client's version + 1), COMMIT on the "
            "engine's own connection (same pragmas, same fsync)",
        ],
    )


def measure_search(notes: int, repeats: int) -> tuple[list[Figure], dict[str, Any]]:
    from benchmarks import note_search

    got = note_search.measure_three_kinds(notes, repeats)
    figures = []
    for kind, values in got["kinds"].items():
        figures.append(
            Figure(
                f"note search, {notes:,} notes: {kind} ({values['notes_matching']:,} notes)",
                values["service_ms"],
                "<= 100 ms p95, <= 1.5x raw",
                p95_at_most_ms=100.0,
                baseline_name="raw FTS5, same page",
                baseline=values["raw_same_page_ms"],
                ratio_at_most=1.5,
                extra={"typed": values["typed"]},
            )
        )
    return figures, got["store"]


def measure_pdf(store: Store, runs: int, work: Path) -> Figure:
    """`clinic-app summary ... --password-stdin`, whole process, against `clinic-app --help`."""
    from clinic_app.storage import engine
    from clinic_app.storage.keys import KeyFile

    database = engine.open_database(store.path, KeyFile(store.key_file).get(store.path))
    try:
        with database.engine.connect() as conn:
            referred = conn.exec_driver_sql(
                "SELECT referral_date FROM client WHERE id = ?", (store.big_client_id,)
            ).scalar()
    finally:
        database.close()
    app = clinic_app_command()
    env = _env(store)
    totals: list[float] = []
    bare: list[float] = []

    def summary(n: int) -> float:
        out = work / f"summary-{n}.pdf"
        command = [
            *app,
            "summary",
            "--db",
            str(store.path),
            "--key-file",
            str(store.key_file),
            "--user",
            CLINICIAN,
            "--password-stdin",
            "--client",
            store.big_client_ref,
            "--from",
            str(referred),
            "--to",
            date.today().isoformat(),
            "--audience",
            "panel",
            "--recipient",
            "Multi-agency panel",
            "--purpose",
            "Quarterly review of the case",
            "--gateway",
            "cda-s115",
            "--client-informed",
            "--caldicott",
            "necessary,minimum,relevant,accurate",
            "--accept-warnings",
            "--out",
            str(out),
        ]
        t0 = time.perf_counter()
        done = subprocess.run(
            command, input=PASSWORD + "\n", env=env, capture_output=True, text=True, check=False
        )
        elapsed = (time.perf_counter() - t0) * 1000
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"clinic-app summary failed:\n{done.stdout}\n{done.stderr}")
        out.unlink()
        return elapsed

    def help_only() -> float:
        t0 = time.perf_counter()
        subprocess.run([*app, "--help"], env=env, capture_output=True, check=True)
        return (time.perf_counter() - t0) * 1000

    for i in range(runs + 1):
        if i % 2:
            pair = (summary(i), help_only())
        else:
            h = help_only()
            pair = (summary(i), h)
        if i:
            totals.append(pair[0])
            bare.append(pair[1])
    return Figure(
        "partner summary PDF, 500-session client, whole process",
        totals,
        "<= 1 s",
        at_most_ms=1000.0,
        baseline_name="`clinic-app --help` process",
        baseline=bare,
        notes=[
            "`clinic-app summary --password-stdin` (panel audience, whole record, every "
            "check, register entry, fsync) from spawn to exit",
        ],
    )


# -- running ----------------------------------------------------------------------------------


def run_default(root: Path, quick: bool, profile: bool) -> dict[str, Any]:
    figures: list[Figure] = []
    store = client_store(root, 1_000 if quick else 10_000)
    say("start: clinic-app and a bare window, in turns ...")
    start, opened, bare_peaks = measure_start(store, 3 if quick else 7)
    figures += [start, opened]
    say("sign-in to Home (40 clients) ...")
    home40, peaks = measure_home(store, CLINICIAN, 41, 3 if quick else 5)
    figures.append(home40)
    say("sign-in to Home (team lead) ...")
    lead, _ = measure_home(store, LEAD, store.lead_caseload, 3 if quick else 5)
    figures.append(lead)
    say("open the 500-session client and visit every tab ...")
    record_figures, _ = measure_record(store, 5 if quick else 15, False)
    figures += record_figures
    say("caseload filter keystrokes ...")
    keys, home_all, keys_run = measure_keystrokes(store, False)
    figures += [keys, home_all]
    figures.append(
        Figure(
            f"peak memory, {store.clients:,}-client store, Home shown",
            peaks,
            "<= bare window + 100 MB",
            unit="MB",
            at_most_ms=statistics.median(bare_peaks) + 100,
            baseline_name="bare PySide6 window",
            baseline=bare_peaks,
            notes=["VmHWM of the sign-in-to-Home processes (40-client caseload)"],
            extra={
                "team_lead_peak_mb": lead.extra["peak_memory_mb"],
                "all_clients_caseload_peak_mb": keys_run["memory_end"]["peak_kb"] / MB,
            },
        )
    )
    figures.append(resident_memory(store, home40, bare_peaks))
    say("durable note save ...")
    figures.append(measure_saves(store, 50 if quick else 200))
    say("note search ...")
    search, search_store = measure_search(20_000 if quick else 100_000, 10 if quick else 30)
    figures += search
    say("partner summary PDF, whole process ...")
    with tempfile.TemporaryDirectory(prefix="clinic-bench-pdf-") as out:
        figures.append(measure_pdf(store, 3 if quick else 7, Path(out)))
    profiles = {}
    if profile:  # separate runs: the profiler slows what it watches
        say("profiles ...")
        profiled = session(store, CLINICIAN, record=store.big_client_id, reps=3, profile=True)
        profiles["sign-in to Home, 40 clients"] = profiled.get("home_profile", "")
        profiles["open the record and visit every tab"] = profiled["record"].get("profile", "")
        profiled = session(store, EVERYONE, keystrokes=True, profile=True)
        profiles["sign-in to Home, every client"] = profiled.get("home_profile", "")
        profiles["caseload keystrokes"] = profiled["keystrokes"].get("profile", "")
    return {
        "figures": figures,
        "stores": {"clients": store.__dict__, "notes": search_store},
        "profiles": profiles,
    }


def resident_memory(store: Store, home: Figure, bare_peaks: list[float]) -> Figure:
    """Resident memory with Home shown: the peak less what the password check lent out."""
    return Figure(
        f"  resident memory, {store.clients:,}-client store, Home shown",
        home.extra["resident_memory_mb"],
        "(information)",
        unit="MB",
        baseline_name="bare PySide6 window (peak)",
        baseline=bare_peaks,
        notes=[
            "VmRSS once Home is painted and the work signing in started is done (the "
            "record's screens imported ahead; 40-client caseload). The peak above is the "
            "larger of this and what the process holds during the password check plus "
            "argon2's working memory (19 MiB, memory-hard by design), given back once the "
            "check ends. A store's first sign-in with a hash made under the old parameters "
            "(64 MiB) peaks higher once: that sign-in remakes the hash",
        ],
    )


def measure_bare_memory(runs: int) -> list[float]:
    """Peak resident memory of bare PySide6 window processes (the memory baseline), MB."""
    bare_cmd = [sys.executable, str(PROBE_DIR / "bare_window.py")]
    return [_marks(bare_cmd, _env())[1].get("peak_kb", 0) / MB for _ in range(runs)]


def run_home(root: Path, quick: bool, profile: bool) -> dict[str, Any]:
    """Only the Home figures: sign-in to Home (40 clients, a team lead, everyone) and memory."""
    figures: list[Figure] = []
    store = client_store(root, 1_000 if quick else 10_000)
    runs = 3 if quick else 5
    say("bare window (memory baseline) ...")
    bare_peaks = measure_bare_memory(runs)
    say("sign-in to Home (40 clients) ...")
    home40, peaks = measure_home(store, CLINICIAN, 41, runs)
    say("sign-in to Home (team lead) ...")
    lead, lead_peaks = measure_home(store, LEAD, store.lead_caseload, runs)
    say("sign-in to Home (every client) ...")
    everyone, everyone_peaks = measure_home(store, EVERYONE, store.clients, 1 if quick else 3)
    figures += [home40, lead, everyone]
    figures.append(
        Figure(
            f"peak memory, {store.clients:,}-client store, Home shown",
            peaks,
            "<= bare window + 100 MB",
            unit="MB",
            at_most_ms=statistics.median(bare_peaks) + 100,
            baseline_name="bare PySide6 window",
            baseline=bare_peaks,
            notes=["VmHWM of the sign-in-to-Home processes (40-client caseload)"],
            extra={"team_lead_peak_mb": lead_peaks, "all_clients_caseload_peak_mb": everyone_peaks},
        )
    )
    figures.append(resident_memory(store, home40, bare_peaks))
    profiles = {}
    if profile:
        say("profiles ...")
        profiles["sign-in to Home, 40 clients"] = session(store, CLINICIAN, profile=True).get(
            "home_profile", ""
        )
        profiles["sign-in to Home, team lead"] = session(store, LEAD, profile=True).get(
            "home_profile", ""
        )
        profiles["sign-in to Home, every client"] = session(store, EVERYONE, profile=True).get(
            "home_profile", ""
        )
    return {"figures": figures, "stores": {"clients": store.__dict__}, "profiles": profiles}


def growth(small: float, large: float, factor: float) -> float:
    """The exponent k in time ~ size**k between two sizes ``factor`` apart (1 = linear)."""
    return math.log(large / small) / math.log(factor) if small > 0 and large > 0 else math.nan


def run_scale(root: Path) -> dict[str, Any]:
    rows: dict[str, dict[int, float]] = {}
    for clients in SCALES:
        store = client_store(root, clients)
        say(f"scale {clients:,}: sign-in to Home, keystrokes, memory ...")
        home, peaks = measure_home(store, CLINICIAN, 41, 3)
        rows.setdefault("sign-in to Home, 40-client caseload (median ms)", {})[clients] = (
            home.stats.median
        )
        rows.setdefault("peak memory, Home shown, 40-client caseload (MB)", {})[clients] = (
            statistics.median(peaks)
        )
        keys, home_all, got = measure_keystrokes(store, False)
        rows.setdefault("caseload keystroke, all clients (p95 ms)", {})[clients] = keys.stats.p95
        rows.setdefault("sign-in to Home, all clients on the caseload (ms)", {})[clients] = (
            home_all.stats.median
        )
        rows.setdefault("peak memory, all clients on the caseload (MB)", {})[clients] = (
            got["memory_end"]["peak_kb"] / MB
        )
        notes = clients  # notes scale as 1,000, 10,000, 100,000 too
        search, _ = measure_search(notes, 10)
        for figure in search:
            kind = figure.name.split(": ", 1)[1].split(" (")[0]
            kind = "a word in ~30% of notes" if "% of notes" in kind else kind
            rows.setdefault(f"note search p95, {kind} (ms; size = notes)", {})[notes] = (
                figure.stats.p95
            )
    exponents = {
        name: {
            f"{a:,} -> {b:,}": round(growth(by[a], by[b], b / a), 2)
            for a, b in itertools.pairwise(SCALES)
            if a in by and b in by
        }
        for name, by in rows.items()
    }
    return {"by_size": rows, "growth_exponent": exponents}


def scale_table(scale: dict[str, Any]) -> str:
    lines = [
        "| figure | " + " | ".join(f"{n:,}" for n in SCALES) + " | growth exponent (1 = linear) |",
        "|---|" + "---|" * len(SCALES) + "---|",
    ]
    for name, by in scale["by_size"].items():
        cells = [f"{by[n]:.1f}" if n in by else "-" for n in SCALES]
        grow = ", ".join(f"{v}" for v in scale["growth_exponent"][name].values())
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {grow} |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.waits", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--keep", type=Path, help="build stores here and reuse them next time")
    parser.add_argument("--scale", action="store_true", help="1,000 / 10,000 / 100,000 growth")
    parser.add_argument("--quick", action="store_true", help="1,000 clients, fewer repetitions")
    parser.add_argument("--profile", action="store_true", help="cProfile the window figures")
    parser.add_argument(
        "--home", action="store_true", help="only sign-in to Home (three caseloads) and memory"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    root = args.keep or Path(tempfile.mkdtemp(prefix="clinic-bench-stores-"))
    root.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"environment": environment(), "load_average": os.getloadavg()}
    try:
        gc.collect()
        if args.scale:
            scale = run_scale(root)
            report["scale"] = scale
            print(scale_table(scale))
        else:
            run = run_home if args.home else run_default
            done = run(root, args.quick, args.profile)
            figures: list[Figure] = done["figures"]
            report["figures"] = [f.to_json() for f in figures]
            report["stores"] = done["stores"]
            report["profiles"] = done["profiles"]
            print(table(figures))
            print()
            for f in figures:
                for note in f.notes:
                    print(f"- {f.name.strip()}: {note}")
            for name, text in done["profiles"].items():
                print(f"\n== profile: {name} ==\n{text}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    elapsed = time.perf_counter() - started
    report["elapsed_s"] = round(elapsed, 1)
    report["load_average_end"] = os.getloadavg()
    print(
        f"\n(took {elapsed:.0f} s on {os.cpu_count()} CPUs; load average at the end "
        f"{report['load_average_end'][0]:.1f}; medians, nearest-rank p95)"
    )
    out: Path = args.json
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
