"""The lexicon check: words in shareable text that suggest clinical or third-party content.

Before a partner document leaves, every free-text field in it (goal wordings, risk
statements, partner updates, service names, a risk tool's typed name, an imported
questionnaire's title, and the purpose and recipient's name printed on every page) is
scanned for:

- terms in ``resources/lexicon/*.txt``: diagnoses, medications, therapy terms and other
  clinical words (UK spelling and common variants; whole words, any case; multiword terms
  allow any run of spaces or hyphens between their words);
- what is recorded about the third parties on this client (victims and others), read
  for this check only, never put in a document: their names and other names (also in
  possessive and other inflected forms: "Sarah's", "Joness'", and across a line break),
  the parts of their addresses and other places (a street with or without its number, a
  postcode with or without its space, a town, a workplace), their phone numbers (however
  spaced, +44 or 0), email addresses and vehicle registrations (with or without a space).

Each hit says which field, the term, its category and the text either side, so the
author can keep it (it is needed and fine to share) or edit the field. A document with
any hit neither kept nor edited away cannot be exported. A third party's detail is kept
only with a reason of its own, recorded in the register; and an explanation of such a
hit never repeats the detail (it may be printed on a terminal or in a message).

Lexicon files are plain UTF-8 text, one term per line; ``#`` starts a comment. The file's
name (without ``.txt``) is its category: diagnoses, medications, therapy, clinical.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from clinic_app.config import resources_dir
from clinic_app.services.common import StaffRef
from clinic_app.services.third_parties import Identifiers, identifiers

CONTEXT_CHARS: Final = 40
MIN_NAME_PART: Final = 3  # a name part shorter than this ("Al", "Jo") is matched only in full


class TermCategory(enum.StrEnum):
    """Why a term was flagged."""

    DIAGNOSIS = "diagnoses"
    MEDICATION = "medications"
    THERAPY = "therapy"
    CLINICAL = "clinical"
    THIRD_PARTY_NAME = "third_party_name"
    THIRD_PARTY_PLACE = "third_party_place"
    THIRD_PARTY_CONTACT = "third_party_contact"
    THIRD_PARTY_VEHICLE = "third_party_vehicle"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]

    @property
    def is_third_party(self) -> bool:
        """A detail of a victim or other person: kept only with a reason, never echoed."""
        return self in THIRD_PARTY_CATEGORIES


CATEGORY_LABELS: Final[Mapping[TermCategory, str]] = {
    TermCategory.DIAGNOSIS: "a diagnosis",
    TermCategory.MEDICATION: "a medication",
    TermCategory.THERAPY: "a therapy term",
    TermCategory.CLINICAL: "a clinical term",
    TermCategory.THIRD_PARTY_NAME: "the name of a third party recorded on this client",
    TermCategory.THIRD_PARTY_PLACE: "an address or place recorded for a third party",
    TermCategory.THIRD_PARTY_CONTACT: "a phone number or email recorded for a third party",
    TermCategory.THIRD_PARTY_VEHICLE: "a vehicle recorded for a third party",
}

THIRD_PARTY_CATEGORIES: Final = frozenset(
    {
        TermCategory.THIRD_PARTY_NAME,
        TermCategory.THIRD_PARTY_PLACE,
        TermCategory.THIRD_PARTY_CONTACT,
        TermCategory.THIRD_PARTY_VEHICLE,
    }
)


@dataclass(frozen=True)
class TextField:
    """One piece of free text in a document: where it is, what to call it, and the text."""

    path: str
    """Where the text sits in the content, e.g. "goals[2].partner_wording"."""
    label: str
    """How to name it to the author, e.g. "Goal 2 (partner wording)"."""
    text: str


@dataclass(frozen=True)
class LexiconHit:
    """One flagged term in one field, with the text either side of it."""

    key: str
    """Stable identifier for resolving this hit ("keep"); unique within a document. It
    holds the field, category and position, never the term (see :func:`hit_key`)."""
    field: str
    """The field's path (see :class:`TextField`)."""
    field_label: str
    term: str
    """The words as they appear in the text."""
    category: TermCategory
    start: int
    end: int
    before: str
    after: str

    @property
    def explanation(self) -> str:
        """E.g. "'schizophrenia' in Goal 2 (partner wording) looks like a diagnosis".

        A third party's detail is not repeated: "Goal 2 (partner wording) holds the name
        of a third party recorded on this client".
        """
        if self.category.is_third_party:
            where = self.field_label[:1].upper() + self.field_label[1:]
            return f"{where} holds {self.category.label}."
        return f"'{self.term}' in {self.field_label} looks like {self.category.label}."


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    category: TermCategory


