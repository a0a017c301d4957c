"""Instrument definitions: what a measure asks, how it is scored, and under which licence.

A definition is data, not code: a JSON file in the format described by
``resources/schemas/measure-definition.schema.json`` and, for people, ``docs/measures.md``.
The measures shipped with the app live in ``resources/measures/`` (one file per measure and
version, e.g. ``phq-9.v1.json``, so a revised file never changes how older administrations
are scored); a clinic adds its own licensed measures by importing a file of the same format.

``parse_definition`` checks a file twice and reports every problem at once, each with the
JSON path where it was found (``$.items[2].options[1].value``): first against the JSON
Schema, then against the rules a schema cannot express; the checking itself is in
:mod:`clinic_app.measures.checking`.

Nothing here touches the database or Qt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final

from clinic_app.config import resources_dir
from clinic_app.errors import ValidationError

FORMAT: Final = "clinic-app/measure-definition"
FORMAT_VERSION: Final = 1
SCHEMA_FILENAME: Final = "measure-definition.schema.json"
MAX_DEFINITION_BYTES: Final = 1_000_000

MEASURE_ID_PATTERN: Final = "^[a-z0-9][a-z0-9_.-]{0,59}$"
VERSION_PATTERN: Final = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
MAX_ITEMS: Final = 200
MAX_VALUE: Final = 100  # the largest answer value the answer store accepts


class ScoringMethod(StrEnum):
    """How item scores (after reverse scoring) become the total."""

    SUM = "sum"
    MEAN = "mean"
    MEAN_TIMES_10 = "mean_x10"

    @property
    def words(self) -> str:
        return {
            ScoringMethod.SUM: "the sum of the item scores",
            ScoringMethod.MEAN: "the mean of the answered item scores",
            ScoringMethod.MEAN_TIMES_10: "the mean of the answered item scores, times 10",
        }[self]


class ReliableChangeMethod(StrEnum):
    """How a change between two administrations is judged reliable."""

    JACOBSON_TRUAX = "jacobson_truax"
    PUBLISHED_THRESHOLD = "published_threshold"


class Origin(StrEnum):
    """Where a definition came from: shipped with the app, or imported by the clinic."""

    SHIPPED = "shipped"
    CLINIC = "clinic"


@dataclass(frozen=True)
class ResponseOption:
    """One answer the client can choose, and the value recorded for it."""

    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One question (numbered from 1) with its answers.

    ``reverse`` items are reverse scored: the scored value is
    ``(lowest value + highest value) - answer``, so on a 0-4 item an answer of 1 scores 3.
    """

    number: int
    text: str
    options: tuple[ResponseOption, ...]
    reverse: bool = False

    @property
    def lowest(self) -> int:
        return min(o.value for o in self.options)

    @property
    def highest(self) -> int:
        return max(o.value for o in self.options)

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    def label_for(self, value: int) -> str | None:
        """The wording of the answer with this value, or None when there is none."""
        for option in self.options:
            if option.value == value:
                return option.label
        return None

    def scored(self, value: int) -> int:
        """The value that counts towards the total (reversed when the item is)."""
        return self.lowest + self.highest - value if self.reverse else value

    @property
    def short_text(self) -> str:
        """The start of the wording, to name the item in a message."""
        return shorten(self.text)


@dataclass(frozen=True)
class Subscale:
    """A named group of items scored on its own (e.g. the PCL-5 clusters)."""

    id: str
    title: str
    items: tuple[int, ...]
    minimum_answered: int
    """Fewest answered items for the subscale to be scored (prorated when fewer than all)."""


@dataclass(frozen=True)
class ScoringRule:
    """How the total is computed.

    ``minimum_answered`` is the fewest answered items for a score; when it is lower than the
    number of items, a sum is prorated (sum of answered x items / answered) and a mean is
    over the answered items. ``decimals`` is the precision the total is rounded to (half
    up). ``per_item_change`` says that change is read item by item (e.g. each goal of the
    Goal-Based Outcomes) rather than from the total alone.
    """

    method: ScoringMethod
    minimum_answered: int
    decimals: int
    per_item_change: bool
    note: str


