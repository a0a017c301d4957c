"""The file formats clinic-app reads, checked against their JSON Schemas in plain English.

Two formats are read from files people bring: client records (``services.interchange``)
and measure definitions (``measures.definitions``). Both are checked here the same way:
a file of another kind or another version of the format gets one problem saying so;
otherwise every way it fails its schema is listed, each at its JSON path, in words a
clinician or an administrator can act on. No database and no Qt.

Before a schema is consulted, a file is read strictly (:func:`read_json`): with a bound on
its size (never read whole when too big), refusing a field named twice, ``NaN`` and
infinities; and the value read is refused whole (:func:`odd_value`) when nested too
deeply, or holding NUL characters, lone surrogates or numbers no database column holds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from clinic_app.config import resources_dir
from clinic_app.errors import Problem, ValidationError

# What a database column can hold: SQLite and PostgreSQL integers are 64-bit.
SMALLEST_INTEGER: Final = -(2**63)
LARGEST_INTEGER: Final = 2**63 - 1
# Far deeper than any format nests (a client record reaches 6 levels), far shallower
# than where the JSON parser or the schema validator would run out of stack.
MAX_DEPTH: Final = 32
_ODD_CHARACTERS: Final = re.compile("[\x00\ud800-\udfff]")

_TYPE_WORDS: Final = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a group of named fields",
    "null": "null",
}


@dataclass(frozen=True)
class FileFormat:
    """One format: its name and version inside the file, its schema, and its own words.

    ``pattern_words`` says, for a schema pattern, what a value that does not match it
    should be (after the value itself, e.g. "should be a date written YYYY-MM-DD").
    """

    name: str
    version: int
    schema_file: str
    noun: str  # "client record", "measure definition"
    unknown_field: str
    missing_field: str = "This field is missing."
    not_fitting: str = "This does not fit the format"
    pattern_words: Mapping[str, str] = field(default_factory=dict)


def json_path(*parts: str | int, base: str = "$") -> str:
    """A JSON path such as ``$.sessions[3].session_date``."""
    out = base
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return out


def show(value: object) -> str:
    """A value as it stands in the file, cut short if long."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = "this value"
    return text if len(text) <= 40 else text[:37] + "..."


def kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a group of named fields"
    return "a value that is not JSON"


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


@cache
def load_schema(schema_file: str) -> dict[str, Any]:
    """A bundled JSON Schema (read once)."""
    with (resources_dir() / "schemas" / schema_file).open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@cache
def _validator(schema_file: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(schema_file))


def _message(fmt: FileFormat, error: SchemaError, where: str) -> str:
    keyword = error.validator
    expected: Any = error.validator_value
    value = error.instance
    if keyword == "type" and where == "$":
        return f"A {fmt.noun} file holds one JSON object; this is not one."
    if keyword == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
        return f"This should be {wanted}, not {kind_of(value)}."
    if keyword == "enum":
        choices = ", ".join(str(c) for c in expected if c is not None)
        if None in expected:
            choices += " or null"
        return f"{show(value)} is not allowed here. Use one of: {choices}."
    if keyword == "const":
        return f"This should be {show(expected)}, not {show(value)}."
    if keyword == "pattern":
        return f"{show(value)} {fmt.pattern_words.get(expected, 'is not in the expected form.')}"
    bounds = {
        "minimum": "at least",
        "exclusiveMinimum": "more than",
        "maximum": "at most",
        "exclusiveMaximum": "less than",
    }
    if keyword in bounds:
        return f"This should be {bounds[keyword]} {expected}; it is {show(value)}."
    if keyword == "minItems":
        return f"This list needs at least {_entries(expected)}."
    if keyword == "maxItems":
        return f"This list can have at most {expected} entries."
    if keyword == "minProperties":
        return f"This needs at least {_entries(expected)}."
    if keyword == "minLength":
        return "This cannot be empty."
    if keyword == "maxLength":
        return f"This is too long (at most {expected} characters)."
    return f"{fmt.not_fitting}: {error.message}"


def _problems(fmt: FileFormat, error: SchemaError) -> list[Problem]:
    """One jsonschema error as plain-English problems, each at its JSON path."""
    where = json_path(*error.absolute_path)
    value = error.instance
    wanted: Any = error.validator_value
    if error.validator == "required" and isinstance(value, dict):
        return [
            Problem(json_path(name, base=where), fmt.missing_field)
            for name in wanted
            if name not in value
        ]
    if error.validator == "additionalProperties" and isinstance(value, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return [
            Problem(json_path(name, base=where), fmt.unknown_field)
            for name in value
            if name not in known
        ]
    return [Problem(where, _message(fmt, error, where))]


def _error_order(error: SchemaError) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path)