class Lexicon:
    """Compiled terms by category, matched whole-word and case-insensitively.

    The word lists are compiled once, when the lexicon is made (the shipped one once per
    process, by :func:`load_lexicon`); adding a client's third parties (for one check) compiles
    only their details.
    """

    def __init__(self, terms: Mapping[TermCategory, Iterable[str]]) -> None:
        self.terms: dict[TermCategory, tuple[str, ...]] = {
            category: tuple(sorted({t.strip() for t in words if t.strip()}, key=str.casefold))
            for category, words in terms.items()
        }
        self._patterns: dict[TermCategory, re.Pattern[str]] = {}
        for category, words in self.terms.items():
            pattern = _compile(words)
            if pattern is not None:
                self._patterns[category] = pattern

    def __len__(self) -> int:
        return sum(len(words) for words in self.terms.values())

    def matches(self, text: str) -> list[_Match]:
        """Every flagged span, longest first where spans overlap, in text order."""
        found: list[_Match] = []
        for category, pattern in self._patterns.items():
            found.extend(_Match(m.start(), m.end(), category) for m in pattern.finditer(text))
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        kept: list[_Match] = []
        for match in found:
            if kept and match.start < kept[-1].end:
                continue  # inside a longer term already flagged ("personality disorder")
            kept.append(match)
        return kept

    def with_third_parties(self, found: Identifiers) -> Lexicon:
        """This lexicon plus what is recorded about the client's third parties.

        The word lists are shared with this lexicon, not compiled again.
        """
        out = Lexicon({})
        out.terms = self.terms
        out._patterns = dict(self._patterns)
        compiled = {
            TermCategory.THIRD_PARTY_NAME: _names_pattern(found.names),
            TermCategory.THIRD_PARTY_PLACE: _compile(_place_fragments(found.addresses)),
            TermCategory.THIRD_PARTY_CONTACT: _contact_pattern(found.phones, found.emails),
            TermCategory.THIRD_PARTY_VEHICLE: _vehicle_pattern(found.vehicles),
        }
        for category, pattern in compiled.items():
            if pattern is not None:
                out._patterns[category] = pattern
        return out

    def with_names(self, names: Iterable[str]) -> Lexicon:
        """This lexicon plus third-party names (full names and their longer parts)."""
        return self.with_third_parties(Identifiers(tuple(names), (), (), (), ()))


# A name may be followed by a possessive or plural ending: Sarah's, Jones', Joness, Sarahs.
_NAME_ENDING: Final = r"(?:['\u2019]s|['\u2019]|es|s)?"
# Words that introduce a place rather than name it ("Works at Riverside Library").
_PLACE_LEAD: Final = re.compile(
    r"^(?:works?|working|studies|school|college|home|lives|living|address|gym)"
    r"(?:\s+(?:at|in|on))?\s*[:\-]?\s*",
    re.IGNORECASE,
)
_HOUSE_NUMBER: Final = re.compile(r"^(?:flat\s+\w+\s*,?\s*)?\d+[a-z]?\s+", re.IGNORECASE)
_POSTCODE: Final = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})$", re.IGNORECASE)
MIN_PLACE: Final = 4


