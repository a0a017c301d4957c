"""Checks on what people type, each failing with a message a clinician understands."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from clinic_app.errors import Problem, ValidationError

NHS_NUMBER_LENGTH = 10
TEST_NUMBER_PREFIX = "999"  # never issued: allowed only on demo and test records

# Control characters other than tab and newline have no place in clinical text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def nhs_check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits; None when no valid number can end them."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def normalise_nhs_number(text: str) -> str:
    """Digits only, tolerating spaces and dashes as people type them (943 476 5919)."""
    return re.sub(r"[\s-]", "", text)


def nhs_number_problem(text: str, *, is_demo: bool) -> str | None:
    """Why an NHS number is not acceptable, or None when it is."""
    number = normalise_nhs_number(text)
    if not number.isascii() or not number.isdigit() or len(number) != NHS_NUMBER_LENGTH:
        return "An NHS number has 10 digits (spaces and dashes are fine)."
    check = nhs_check_digit(number[:9])
    if check is None or check != int(number[9]):
        return "This is not a valid NHS number: its check digit does not match. Check it."
    if number.startswith(TEST_NUMBER_PREFIX) and not is_demo:
        return (
            "NHS numbers starting 999 are test numbers that are never issued; they are "
            "allowed only on demo records."
        )
    return None


def text_problem(
    value: str, *, label: str, required: bool = False, max_length: int | None = None
) -> str | None:
    """Why a piece of free text cannot be stored, or None."""
    if required and not value.strip():
        return f"{label} is required."
    if max_length is not None and len(value) > max_length:
        return f"{label} is too long ({len(value):,} characters; at most {max_length:,})."
    if _CONTROL.search(value):
        return f"{label} contains invisible control characters; please retype it."
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        return f"{label} contains characters that cannot be stored; please retype it."
    return None


def date_problem(
    value: date,
    *,
    label: str,
    today: date,
    not_future: bool = True,
    not_before: date | None = None,
) -> str | None:
    """Why a date cannot be right (e.g. a session in the future), or None."""
    if not_future and value > today:
        return f"{label} cannot be in the future."
    if not_before is not None and value < not_before:
        return f"{label} cannot be before {not_before:%d %B %Y}."
    return None


class Checker:
    """Collects every problem with an input so the user sees them all at once."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.problems: list[Problem] = []

    def add(self, where: str, message: str | None) -> None:
        if message is not None:
            self.problems.append(Problem(self._at(where), message))

    def _at(self, where: str) -> str:
        if not self.prefix:
            return where
        return f"{self.prefix}.{where}" if where else self.prefix

    def text(
        self, where: str, value: str, *, label: str, required: bool = False, max_length: int
    ) -> None:
        self.add(where, text_problem(value, label=label, required=required, max_length=max_length))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ValidationError(self.problems)
