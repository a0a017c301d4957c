"""The JSON Schema of the client record format, and its problems in plain English."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from clinic_app import schema_words
from clinic_app.config import resources_dir
from clinic_app.errors import Problem
from clinic_app.services.interchange.fields import FORMAT, FORMAT_VERSION

SCHEMA_FILENAME: Final = "client-record.schema.json"
# The patterns the schema uses, so a mismatch can be explained in words (a test keeps
# these equal to the schema's).
DATE_PATTERN: Final = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIMESTAMP_PATTERN: Final = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    "(\\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
SHA256_PATTERN: Final = "^[0-9a-f]{64}$"

JUDGEMENT_LEVELS: Final = ("low", "moderate", "high", "not rated")


def schema_path() -> Path:
    """Where the bundled JSON Schema of the format lives."""
    return resources_dir() / "schemas" / SCHEMA_FILENAME


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the client record format (read once)."""
    return schema_words.load_schema(SCHEMA_FILENAME)


FILE_FORMAT: Final = schema_words.FileFormat(
    name=FORMAT,
    version=FORMAT_VERSION,
    schema_file=SCHEMA_FILENAME,
    noun="client record",
    missing_field=(
        "This field is missing. Every field of the format must be present "
        "(null or empty text where there is no value)."
    ),
    unknown_field="This field is not part of the format; check its spelling.",
    pattern_words={
        DATE_PATTERN: "should be a date written YYYY-MM-DD, for example 2024-05-01.",
        TIMESTAMP_PATTERN: (
            "should be a date and time with seconds and a UTC offset, for example "
            "2024-05-01T14:30:00+00:00."
        ),
        SHA256_PATTERN: "should be a SHA-256 hash: 64 characters 0-9 and a-f.",
    },
)


def check_schema(document: object) -> list[Problem]:
    """Every way the document fails to match the format's JSON Schema, in plain English.

    A file of another kind, or of another version of the format, gets one problem that
    says so rather than a list of everything that differs.
    """
    return schema_words.check(FILE_FORMAT, document)