def _name_words(names: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for name in names:
        clean = " ".join(name.split())
        if not clean:
            continue
        words.add(clean)
        words.update(part for part in re.split(r"[\s-]+", clean) if len(part) >= MIN_NAME_PART)
    return words


def _alternative(word: str) -> str:
    parts = [re.escape(p).replace("'", "['\u2019]") for p in re.split(r"[\s-]+", word) if p]
    return r"[\s\-]+".join(parts)


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    words = _name_words(names)
    if not words:
        return None
    alternatives = "|".join(_alternative(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?:{alternatives}){_NAME_ENDING}(?![\w])", re.IGNORECASE)


def _place_fragments(places: Iterable[str]) -> list[str]:
    """The parts of addresses and places a document could mention on their own."""
    out: set[str] = set()
    for place in places:
        for raw in re.split(r"[,;\n]+", place):
            part = _PLACE_LEAD.sub("", " ".join(raw.split())).strip(" .")
            if len(part) < MIN_PLACE:
                continue
            postcode = _POSTCODE.match(part)
            if postcode:
                out.add(f"{postcode.group(1)} {postcode.group(2)}")
                out.add(f"{postcode.group(1)}{postcode.group(2)}")
                continue
            out.add(part)
            street = _HOUSE_NUMBER.sub("", part)
            if street != part and len(street) >= MIN_PLACE:
                out.add(street)
    return sorted(out)


def _phone_alternative(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+44") or (digits.startswith("44") and len(digits) == 12):
        digits = "0" + digits[2:]
    if len(digits) < 6:
        return None
    gap = r"[\s().\-]*"
    if digits.startswith("0"):
        national = gap.join(digits[1:])
        return rf"(?:\+{gap}44{gap}(?:\(?0\)?)?{gap}|\(?0{gap}){national}"
    return gap.join(digits)


def _contact_pattern(phones: Iterable[str], emails: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = [a for a in (_phone_alternative(p) for p in phones) if a]
    alternatives += [re.escape(e.strip()) for e in emails if e.strip()]
    if not alternatives:
        return None
    return re.compile(r"(?<![\w@.+])(?:" + "|".join(alternatives) + r")(?![\w@])", re.IGNORECASE)


def _vehicle_pattern(vehicles: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = []
    for vehicle in vehicles:
        compact = re.sub(r"\s+", "", vehicle)
        if len(compact) >= 2:
            alternatives.append(r"\s?".join(re.escape(ch) for ch in compact))
    if not alternatives:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])", re.IGNORECASE)


def _compile(words: Sequence[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = [_alternative(w) for w in sorted(words, key=len, reverse=True)]
    # Whole words: no letter or digit immediately before or after the term.
    return re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])", re.IGNORECASE)


def lexicon_dir() -> Path:
    return resources_dir() / "lexicon"


def read_terms(path: Path) -> list[str]:
    """The terms in one lexicon file (one a line; ``#`` comments and blank lines skipped)."""
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        term = line.split("#", 1)[0].strip()
        if term:
            terms.append(term)
    return terms


@cache
def load_lexicon(directory: Path | None = None) -> Lexicon:
    """The shipped lexicon (read once per process)."""
    folder = directory or lexicon_dir()
    terms: dict[TermCategory, list[str]] = {}
    for category in TermCategory:
        if category.is_third_party:
            continue
        path = folder / f"{category.value}.txt"
        if path.exists():
            terms[category] = read_terms(path)
    return Lexicon(terms)


def hit_key(path: str, category: TermCategory, n: int) -> str:
    """The key of the ``n``-th hit (from 0) of ``category`` in the field at ``path``.

    It names the field, the category and the position only, never the term: keys are
    kept in the register, and a term may be a victim's name. The same text always gives
    the same keys, and editing a field drops the keeps of its hits.
    """
    return f"{path}#{category.value}:{n}"


def check_fields(
    fields: Iterable[TextField],
    *,
    lexicon: Lexicon | None = None,
    names: Iterable[str] = (),
    third_parties: Identifiers | None = None,
) -> tuple[LexiconHit, ...]:
    """Every hit in every field, in field order then text order.

    ``third_parties`` (or, for a list of names only, ``names``) adds what is recorded
    about the client's third parties to the check.
    """
    base = lexicon if lexicon is not None else load_lexicon()
    names = tuple(names)
    if third_parties is None and names:
        third_parties = Identifiers(names, (), (), (), ())
    active = base.with_third_parties(third_parties) if third_parties else base
    hits: list[LexiconHit] = []
    for field in fields:
        seen: dict[TermCategory, int] = {}
        for match in active.matches(field.text):
            term = field.text[match.start : match.end]
            n = seen.get(match.category, 0)
            seen[match.category] = n + 1
            hits.append(
                LexiconHit(
                    key=hit_key(field.path, match.category, n),
                    field=field.path,
                    field_label=field.label,
                    term=term,
                    category=match.category,
                    start=match.start,
                    end=match.end,
                    before=_context_before(field.text, match.start),
                    after=_context_after(field.text, match.end),
                )
            )
    return tuple(hits)


def _context_before(text: str, start: int) -> str:
    chunk = text[max(0, start - CONTEXT_CHARS) : start]
    return ("..." if start > CONTEXT_CHARS else "") + " ".join(chunk.split(" "))


def _context_after(text: str, end: int) -> str:
    chunk = text[end : end + CONTEXT_CHARS]
    return chunk + ("..." if end + CONTEXT_CHARS < len(text) else "")


def third_party_details(session: Session, by: StaffRef, client_id: int) -> Identifiers:
    """What is recorded about the client's third parties, for this check only.

    These are THIRD_PARTY data: the caller matches text against them and must never put
    them in a document, a message or a log.
    """
    return identifiers(session, by, client_id)