@dataclass(frozen=True)
class SeverityBand:
    """A labelled range of totals, both ends included."""

    minimum: float
    maximum: float
    label: str

    def contains(self, total: float) -> bool:
        return self.minimum <= total <= self.maximum


@dataclass(frozen=True)
class CutoffRange:
    """The range within which an administrator may set a measure's cut-off, and why."""

    minimum: float
    maximum: float
    note: str


@dataclass(frozen=True)
class Cutoff:
    """The clinical cut-off: the first score of the clinical range.

    When higher is worse a total at or above ``value`` is in the clinical range; when
    higher is better, a total at or below it. ``configurable`` is set when the definition
    lets an administrator choose another value within a stated range.
    """

    value: float
    label: str
    source: str
    configurable: CutoffRange | None


@dataclass(frozen=True)
class ReliableChangeRule:
    """How a change is judged reliable, with the published source of the figures.

    Jacobson and Truax: ``S_diff = reference_sd x sqrt(2) x sqrt(1 - reliability)`` and a
    change is reliable when ``|later - earlier| / S_diff > 1.96``. A published threshold:
    reliable when the change is at least ``threshold`` points.
    """

    method: ReliableChangeMethod
    source: str
    reference_sd: float | None = None
    reliability: float | None = None
    threshold: float | None = None
    note: str = ""
    threshold_label: str = "reliable"
    """What the source calls a change of at least the threshold ("clinically meaningful")."""
    response_threshold: float | None = None
    """A published threshold's smaller step that the source calls a response to treatment."""


@dataclass(frozen=True)
class CriticalItem:
    """An item whose answer at or above ``minimum_value`` raises ``alert`` (risk review)."""

    item: int
    minimum_value: int
    alert: str


@dataclass(frozen=True)
class Licence:
    """The terms the instrument is used under, shown with it."""

    licence: str
    copyright_line: str
    attribution: str
    text_may_change: bool
    commercial_use: bool
    url: str = ""


@dataclass(frozen=True)
class MeasureDefinition:
    """One version of one instrument, as parsed and checked from its definition file.

    ``higher_is_worse`` gives the direction of the scale. ``content_sha256`` is the SHA-256
    of the exact file text, so what was used can be proven later.
    """

    id: str
    title: str
    short_title: str
    version: str
    instructions: str
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    scoring: ScoringRule
    bands: tuple[SeverityBand, ...]
    cutoff: Cutoff | None
    reliable_change: ReliableChangeRule | None
    higher_is_worse: bool
    critical_items: tuple[CriticalItem, ...]
    licence: Licence
    source: str
    source_url: str
    origin: Origin
    content_sha256: str
    comparable_with: tuple[str, ...] = ()
    """Earlier versions whose totals are on this version's scale (change is judged across)."""

    def item(self, number: int) -> Item:
        return self.items[number - 1]

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def score_range(self) -> tuple[float, float]:
        """The lowest and highest total the scoring rule can give."""
        return score_range(self.items, self.scoring.method)


def score_range(items: Sequence[Item], method: ScoringMethod) -> tuple[float, float]:
    """The lowest and highest total of these items under this scoring method."""
    if not items:
        return (0.0, 0.0)
    low = sum(i.lowest for i in items)
    high = sum(i.highest for i in items)
    if method is ScoringMethod.SUM:
        return (float(low), float(high))
    if method is ScoringMethod.MEAN:
        # Only a total over the items all answered reaches the extremes when items differ;
        # with equal scales (the usual case) the mean's range is the item range.
        return (min(i.lowest for i in items) * 1.0, max(i.highest for i in items) * 1.0)
    return (min(i.lowest for i in items) * 10.0, max(i.highest for i in items) * 10.0)


