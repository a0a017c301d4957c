"""Filtering a caseload of 10,000 clients (ARCHITECTURE.md budget: <= 50 ms).

Run from the project root::

    python -m benchmarks.caseload_filter [--rows N] [--repeats N]

A fake caseload (invented names, 999 test NHS numbers, no database) is loaded into the
caseload view's model and filter, and two things a clinician does are timed:

- typing a search: the filter text is set to progressively longer strings, as each
  keystroke does ("s", "sm", "smi", ...; "9", "99", "999 0", ...), then cleared;
- choosing a site or status in a filter box, and back to "All".

Each is timed twice: on the model and filter alone ("filter"), and through the whole
``CaseloadView`` ("view": search box, combo boxes, table and count label, shown on Qt's
offscreen platform, with the events the change queues, including the repaint, processed
inside the timing). Figures are medians and nearest-rank p95 in milliseconds. This
prints figures; it does not assert them.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

TARGET_MS = 50.0
SEARCHES = (
    ("s", "sm", "smi", "smit", "smith"),
    ("j", "jo", "jon", "jone", "jones", "jones ", "jones a", "jones al"),
    ("9", "99", "999", "999 0", "999 01", "999 012"),
    ("m", "ma", "mas", "masi", "masip", "masip-", "masip-00", "masip-0042"),
)
FAMILY = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Lewis",
    "Harris",
    "Martin",
    "Cooper",
    "King",
    "Lee",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
)
GIVEN = (
    "Alex",
    "Sam",
    "Jordan",
    "Chris",
    "Jamie",
    "Morgan",
    "Taylor",
    "Casey",
    "Robin",
    "Lee",
    "Daniel",
    "Mohammed",
    "Oliver",
    "Jack",
    "Harry",
    "George",
    "Noah",
    "Leo",
    "Adam",
    "Ryan",
    "Sarah",
    "Emma",
    "Laura",
    "Hannah",
    "Amy",
    "Sophie",
    "Rachel",
    "Zara",
    "Aisha",
    "Priya",
    "Tom",
    "Ben",
    "Luke",
    "Kieran",
    "Dean",
    "Wayne",
    "Gary",
    "Paul",
    "Mark",
    "Craig",
)
SITES = ("North", "South", "East", "West", "Central")
CLINICIANS = (
    "Dr Jones",
    "Dr Okafor",
    "Nurse Patel",
    "Dr Lindqvist",
    "Nurse Adeyemi",
    "Dr Murray",
    "Nurse Hughes",
    "Dr Chen",
)


def _nhs_test_number(n: int) -> str:
    """A valid 999 test number (never issued), or "" when no check digit fits."""
    first = f"999{n % 1_000_000:06d}"
    total = sum(int(d) * w for d, w in zip(first, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 10:
        return ""
    return first + str(0 if check == 11 else check)


def fake_caseload(rows: int, *, seed: int = 1) -> list[Any]:
    """``rows`` invented demo clients as ``clients.caseload`` returns them."""
    from clinic_app.models.enums import ClientStatus, Typology
    from clinic_app.services.clients import CaseloadRow, ClientSummary

    rng = random.Random(seed)
    statuses = list(ClientStatus)
    typologies: list[Typology | None] = [*Typology, None]
    out = []
    for n in range(1, rows + 1):
        team = rng.sample(CLINICIANS, rng.randint(1, 3))
        summary = ClientSummary(
            id=n,
            local_ref=f"MASIP-{n:05d}",
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55)),
            nhs_number=_nhs_test_number(n) or None,
            site=rng.choice(SITES),
            status=rng.choice(statuses),
            is_demo=True,
            version=1,
        )
        out.append(CaseloadRow(summary, rng.choice(typologies), team[0], tuple(team)))
    out.sort(key=lambda r: (r.client.family_name, r.client.given_name, r.client.id))
    return out


def percentile(samples: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100) of at least one sample."""
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def _figures(samples: Sequence[float]) -> dict[str, float | int]:
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(percentile(samples, 95), 3),
        "max_ms": round(max(samples), 3),
        "n": len(samples),
    }


def _timed(change: Callable[..., object], *args: object, settle: Callable[[], object]) -> float:
    """Milliseconds to make a change and let it settle (count the rows, or run the events)."""
    started = time.perf_counter()
    change(*args)
    settle()
    return (time.perf_counter() - started) * 1000.0


def _application() -> Any:
    if "PySide6.QtWidgets" not in sys.modules:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["caseload-filter-benchmark"])


