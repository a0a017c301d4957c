"""How the record's coded values read on screen: one place for each word the clinic uses."""

from __future__ import annotations

from datetime import date

from clinic_app.models.enums import ClientStatus, Typology

STATUS_WORDS: dict[ClientStatus, str] = {
    ClientStatus.REFERRED: "Referred",
    ClientStatus.ACTIVE: "Active",
    ClientStatus.ON_HOLD: "On hold",
    ClientStatus.CLOSED: "Closed",
}

TYPOLOGY_WORDS: dict[Typology, str] = {
    Typology.REJECTED: "Rejected",
    Typology.RESENTFUL: "Resentful",
    Typology.INTIMACY_SEEKING: "Intimacy seeking",
    Typology.INCOMPETENT_SUITOR: "Incompetent suitor",
    Typology.PREDATORY: "Predatory",
    Typology.NOT_YET_DETERMINED: "Not yet determined",
}


def digits_of(text: str | None) -> str:
    """Only the digits of ``text`` (NHS numbers are stored as digits, so usually all of it)."""
    if not text:
        return ""
    if text.isdigit():
        return text
    return "".join(ch for ch in text if ch.isdigit())


def format_nhs_number(number: str | None) -> str:
    """An NHS number as people read it (943 476 5919); anything else as stored."""
    if not number:
        return ""
    digits = digits_of(number)
    if len(digits) != 10:
        return number
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def age_on(born: date, today: date) -> int:
    """Whole years of age on ``today``."""
    return today.year - born.year - int((today.month, today.day) < (born.month, born.day))