def shorten(text: str, limit: int = 40) -> str:
    """The start of a text, cut at a word and marked with '...' when it is long."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 4]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-\u2014") + "..."


def _values_words(values: Sequence[int]) -> str:
    ordered = sorted(values)
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]} to {ordered[-1]}"
    return ", ".join(str(v) for v in ordered[:-1]) + f" or {ordered[-1]}"


def values_words(item: Item) -> str:
    """The answers an item accepts, in words: '0 to 3' or '0, 1, 2 or 4'."""
    return _values_words(item.values)


# -- building the dataclasses -------------------------------------------------------------------


def _options(raw: list[dict[str, Any]]) -> tuple[ResponseOption, ...]:
    return tuple(ResponseOption(int(o["value"]), o["label"].strip()) for o in raw)


def _items(doc: dict[str, Any]) -> tuple[Item, ...]:
    default = doc.get("response_options")
    return tuple(
        Item(
            number=int(i["number"]),
            text=i["text"].strip(),
            options=_options(i["options"] if i.get("options") is not None else default or []),
            reverse=bool(i.get("reverse", False)),
        )
        for i in doc["items"]
    )


def _number(value: Any) -> float:
    return float(value)


def _build(doc: dict[str, Any], origin: Origin, sha256: str) -> MeasureDefinition:
    items = _items(doc)
    scoring = doc["scoring"]
    cutoff = doc.get("cutoff")
    rule = doc.get("reliable_change")
    licence = doc["licence"]
    source = doc["source"]
    configurable = cutoff.get("configurable") if cutoff is not None else None
    return MeasureDefinition(
        id=doc["id"],
        title=doc["title"].strip(),
        short_title=doc.get("short_title", doc["id"].upper()).strip(),
        version=doc["version"],
        comparable_with=tuple(doc.get("comparable_with", [])),
        instructions=doc["instructions"].strip(),
        items=items,
        subscales=tuple(
            Subscale(
                id=s["id"],
                title=s["title"].strip(),
                items=tuple(s["items"]),
                minimum_answered=int(s.get("minimum_answered", len(s["items"]))),
            )
            for s in doc.get("subscales", [])
        ),
        scoring=ScoringRule(
            method=ScoringMethod(scoring["method"]),
            minimum_answered=int(scoring["minimum_answered"]),
            decimals=int(scoring.get("decimals", 0)),
            per_item_change=bool(scoring.get("per_item_change", False)),
            note=scoring.get("note", "").strip(),
        ),
        bands=tuple(
            SeverityBand(_number(b["minimum"]), _number(b["maximum"]), b["label"].strip())
            for b in doc.get("bands", [])
        ),
        cutoff=None
        if cutoff is None
        else Cutoff(
            value=_number(cutoff["value"]),
            label=cutoff["label"].strip(),
            source=cutoff["source"].strip(),
            configurable=None
            if configurable is None
            else CutoffRange(
                _number(configurable["minimum"]),
                _number(configurable["maximum"]),
                configurable.get("note", "").strip(),
            ),
        ),
        reliable_change=None
        if rule is None
        else ReliableChangeRule(
            method=ReliableChangeMethod(rule["method"]),
            source=rule["source"].strip(),
            reference_sd=None
            if rule.get("reference_sd") is None
            else _number(rule["reference_sd"]),
            reliability=None if rule.get("reliability") is None else _number(rule["reliability"]),
            threshold=None if rule.get("threshold") is None else _number(rule["threshold"]),
            note=rule.get("note", "").strip(),
            threshold_label=rule.get("threshold_label", "reliable").strip() or "reliable",
            response_threshold=None
            if rule.get("response_threshold") is None
            else _number(rule["response_threshold"]),
        ),
        higher_is_worse=doc["direction"] == "higher_is_worse",
        critical_items=tuple(
            CriticalItem(int(c["item"]), int(c["minimum_value"]), c["alert"].strip())
            for c in doc.get("critical_items", [])
        ),
        licence=Licence(
            licence=licence["licence"].strip(),
            copyright_line=licence["copyright_line"].strip(),
            attribution=licence["attribution"].strip(),
            text_may_change=bool(licence["text_may_change"]),
            commercial_use=bool(licence["commercial_use"]),
            url=licence.get("url", "").strip(),
        ),
        source=source["citation"].strip(),
        source_url=source.get("url", "").strip(),
        origin=origin,
        content_sha256=sha256,
    )


# -- parsing ----------------------------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_constant(name: str) -> None:
    raise ValueError(name)


def parse_definition(
    text: str, *, origin: Origin = Origin.CLINIC, checked: Collection[str] = ()
) -> MeasureDefinition:
    """Parse and check a definition file's text; raises ``ValidationError`` listing every problem.

    Each problem names where it is (a JSON path such as ``$.bands[2].minimum``) and says in
    plain English what is wrong. Nothing about the file is trusted until every check passes.
    ``checked``: SHA-256 digests of texts known to pass every check (the shipped files, as
    released): such a text is not checked again.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_DEFINITION_BYTES:
        raise ValidationError(
            f"This file is too large to be a measure definition (at most "
            f"{MAX_DEFINITION_BYTES // 1000:,} KB)."
        )
    try:
        document = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
        )
    except _DuplicateKey as exc:
        raise ValidationError(
            f"The field '{exc.key}' appears twice in the same place; each field may appear "
            "only once.",
            where="$",
        ) from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"This file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            where="$",
        ) from None
    except ValueError:
        raise ValidationError(
            "This file holds a number JSON does not allow (NaN or Infinity).", where="$"
        ) from None
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if sha256 not in checked:
        # The checker is built on the dataclasses here, so it is imported when first needed.
        from clinic_app.measures.checking import definition_problems  # noqa: PLC0415

        problems = definition_problems(document)
        if problems:
            raise ValidationError(problems)
    return _build(document, origin, sha256)