def measure(rows: int = 10_000, repeats: int = 20) -> dict[str, object]:
    """Time search typing and filter changes on a fake caseload of ``rows`` clients."""
    app = _application()
    from clinic_app.models.enums import ClientStatus
    from clinic_app.views.caseload.model import CaseloadFilter, CaseloadModel
    from clinic_app.views.caseload.view import CaseloadView
    from clinic_app.views.common.runner import InlineRunner, use_runner

    # The rows are in memory: the view's load runs at once, inside the timing.
    use_runner(InlineRunner())

    caseload = fake_caseload(rows)
    today = date(2026, 6, 1)

    model = CaseloadModel(today=lambda: today)
    load_ms = _timed(model.set_rows, caseload, settle=model.rowCount)
    proxy = CaseloadFilter(model)
    proxy.sort(0)
    proxy.rowCount()

    proxy_search: list[float] = []
    proxy_combo: list[float] = []
    per_text: dict[str, list[float]] = {}
    shown: dict[str, int] = {}
    for _ in range(repeats):
        for typed in SEARCHES:
            for text in typed:
                ms = _timed(proxy.set_search_text, text, settle=proxy.rowCount)
                proxy_search.append(ms)
                per_text.setdefault(text, []).append(ms)
                shown[text] = proxy.rowCount()
            proxy_search.append(_timed(proxy.set_search_text, "", settle=proxy.rowCount))
        for site in (SITES[0], SITES[1], None):
            proxy_combo.append(_timed(proxy.set_site, site, settle=proxy.rowCount))
        for status in (ClientStatus.ACTIVE, None):
            proxy_combo.append(_timed(proxy.set_status, status, settle=proxy.rowCount))

    view_started = time.perf_counter()
    view = CaseloadView(lambda: caseload, today=lambda: today)
    view_load_ms = (time.perf_counter() - view_started) * 1000.0
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    view_search: list[float] = []
    view_combo: list[float] = []
    # Through the widgets, with the queued events (the repaint) processed inside the timing.
    for _ in range(repeats):
        for typed in SEARCHES:
            for text in typed:
                view_search.append(_timed(view.search_box.setText, text, settle=app.processEvents))
            view_search.append(_timed(view.search_box.clear, settle=app.processEvents))
        for index in (1, 2, 0):
            view_combo.append(
                _timed(view.site_filter.setCurrentIndex, index, settle=app.processEvents)
            )
        for index in (1, 0):
            view_combo.append(
                _timed(view.status_filter.setCurrentIndex, index, settle=app.processEvents)
            )
    view.close()
    view.deleteLater()
    app.processEvents()

    figures: dict[str, object] = {
        "rows": rows,
        "repeats": repeats,
        "target_ms": TARGET_MS,
        "target_text": f"<= {TARGET_MS:.0f} ms (filter a caseload of 10,000 clients)",
        "load_rows_ms": round(load_ms, 3),
        "view_first_load_ms": round(view_load_ms, 3),
        "search_proxy": _figures(proxy_search),
        "combo_proxy": _figures(proxy_combo),
        "search_view": _figures(view_search),
        "combo_view": _figures(view_combo),
        "per_search_text_proxy_median_ms": {
            text: round(statistics.median(samples), 3) for text, samples in per_text.items()
        },
        "rows_shown_per_search_text": shown,
    }
    worst = max(
        float(figures[key]["median_ms"])  # type: ignore[index]
        for key in ("search_proxy", "combo_proxy", "search_view", "combo_view")
    )
    figures["within_budget"] = worst <= TARGET_MS
    figures["notes"] = []
    return figures


def report(figures: dict[str, Any]) -> str:
    """The figures as a short table."""
    lines = [
        f"caseload filter, {figures['rows']:,} clients, {figures['repeats']} repeats "
        f"(target {figures['target_text']})",
        f"{'what':<28}{'median':>10}{'p95':>10}{'max':>10}{'n':>6}",
    ]
    for key, label in (
        ("search_proxy", "typing a search (filter)"),
        ("combo_proxy", "choosing a filter (filter)"),
        ("search_view", "typing a search (view)"),
        ("combo_view", "choosing a filter (view)"),
    ):
        f = figures[key]
        lines.append(
            f"{label:<28}{f['median_ms']:>8.2f}ms{f['p95_ms']:>8.2f}ms"
            f"{f['max_ms']:>8.2f}ms{f['n']:>6}"
        )
    lines.append(
        f"loading the rows into the model: {figures['load_rows_ms']:.1f} ms; "
        f"first load of the whole view (sorted by name): {figures['view_first_load_ms']:.1f} ms"
    )
    slowest = sorted(
        figures["per_search_text_proxy_median_ms"].items(), key=lambda kv: kv[1], reverse=True
    )[:3]
    lines.append(
        "slowest search texts (filter median): "
        + ", ".join(
            f"{text!r} {ms:.2f} ms ({figures['rows_shown_per_search_text'][text]:,} shown)"
            for text, ms in slowest
        )
    )
    verdict = "within" if figures["within_budget"] else "OVER"
    lines.append(f"budget: {verdict} (every median against {figures['target_ms']:.0f} ms)")
    lines.extend(f"note: {note}" for note in figures.get("notes", []))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.caseload_filter",
        description="Time filtering a fake caseload in the caseload view.",
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    print(report(measure(args.rows, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
