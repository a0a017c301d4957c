"""The tables of an evaluation export: described columns, small-number suppression, CSV.

Every column is declared once with its description, so the data dictionary is written
from the same declarations as the files and cannot miss a column. Aggregate tables pass
their counts through :func:`suppressed`: a count under :data:`SMALLEST_SHOWN` (zero
included) is written as ``<5``, a rate built on such a count as ``suppressed``, and where a
row's parts add up to a total shown beside them, a second part is hidden whenever exactly
one is (so the hidden one cannot be worked out by subtraction).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

SMALLEST_SHOWN: Final = 5
SUPPRESSED: Final = "<5"
RATE_SUPPRESSED: Final = "suppressed"


@dataclass(frozen=True)
class Column:
    """One column: its name in the file, what it holds, and how its values are written."""

    name: str
    kind: str
    """'text (coded)', 'month (YYYY-MM)', 'whole number', 'number', 'pseudonym', 'count'."""
    description: str


@dataclass(frozen=True)
class Table:
    """One CSV file of the export. ``aggregate`` tables hold suppressed counts only."""

    file_name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    aggregate: bool = False

    def csv_bytes(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([c.name for c in self.columns])
        writer.writerows(self.rows)
        return buffer.getvalue().encode("utf-8")


def suppressed(count: int) -> str:
    """A count as an aggregate table shows it: hidden when under five."""
    return str(count) if count >= SMALLEST_SHOWN else SUPPRESSED


def rate(numerator: int, denominator: int, *, places: int = 3) -> str:
    """A rate shown only when both its counts are shown."""
    if numerator < SMALLEST_SHOWN or denominator < SMALLEST_SHOWN:
        return RATE_SUPPRESSED
    return f"{numerator / denominator:.{places}f}"


def suppressed_parts(parts: Sequence[int]) -> list[str]:
    """Counts that add up to a total shown beside them, with secondary suppression.

    When exactly one part is hidden, the smallest other part is hidden too; otherwise the
    hidden one would be the total less the rest.
    """
    shown = [suppressed(p) for p in parts]
    hidden = [i for i, s in enumerate(shown) if s == SUPPRESSED]
    if len(hidden) == 1 and len(parts) > 1:
        others = sorted((p, i) for i, p in enumerate(parts) if i != hidden[0])
        shown[others[0][1]] = SUPPRESSED
    return shown


DICTIONARY_COLUMNS: Final = (
    Column("file", "text", "The file of this export the column is in."),
    Column("column", "text", "The column's name, as in the file's first line."),
    Column("kind", "text", "What kind of value the column holds."),
    Column("description", "text", "What the column means and how it was derived."),
)


def dictionary(tables: Sequence[Table]) -> Table:
    """The data dictionary: every column of every table, described (and itself)."""
    rows = [(t.file_name, c.name, c.kind, c.description) for t in tables for c in t.columns]
    rows += [("data_dictionary.csv", c.name, c.kind, c.description) for c in DICTIONARY_COLUMNS]
    return Table(
        "data_dictionary.csv", "Data dictionary", DICTIONARY_COLUMNS, tuple(rows), aggregate=False
    )
