"""Checking a measure definition file: first against the JSON Schema, then against the
rules a schema cannot express.

Every problem is reported at once, each with the JSON path where it was found
(``$.items[2].options[1].value``) and what is wrong in plain English. The rules a schema
cannot express: items numbered 1 to n, severity bands contiguous and covering the whole
score range, subscale items that exist, a prorating minimum no larger than the number of
items, unique answer values... :func:`clinic_app.measures.definitions.parse_definition`
runs these checks before it trusts anything in a file.

Nothing here touches the database or Qt.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from clinic_app import schema_words
from clinic_app.config import resources_dir
from clinic_app.errors import Problem
from clinic_app.measures.definitions import (
    FORMAT,
    FORMAT_VERSION,
    MEASURE_ID_PATTERN,
    SCHEMA_FILENAME,
    VERSION_PATTERN,
    ReliableChangeMethod,
    ScoringMethod,
    _items,
    _values_words,
    score_range,
)

# -- the schema ---------------------------------------------------------------------------


def schema_path() -> Path:
    """Where the bundled JSON Schema of definition files lives."""
    return resources_dir() / "schemas" / SCHEMA_FILENAME


def load_schema() -> dict[str, Any]:
    """The JSON Schema of measure definition files (read once)."""
    return schema_words.load_schema(SCHEMA_FILENAME)


def _path(*parts: str | int) -> str:
    return schema_words.json_path(*parts)


_show = schema_words.show

FILE_FORMAT: Final = schema_words.FileFormat(
    name=FORMAT,
    version=FORMAT_VERSION,
    schema_file=SCHEMA_FILENAME,
    noun="measure definition",
    unknown_field="This field is not part of a measure definition; check its spelling.",
    not_fitting="This does not fit the format of a measure definition",
    pattern_words={
        MEASURE_ID_PATTERN: (
            "is not a valid measure id: use lower-case letters, digits, dots, dashes and "
            "underscores (at most 60 characters), e.g. 'my-scale'."
        ),
        VERSION_PATTERN: (
            "is not a valid version: use letters, digits, dots, dashes and underscores "
            "(at most 40 characters), e.g. '2' or '2024.1'."
        ),
    },
)


def _where_key(problem: Problem) -> tuple[tuple[int, int, str], ...]:
    """Order problems by where they are, in document order of array positions."""
    parts = re.findall(r"\[(\d+)\]|\.([A-Za-z_][A-Za-z0-9_]*)|\[(\"[^\"]*\")\]", problem.where)
    return tuple((0, int(i), "") if i else (1, 0, name or quoted) for i, name, quoted in parts)


def check_schema(document: object) -> list[Problem]:
    """Every way a parsed definition fails to match the JSON Schema, in plain English."""
    return sorted(schema_words.check(FILE_FORMAT, document), key=_where_key)


# -- the rules a schema cannot express ------------------------------------------------------


def _dec(value: float | int | Decimal) -> Decimal:
    return Decimal(str(value))


def _fmt(value: float | Decimal) -> str:
    """A number as people write it: 10, 10.5 (no trailing .0)."""
    d = _dec(value).normalize()
    text = format(d, "f")
    return text


class _Semantics:
    """Collects every problem of a schema-valid definition."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def run(self) -> list[Problem]:
        doc = self.doc
        items = doc["items"]
        count = len(items)
        default_options = doc.get("response_options")
        usable = True  # every item has answers, so the score range can be worked out
        for i, item in enumerate(items):
            at = _path("items", i)
            if item["number"] != i + 1:
                self.add(
                    _path("items", i, "number"),
                    f"Items must be numbered 1, 2, 3... in order; this is entry {i + 1} of "
                    f"the list but is numbered {item['number']}.",
                )
            options = item.get("options")
            if options is None and default_options is None:
                usable = False
                self.add(
                    at,
                    f"Item {i + 1} has no answers: give it 'options', or give the whole "
                    "measure 'response_options'.",
                )
            if options is not None:
                self.options(_path("items", i, "options"), options, f"item {i + 1}")
        if default_options is not None:
            self.options(_path("response_options"), default_options, "the measure")

        scoring = doc["scoring"]
        minimum = scoring["minimum_answered"]
        if minimum > count:
            self.add(
                _path("scoring", "minimum_answered"),
                f"At least {minimum} items must be answered, but the measure has only {count} "
                f"item{'s' if count != 1 else ''}.",
            )

        seen_ids: set[str] = set()
        for j, subscale in enumerate(doc.get("subscales", [])):
            at = _path("subscales", j)
            if subscale["id"] in seen_ids:
                self.add(
                    _path("subscales", j, "id"),
                    f"The subscale id '{subscale['id']}' is used twice.",
                )
            seen_ids.add(subscale["id"])
            members: set[int] = set()
            for k, number in enumerate(subscale["items"]):
                if not 1 <= number <= count:
                    self.add(
                        _path("subscales", j, "items", k),
                        f"Subscale '{subscale['id']}' lists item {number}, but the measure has "
                        f"items 1 to {count} only.",
                    )
                if number in members:
                    self.add(
                        _path("subscales", j, "items", k),
                        f"Subscale '{subscale['id']}' lists item {number} twice.",
                    )
                members.add(number)
            sub_min = subscale.get("minimum_answered")
            if sub_min is not None and sub_min > len(subscale["items"]):
                self.add(
                    _path("subscales", j, "minimum_answered"),
                    f"Subscale '{subscale['id']}' needs {sub_min} answered items but has only "
                    f"{len(subscale['items'])}.",
                )
            del at

        if not usable:
            return self.problems  # the rest needs every item's answers
        parsed_items = _items(doc)
        method = ScoringMethod(scoring["method"])
        low, high = score_range(parsed_items, method)
        decimals = scoring.get("decimals", 0)
        step = Decimal(1).scaleb(-decimals)
        self.bands(doc.get("bands", []), _dec(low), _dec(high), step, decimals)
        self.cutoff(doc.get("cutoff"), low, high)
        self.reliable_change(doc.get("reliable_change"), low, high)
        for j, critical in enumerate(doc.get("critical_items", [])):
            number = critical["item"]
            if not 1 <= number <= count:
                self.add(
                    _path("critical_items", j, "item"),
                    f"Item {number} is not part of the measure (it has items 1 to {count}).",
                )
                continue
            item = parsed_items[number - 1]
            if critical["minimum_value"] not in item.values:
                self.add(
                    _path("critical_items", j, "minimum_value"),
                    f"{critical['minimum_value']} is not one of the answers to item {number} "
                    f"({_values_words(item.values)}).",
                )
        licence = doc["licence"]
        if not licence["text_may_change"] and not licence["copyright_line"].strip():
            self.add(
                _path("licence", "copyright_line"),
                "A measure whose text may not be changed must carry the copyright line to show "
                "with it.",
            )
        return self.problems

    def options(self, where: str, options: list[dict[str, Any]], owner: str) -> None:
        values: set[int] = set()
        labels: set[str] = set()
        for k, option in enumerate(options):
            if option["value"] in values:
                self.add(
                    f"{where}[{k}].value",
                    f"The answer value {option['value']} is used twice for {owner}; each answer "
                    "needs its own value.",
                )
            values.add(option["value"])
            label = option["label"].strip()
            if label in labels:
                self.add(f"{where}[{k}].label", f"The answer '{label}' appears twice for {owner}.")
            labels.add(label)

    def bands(
        self,
        bands: list[dict[str, Any]],
        low: Decimal,
        high: Decimal,
        step: Decimal,
        decimals: int,
    ) -> None:
        if not bands:
            return
        previous: dict[str, Any] | None = None
        for j, band in enumerate(bands):
            lo, hi = _dec(band["minimum"]), _dec(band["maximum"])
            if lo.as_tuple().exponent < -decimals or hi.as_tuple().exponent < -decimals:  # type: ignore[operator]
                self.add(
                    _path("bands", j),
                    f"Band '{band['label']}' has more decimal places than the total ({decimals}).",
                )
            if lo > hi:
                self.add(
                    _path("bands", j, "maximum"),
                    f"Band '{band['label']}' ends ({_fmt(hi)}) before it starts ({_fmt(lo)}).",
                )
            if previous is None:
                if lo != low:
                    self.add(
                        _path("bands", j, "minimum"),
                        f"The first band must start at the lowest possible total, {_fmt(low)}; "
                        f"it starts at {_fmt(lo)}.",
                    )
            else:
                expected = _dec(previous["maximum"]) + step
                if lo != expected:
                    gap = "overlaps the band before" if lo < expected else "leaves a gap after"
                    self.add(
                        _path("bands", j, "minimum"),
                        f"Band '{band['label']}' starts at {_fmt(lo)} and so {gap} "
                        f"'{previous['label']}' (which ends at {_fmt(_dec(previous['maximum']))}); "
                        f"it should start at {_fmt(expected)}.",
                    )
            previous = band
        if previous is not None and _dec(previous["maximum"]) != high:
            self.add(
                _path("bands", len(bands) - 1, "maximum"),
                f"The last band must end at the highest possible total, {_fmt(high)}; it ends "
                f"at {_fmt(_dec(previous['maximum']))}.",
            )
        labels = [b["label"].strip() for b in bands]
        for j, label in enumerate(labels):
            if label in labels[:j]:
                self.add(_path("bands", j, "label"), f"The band label '{label}' is used twice.")

    def cutoff(self, cutoff: dict[str, Any] | None, low: float, high: float) -> None:
        if cutoff is None:
            return
        value = cutoff["value"]
        if not low <= value <= high:
            self.add(
                _path("cutoff", "value"),
                f"The cut-off {_fmt(value)} is outside the range of totals "
                f"({_fmt(low)} to {_fmt(high)}).",
            )
        configurable = cutoff.get("configurable")
        if configurable is not None:
            lo, hi = configurable["minimum"], configurable["maximum"]
            if lo > hi:
                self.add(
                    _path("cutoff", "configurable", "maximum"),
                    f"The highest allowed cut-off ({_fmt(hi)}) is below the lowest ({_fmt(lo)}).",
                )
            elif not lo <= value <= hi:
                self.add(
                    _path("cutoff", "value"),
                    f"The cut-off {_fmt(value)} is outside the range an administrator may "
                    f"choose ({_fmt(lo)} to {_fmt(hi)}).",
                )
            if lo < low or hi > high:
                self.add(
                    _path("cutoff", "configurable"),
                    f"The range an administrator may choose ({_fmt(lo)} to {_fmt(hi)}) goes "
                    f"outside the range of totals ({_fmt(low)} to {_fmt(high)}).",
                )

    def reliable_change(self, rule: dict[str, Any] | None, low: float, high: float) -> None:
        if rule is None:
            return
        method = ReliableChangeMethod(rule["method"])
        if method is ReliableChangeMethod.JACOBSON_TRUAX:
            for name, words in (
                ("reference_sd", "the reference standard deviation"),
                ("reliability", "the test-retest reliability"),
            ):
                if rule.get(name) is None:
                    self.add(
                        _path("reliable_change", name),
                        f"The Jacobson and Truax method needs {words} ('{name}').",
                    )
            for name in ("threshold", "response_threshold"):
                if rule.get(name) is not None:
                    self.add(
                        _path("reliable_change", name),
                        "A threshold belongs to the 'published_threshold' method; the Jacobson "
                        "and Truax method computes its own from the standard deviation and "
                        "reliability.",
                    )
        else:
            threshold = rule.get("threshold")
            if threshold is None:
                self.add(
                    _path("reliable_change", "threshold"),
                    "The published-threshold method needs the threshold ('threshold'): the "
                    "smallest change, in points, that counts as reliable.",
                )
            elif threshold > high - low:
                self.add(
                    _path("reliable_change", "threshold"),
                    f"A change of {_fmt(threshold)} points is impossible on a scale from "
                    f"{_fmt(low)} to {_fmt(high)}.",
                )
            response = rule.get("response_threshold")
            if response is not None and threshold is not None and response >= threshold:
                self.add(
                    _path("reliable_change", "response_threshold"),
                    f"A response ({_fmt(response)} points) must be a smaller change than the "
                    f"threshold ({_fmt(threshold)} points).",
                )
            for name in ("reference_sd", "reliability"):
                if rule.get(name) is not None:
                    self.add(
                        _path("reliable_change", name),
                        f"'{name}' belongs to the 'jacobson_truax' method, not to a published "
                        "threshold.",
                    )


def definition_problems(document: object) -> list[Problem]:
    """Every problem of a parsed definition file, in document order; empty when it is sound.

    The rules a schema cannot express are checked only once the schema is met, so they can
    rely on the fields being there and of the right type.
    """
    problems = check_schema(document)
    if not problems:
        assert isinstance(document, dict)  # the schema asks for an object
        problems = sorted(_Semantics(document).run(), key=_where_key)
    return problems