def check(fmt: FileFormat, document: object) -> list[Problem]:
    """Every way ``document`` fails the format's schema, in document order.

    A file of another kind, or of another version of the format, gets one problem that
    says so rather than a list of everything that differs.
    """
    if isinstance(document, dict):
        if document.get("format") != fmt.name:
            return [
                Problem(
                    "$.format",
                    f"This file is not a clinic-app {fmt.noun} (its 'format' should be "
                    f"'{fmt.name}').",
                )
            ]
        version = document.get("format_version")
        if version != fmt.version or isinstance(version, bool):
            return [
                Problem(
                    "$.format_version",
                    f"This file is in version {show(version)} of the {fmt.noun} format; "
                    f"this version of clinic-app reads version {fmt.version}.",
                )
            ]
    problems: list[Problem] = []
    for error in sorted(_validator(fmt.schema_file).iter_errors(document), key=_error_order):
        problems.extend(_problems(fmt, error))
    return problems


# -- reading a file strictly ----------------------------------------------------------------


class _Refused(Exception):
    """Raised from inside the JSON parser's hooks; becomes a one-line ValidationError."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(
                    "", f"The field {show(key)} is given twice in the same group of fields."
                )
            seen.add(key)
    return out


def _no_constants(name: str) -> Any:
    raise _Refused("", f"{name} is not a number a record can hold.")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("", f"The number {text[:20]} is too large for a record to hold.")
    return value


def _bounded_int(text: str) -> int:
    # Python refuses to convert more than 4,300 digits, with an error of its own.
    if len(text.lstrip("-")) > 19:
        raise _Refused("", f"The number {text[:20]}... is too large for a record to hold.")
    value = int(text)
    if not SMALLEST_INTEGER <= value <= LARGEST_INTEGER:
        raise _Refused("", f"The number {text} is too large for a record to hold.")
    return value


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB"


def read_json(source: Path, *, max_bytes: int, noun: str) -> object:
    """A JSON file's value, read strictly; every refusal is one ``ValidationError`` line.

    At most ``max_bytes`` (plus one, to tell) are read: a larger file is refused without
    being read whole. ``noun`` names the kind of file in messages ("client record").
    """
    source = Path(source)
    try:
        with source.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ValidationError(f"There is no file at {source}.") from None
    except OSError:
        raise ValidationError(f"{source} cannot be read as a file.") from None
    if len(data) > max_bytes:
        raise ValidationError(
            f"{source} is larger than {_megabytes(max_bytes)}, the most a {noun} file may be; "
            "nothing was read from it."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{source} is not UTF-8 text (at byte {exc.start:,}); nothing was read from it."
        ) from None
    return parse_json(text, name=str(source))


def parse_json(text: str, *, name: str = "The file") -> object:
    """JSON text's value, refused whole (one ``ValidationError`` line) if anything is odd."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constants,
            parse_float=_finite,
            parse_int=_bounded_int,
        )
    except _Refused as refused:
        raise ValidationError(f"{refused.message} Nothing was read from {name}.") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}); nothing was "
            "read from it."
        ) from None
    except RecursionError:
        raise ValidationError(
            f"{name} is nested more than {MAX_DEPTH} levels deep; nothing was read from it."
        ) from None
    problem = odd_value(value)
    if problem is not None:
        raise ValidationError([problem])
    return value


def odd_value(document: object) -> Problem | None:
    """The first thing in a JSON value that no record may hold, or None.

    Nesting deeper than ``MAX_DEPTH``; text (values or field names) with a NUL character
    or a lone surrogate; whole numbers beyond 64 bits; numbers that are not finite; and
    anything that is not a JSON value at all.
    """
    stack: list[tuple[object, str, int]] = [(document, "$", 1)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            return Problem(where, f"This is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    return Problem(where, "A field name must be text.")
                at = json_path(key, base=where)
                if _ODD_CHARACTERS.search(key):
                    return Problem(where, "A field name holds characters that cannot be stored.")
                stack.append((item, at, depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, json_path(i, base=where), depth + 1) for i, item in enumerate(value)
            )
        elif isinstance(value, str):
            if _ODD_CHARACTERS.search(value):
                return Problem(
                    where,
                    "This text holds characters that cannot be stored (a NUL character or "
                    "half of a character pair).",
                )
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not SMALLEST_INTEGER <= value <= LARGEST_INTEGER:
                return Problem(where, "This number is too large for a record to hold.")
        elif isinstance(value, float):
            if not math.isfinite(value):
                return Problem(where, "This is not a number a record can hold.")
        else:
            return Problem(where, "This is not a JSON value.")
    return None