# -- the shipped measures -----------------------------------------------------------------------


def shipped_dir() -> Path:
    """The folder of the measure definitions shipped with the app."""
    return resources_dir() / "measures"


def shipped_file_name(measure_id: str, version: str) -> str:
    """The file a shipped definition must be kept in: one file per measure and version."""
    return f"{measure_id}.v{version}.json"


def _shipped_files() -> Iterator[Path]:
    yield from sorted(shipped_dir().glob("*.json"))


CHECKED_LIST = "checked.sha256"
"""Beside the shipped files: the SHA-256 of each as released, every one of which passes the
checks (a test keeps the list and the files in step). A shipped file whose text is on it
is not checked again at each start: the checks and their schema take about 0.1 s to load
and run, in every process that reads the measures. A file changed since is checked in
full, as before."""


def checked_at_release() -> frozenset[str]:
    """The digests on :data:`CHECKED_LIST` (none when it is missing or unreadable)."""
    try:
        lines = (shipped_dir() / CHECKED_LIST).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(line.split()[0] for line in lines if line.strip())


@cache
def shipped_definitions() -> tuple[MeasureDefinition, ...]:
    """Every shipped definition, every version, ordered by measure id then file name.

    A shipped file that does not parse, or is not named ``<id>.v<version>.json``, is a fault
    in the release, so it stops the app with the problems listed (tests check all parse).
    """
    found: list[MeasureDefinition] = []
    checked = checked_at_release()
    for path in _shipped_files():
        try:
            text = path.read_text(encoding="utf-8")
            definition = parse_definition(text, origin=Origin.SHIPPED, checked=checked)
        except ValidationError as exc:
            raise RuntimeError(f"The shipped measure file {path.name} is faulty: {exc}") from exc
        expected = shipped_file_name(definition.id, definition.version)
        if path.name != expected:
            raise RuntimeError(f"The shipped measure file {path.name} should be named {expected}.")
        found.append(definition)
    return tuple(found)
