"""The lexicon check: words in shareable text that suggest clinical or third-party content.

Before a partner document leaves, every free-text field in it (goal wordings, risk
statements, partner updates, service names, a risk tool's typed name, an imported
questionnaire's title, and the purpose and recipient's name printed on every page) is
scanned for:

- terms in ``resources/lexicon/*.txt``: diagnoses, medications, therapy terms and other
  clinical words (UK spelling and common variants; whole words, any case; multiword terms
  allow any run of spaces or hyphens between their words);
- the names of the third parties recorded on this client (victims and others), read
  for this check only: they never reach a document.

Each hit says which field, the term, its category and the text either side, so the
author can keep it (it is needed and fine to share) or edit the field. A document with
any hit neither kept nor edited away cannot be exported.

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

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.config import resources_dir
from clinic_app.models import ThirdParty
from clinic_app.services.common import StaffRef, require_clinical_access

CONTEXT_CHARS: Final = 40
MIN_NAME_PART: Final = 3  # a name part shorter than this ("Al", "Jo") is matched only in full


class TermCategory(enum.StrEnum):
    """Why a term was flagged."""

    DIAGNOSIS = "diagnoses"
    MEDICATION = "medications"
    THERAPY = "therapy"
    CLINICAL = "clinical"
    THIRD_PARTY_NAME = "third_party_name"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: Final[Mapping[TermCategory, str]] = {
    TermCategory.DIAGNOSIS: "a diagnosis",
    TermCategory.MEDICATION: "a medication",
    TermCategory.THERAPY: "a therapy term",
    TermCategory.CLINICAL: "a clinical term",
    TermCategory.THIRD_PARTY_NAME: "the name of a third party recorded on this client",
}


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
        """E.g. "'schizophrenia' in Goal 2 (partner wording) looks like a diagnosis"."""
        return f"'{self.term}' in {self.field_label} looks like {self.category.label}."


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    category: TermCategory


class Lexicon:
    """Compiled terms by category, matched whole-word and case-insensitively."""

    def __init__(self, terms: Mapping[TermCategory, Iterable[str]]) -> None:
        self.terms: dict[TermCategory, tuple[str, ...]] = {
            category: tuple(sorted({t.strip() for t in words if t.strip()}, key=str.casefold))
            for category, words in terms.items()
        }
        self._patterns = {
            category: _compile(words) for category, words in self.terms.items() if words
        }

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

    def with_names(self, names: Iterable[str]) -> Lexicon:
        """This lexicon plus third-party names (full names and their longer parts)."""
        words: set[str] = set()
        for name in names:
            clean = " ".join(name.split())
            if not clean:
                continue
            words.add(clean)
            words.update(part for part in re.split(r"[\s-]+", clean) if len(part) >= MIN_NAME_PART)
        terms = dict(self.terms)
        terms[TermCategory.THIRD_PARTY_NAME] = tuple(words)
        return Lexicon(terms)


def _compile(words: Sequence[str]) -> re.Pattern[str]:
    alternatives = []
    for word in sorted(words, key=len, reverse=True):
        parts = [re.escape(p).replace("'", "['\u2019]") for p in re.split(r"[\s-]+", word) if p]
        alternatives.append(r"[\s\-]+".join(parts))
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
        if category is TermCategory.THIRD_PARTY_NAME:
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
    fields: Iterable[TextField], *, lexicon: Lexicon | None = None, names: Iterable[str] = ()
) -> tuple[LexiconHit, ...]:
    """Every hit in every field, in field order then text order."""
    base = lexicon or load_lexicon()
    names = tuple(names)
    active = base.with_names(names) if names else base
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


def third_party_names(session: Session, by: StaffRef, client_id: int) -> tuple[str, ...]:
    """Names of the third parties recorded on a client, for the lexicon check only.

    These are THIRD_PARTY data: the caller matches text against them and must never put
    them in a document or a log.
    """
    require_clinical_access(session, by, client_id)
    return tuple(
        name
        for name in session.scalars(
            select(ThirdParty.name).where(ThirdParty.client_id == client_id)
        )
        if name and name.strip()
    )
