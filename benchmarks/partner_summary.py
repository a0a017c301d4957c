"""A partner summary PDF for a 500-session client, end to end (budget: <= 1 s).

Run from the project root::

    python -m benchmarks.partner_summary [--repeats N] [--json PATH]

The client is the long record of ``benchmarks/run.py`` (500 session notes, 10 risk events
with share decisions, 20 referrals with shareable facts, a 3-revision plan, 50
administrations) plus 20 PHQ-9 administrations the shipped definition scores, so that the
panel's "direction of change" is computed too. The summary is for the multi-agency panel
(every section) over the whole record, so all 500 sessions are in its attendance table
(about 15 pages).

Timed, interleaved so that load changes hit both alike:

- **end to end**: ``drafts.prepare_partner_summary`` (build through the guarded reader
  and the lexicon check) and ``documents.export_partner_summary`` (the gate's record of
  that build and check, taken as the command line takes it in the same unit of work;
  Caldicott and gateway checks, render, register entry, atomic write with fsync) in one
  unit of work, rolled back afterwards so the register does not grow;
- **bare reportlab**: the same pages built from the same content with plain reportlab
  (one ``SimpleDocTemplate``, the same tables as plain strings, no page frame, no
  checks, no database), written to a file the same way (write, fsync);
- **whole process** (what the budget is about): the real ``clinic-app summary ...
  --password-stdin`` process from spawn to exit, on a store of 200 demo clients and the
  same long record (``benchmarks/stores.py``, its key in a key file), against a
  ``clinic-app --help`` process, in turns (``waits.measure_pdf``, the same code as the
  headline figure of ``python -m benchmarks.run``).

The parts of the end-to-end figure (build and check; render alone) are reported too.
Figures are medians with the nearest-rank p95, in milliseconds. This prints figures; it
does not assert them.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped, unused-ignore]
from reportlab.lib.styles import getSampleStyleSheet  # type: ignore[import-untyped, unused-ignore]
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table  # type: ignore[import-untyped, unused-ignore]

from benchmarks.run import (
    Fixture,
    Stats,
    build_big_client,
    collect,
    new_database,
    say,
    scratch_dir,
)
from benchmarks.stores import client_store
from benchmarks.waits import measure_pdf
from clinic_app.models.enums import Gateway, MeasureMode
from clinic_app.reports import pdf
from clinic_app.reports.content import PartnerSummary
from clinic_app.services import measure_definitions, measures
from clinic_app.services.sharing import disclosures, documents, drafts
from clinic_app.wording import long_date, words

TARGET_MS = 1000.0
AUDIENCE = "panel"
DECISION = disclosures.SharingDecision(
    recipient_agency="Multi-agency panel",
    recipient_person="Panel chair",
    purpose="Quarterly review of the case",
    gateway=Gateway.CDA_S115,
    client_informed=True,
    caldicott=disclosures.CaldicottConfirmation(True, True, True, True),
)


def _add_scored_measures(fixture: Fixture, client_id: int, count: int = 20) -> None:
    """PHQ-9 administrations of the shipped definition, a fortnight apart, improving."""
    with fixture.database.transaction() as session:
        found = [
            d
            for d in measure_definitions.available_measures(session, fixture.me)
            if d.id == "phq-9"
        ]
        if not found:
            return
        version = found[0].version
        first = date.today() - timedelta(days=14 * count)
        for i in range(count):
            value = max(0, 3 - i // 5)  # totals 27, 18, 9, 0 in blocks of five
            measures.record_administration(
                session,
                fixture.me,
                client_id,
                measure_id="phq-9",
                measure_version=version,
                administered_on=first + timedelta(days=14 * i),
                answers=dict.fromkeys(range(1, 10), value),
                mode=MeasureMode.CLINICIAN_ENTRY,
            )


def _period(fixture: Fixture, client_id: int) -> tuple[date, date]:
    from clinic_app.models import Client

    with fixture.database.session() as session:
        client = session.get(Client, client_id)
        assert client is not None
        return client.referral_date, date.today()


def end_to_end(
    fixture: Fixture, client_id: int, period: tuple[date, date], out: Path
) -> dict[str, float]:
    """One summary, as the CLI makes it; the unit of work is rolled back afterwards."""
    session = fixture.database.session()
    try:
        t0 = time.perf_counter()
        draft = drafts.prepare_partner_summary(
            session,
            fixture.me,
            client_id,
            audience=AUDIENCE,
            period_from=period[0],
            period_to=period[1],
        )
        t1 = time.perf_counter()
        documents.export_partner_summary(
            session, fixture.me, draft, DECISION, out, accept_warnings=True
        )
        t2 = time.perf_counter()
    finally:
        session.rollback()
        session.close()
    return {
        "total_ms": (t2 - t0) * 1000,
        "prepare_ms": (t1 - t0) * 1000,
        "export_ms": (t2 - t1) * 1000,
    }


def bare_reportlab(summary: PartnerSummary) -> bytes:
    """The same pages with plain reportlab: the same tables as strings, nothing else."""
    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph("Progress summary", styles["Title"]),
        Paragraph(f"Reporting period {summary.period.words}", styles["Normal"]),
        Table([[label, value] for label, value in summary.subject.lines()]),
    ]
    if summary.attendance is not None:
        counts = summary.attendance.counts
        story.append(Paragraph("Attendance", styles["Heading2"]))
        story.append(Table([["Attended", str(counts.attended)], ["Late", str(counts.late)]]))
        story.append(Spacer(1, 6))
        rows = [["Date", "Type", "Attendance", "Length"]]
        rows.extend(
            [
                long_date(e.session_date),
                words(e.modality),
                words(e.attendance),
                str(e.duration_minutes),
            ]
            for e in summary.attendance.entries
        )
        story.append(Table(rows, repeatRows=1))
    for title, rows in (
        ("Updates", [[long_date(u.session_date), u.text] for u in summary.session_updates or ()]),
        ("Goals", [[g.partner_wording, str(g.rating)] for g in summary.goals or ()]),
        (
            "Risk",
            [
                [long_date(s.occurred_on), words(s.kind), s.statement]
                for s in (summary.risk.statements if summary.risk else ())
            ],
        ),
        ("Referrals", [[f.service_name, words(f.status)] for f in summary.referrals or ()]),
        ("Questionnaires", [[m.measure, m.direction] for m in summary.measure_directions or ()]),
    ):
        story.append(Paragraph(title, styles["Heading2"]))
        if rows:
            story.append(Table(rows))
    story.append(Paragraph(f"Prepared by {summary.author.name}", styles["Normal"]))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def _write_plain(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _timed(work: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    work()
    return (time.perf_counter() - t0) * 1000


PROCESS_STORE_CLIENTS = 200


def measure_process(work: Path, runs: int) -> dict[str, Any]:
    """The whole ``clinic-app summary`` process against ``clinic-app --help``, in turns."""
    store = client_store(work / "process", PROCESS_STORE_CLIENTS)
    say(f"timing {runs} summary processes against --help processes ...")
    out = work / "process-out"
    out.mkdir()
    figure = measure_pdf(store, runs, out)
    summary, help_only = Stats(figure.samples), Stats(figure.baseline or [])
    return {
        "summary_process": summary.to_json(),
        "help_process": help_only.to_json(),
        "store_clients": PROCESS_STORE_CLIENTS,
        "within_budget": summary.median <= TARGET_MS,
    }


def measure(repeats: int = 20, warmup: int = 2) -> dict[str, object]:
    """Time the partner summary of a 500-session client against bare reportlab, in process
    and as the whole command-line process."""
    with scratch_dir() as work:
        fixture = new_database(work / "summary.db")
        try:
            say("building the 500-session client ...")
            with fixture.database.transaction() as session:
                client_id, rows = build_big_client(session, fixture.me)
            _add_scored_measures(fixture, client_id)
            period = _period(fixture, client_id)
            with fixture.database.session() as session:
                draft = drafts.prepare_partner_summary(
                    session,
                    fixture.me,
                    client_id,
                    audience=AUDIENCE,
                    period_from=period[0],
                    period_to=period[1],
                )
                preview = documents.preview_partner_summary(session, fixture.me, draft, DECISION)
                session.rollback()
            content = draft.content
            pages = _pages(preview.data)
            bare_pages = _pages(bare_reportlab(content))
            out, bare_out = work / "summary.pdf", work / "bare.pdf"
            totals: list[float] = []
            prepares: list[float] = []
            exports: list[float] = []
            renders: list[float] = []
            bare: list[float] = []
            say(f"timing {repeats} summaries ...")
            for i in range(warmup + repeats):
                collect()
                gc.disable()
                try:
                    if i % 2:
                        parts = end_to_end(fixture, client_id, period, out)
                        bare_ms = _timed(lambda: _write_plain(bare_out, bare_reportlab(content)))
                    else:
                        bare_ms = _timed(lambda: _write_plain(bare_out, bare_reportlab(content)))
                        parts = end_to_end(fixture, client_id, period, out)
                    render_ms = _timed(lambda: pdf.render(content, preview.frame))
                finally:
                    gc.enable()
                if i >= warmup:
                    totals.append(parts["total_ms"])
                    prepares.append(parts["prepare_ms"])
                    exports.append(parts["export_ms"])
                    renders.append(render_ms)
                    bare.append(bare_ms)
        finally:
            fixture.database.close()
        process = measure_process(work, max(5, repeats // 2))
    total, baseline = Stats(totals), Stats(bare)
    assert content.attendance is not None
    return {
        "name": "partner_summary_500_sessions",
        "audience": AUDIENCE,
        "sessions_in_summary": len(content.attendance.entries),
        "pages": pages,
        "bare_reportlab_pages": bare_pages,
        "lexicon_hits": len(draft.hits),
        "record_rows": rows,
        "end_to_end": total.to_json(),
        "parts_median_ms": {
            "prepare (build + lexicon)": round(statistics.median(prepares), 2),
            "export (checks + render + register + write)": round(statistics.median(exports), 2),
            "render alone": round(statistics.median(renders), 2),
        },
        "bare_reportlab": baseline.to_json(),
        "ratio_median": round(total.median / baseline.median, 2),
        "whole_process": process,
        "target": {"median_ms_at_most": TARGET_MS, "of": "the whole process"},
        "within_budget": process["within_budget"],
    }


def show(report: dict[str, Any], write: Callable[[str], None] = print) -> None:
    e2e, base = report["end_to_end"], report["bare_reportlab"]
    write(
        f"{report['name']}: {report['sessions_in_summary']} sessions, {report['pages']} pages "
        f"({report['audience']} audience; bare reportlab: {report['bare_reportlab_pages']} pages)"
    )
    write(
        f"  end to end      median {e2e['median_ms']:.0f} ms, p95 {e2e['p95_ms']:.0f} ms "
        f"(n={e2e['n']})"
    )
    write(
        f"  bare reportlab  median {base['median_ms']:.0f} ms, p95 {base['p95_ms']:.0f} ms "
        f"(n={base['n']})"
    )
    write(f"  ratio           {report['ratio_median']:.2f}x at the median")
    for part, value in report["parts_median_ms"].items():
        write(f"    {part}: {value:.0f} ms")
    whole = report["whole_process"]
    process, help_only = whole["summary_process"], whole["help_process"]
    write(
        f"  whole process   median {process['median_ms']:.0f} ms, p95 {process['p95_ms']:.0f} ms "
        f"(n={process['n']}); `clinic-app --help` median {help_only['median_ms']:.0f} ms"
    )
    verdict = "within" if report["within_budget"] else "OVER"
    write(f"  budget          whole process median <= {TARGET_MS:.0f} ms: {verdict}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.partner_summary",
        description=__doc__.split("\n\n")[0] if __doc__ else "",
    )
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    report = measure(args.repeats)
    show(report)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
