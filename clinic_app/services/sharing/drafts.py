"""Drafts: partner content on its way out, with the wording check and the author's edits.

1. :func:`prepare_partner_summary` (or :func:`prepare_risk_notice`) builds the content
   and runs the lexicon check, giving a :class:`Draft` with its hits.
2. The author resolves every hit: :func:`revise` keeps hits (by key) or replaces the
   text of a field (re-checked at once). :func:`accept_all_warnings` keeps every hit
   (the command line's ``--accept-warnings``; the register records it).
3. :mod:`clinic_app.services.sharing.documents` previews and exports the draft; at export
   it calls :func:`rebuild` and refuses a draft that differs from what the builder gives
   (other than the author's edits) or has any unresolved hit.

A document is built and checked once per export. When the draft handed to :func:`rebuild`
carries the very content this module built and checked earlier in the same unit of work
(the command line prepares and exports in one), and nothing has been written since, the
rebuild is that build and that check: the gate's own record of them, never the hits the
draft carries. In any other case (another unit of work, as in the window, where the
record may have changed meanwhile; a write since; an edit; other content) the content is
built and checked again from the database.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from clinic_app.errors import ValidationError
from clinic_app.measures.definitions import shipped_definitions
from clinic_app.models import RiskEvent
from clinic_app.models.enums import RiskTool
from clinic_app.reports.content import PartnerSummary, RiskNotice
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef
from clinic_app.services.sharing import lexicon
from clinic_app.services.sharing.lexicon import LexiconHit, TextField
from clinic_app.services.sharing.partner_summary import build_partner_summary_and_notes
from clinic_app.services.sharing.risk_notice import build_risk_notice
from clinic_app.services.validation import Checker
from clinic_app.wording import long_date


@dataclass(frozen=True)
class SummaryRequest:
    """What a partner summary was asked for (so export can rebuild and compare it)."""

    client_id: int
    audience: str
    period_from: date
    period_to: date
    prepared_on: date


@dataclass(frozen=True)
class NoticeRequest:
    """What an urgent risk notice was asked for."""

    client_id: int
    risk_event_id: int
    audience: str
    prepared_on: date


ContentT = TypeVar("ContentT", PartnerSummary, RiskNotice)


@dataclass(frozen=True)
class Draft(Generic[ContentT]):
    """Content on its way out, with the lexicon's hits and how the author resolved them.

    ``kept`` holds the keys of hits the author chose to keep; ``edits`` the fields whose
    text the author replaced (path, new text). A hit in an edited field must be kept
    again if it is still there. ``notes`` are messages for the author (never printed),
    e.g. risk events left out because they have no shareable statement.
    """

    request: SummaryRequest | NoticeRequest
    content: ContentT
    hits: tuple[LexiconHit, ...]
    kept: frozenset[str] = frozenset()
    edits: tuple[tuple[str, str], ...] = ()
    warnings_accepted: bool = False
    notes: tuple[str, ...] = ()
    reasons: tuple[tuple[str, str], ...] = ()
    """(hit key, reason) for each third party's detail the author kept: each needs one."""

    def reason_for(self, key: str) -> str:
        return dict(self.reasons).get(key, "")

    @property
    def unresolved(self) -> tuple[LexiconHit, ...]:
        return tuple(h for h in self.hits if h.key not in self.kept)

    @property
    def ready(self) -> bool:
        """True when every hit has been kept or edited away."""
        return not self.unresolved

    def text_fields(self) -> tuple[TextField, ...]:
        return text_fields(self.content)


SummaryDraft = Draft[PartnerSummary]
NoticeDraft = Draft[RiskNotice]


# -- free text: what the lexicon scans and the author may edit --------------------------------


def text_fields(content: PartnerSummary | RiskNotice) -> tuple[TextField, ...]:
    """Every shareable free-text field of the content, with a path and a label."""
    if isinstance(content, RiskNotice):
        return (TextField("statement", "The shareable statement", content.statement),)
    out: list[TextField] = []
    for i, update in enumerate(content.session_updates or ()):
        out.append(
            TextField(
                f"session_updates[{i}].text",
                f"The partner update of {long_date(update.session_date)}",
                update.text,
            )
        )
    for i, goal in enumerate(content.goals or ()):
        out.append(
            TextField(
                f"goals[{i}].partner_wording",
                f"Goal {goal.number} (partner wording)",
                goal.partner_wording,
            )
        )
    if content.risk is not None:
        for i, statement in enumerate(content.risk.statements):
            out.append(
                TextField(
                    f"risk.statements[{i}].statement",
                    f"The statement on the risk event of {long_date(statement.occurred_on)}",
                    statement.statement,
                )
            )
        assessment = content.risk.assessment
        if assessment is not None:
            if assessment.tool_name not in TOOL_WORDS.values():
                # Typed by the assessor (a tool of their own, or a fuller name).
                out.append(
                    TextField(
                        "risk.assessment.tool_name",
                        "The name of the risk assessment tool",
                        assessment.tool_name,
                    )
                )
            out.append(
                TextField(
                    "risk.assessment.summary", "The risk assessment summary", assessment.summary
                )
            )
    for i, referral in enumerate(content.referrals or ()):
        out.append(
            TextField(
                f"referrals[{i}].service_name",
                f"Referral {i + 1} (service name)",
                referral.service_name,
            )
        )
    shipped = shipped_titles()
    for i, direction in enumerate(content.measure_directions or ()):
        if direction.measure not in shipped:
            # A measure the clinic imported: its title was written by the clinic.
            out.append(
                TextField(
                    f"measure_directions[{i}].measure",
                    f"Questionnaire {i + 1} (its name)",
                    direction.measure,
                )
            )
    return tuple(out)


TOOL_WORDS: dict[RiskTool, str] = {
    tool: str(tool.value).upper() for tool in RiskTool if tool is not RiskTool.OTHER
}
"""How a structured risk assessment tool is named when the assessor typed no name."""


def shipped_titles() -> frozenset[str]:
    """The short titles of the measures shipped with the app (fixed, vetted text)."""
    return frozenset(d.short_title for d in shipped_definitions())


_STEP = re.compile(r"^([a-z_]+)(?:\[(\d+)\])?$")


def replace_text(content: ContentT, path: str, text: str) -> ContentT:
    """The content with the text at ``path`` (one of :func:`text_fields`) replaced."""
    if path not in {f.path for f in text_fields(content)}:
        raise ValidationError("That part of the document cannot be edited here.", where=path)
    return typing.cast(ContentT, _replace(content, path.split("."), text))


def _replace(obj: Any, steps: list[str], text: str) -> Any:
    match = _STEP.match(steps[0])
    if match is None:  # pragma: no cover - paths come from text_fields
        raise ValueError(steps[0])
    name, index = match.group(1), match.group(2)
    current = getattr(obj, name)
    if index is None:
        new = text if len(steps) == 1 else _replace(current, steps[1:], text)
    else:
        items = list(current)
        i = int(index)
        items[i] = text if len(steps) == 1 else _replace(items[i], steps[1:], text)
        new = tuple(items)
    return dataclasses.replace(obj, **{name: new})


def _checked(
    session: Session,
    by: StaffRef,
    client_id: int,
    content: ContentT,
    *,
    kept: frozenset[str] = frozenset(),
) -> tuple[tuple[LexiconHit, ...], frozenset[str]]:
    hits = lexicon.check_fields(
        text_fields(content), third_parties=lexicon.third_party_details(session, by, client_id)
    )
    keys = {h.key for h in hits}
    return hits, frozenset(k for k in kept if k in keys)


# -- built once per unit of work -----------------------------------------------------------------

_BUILT: Final = "clinic_app.sharing.built_and_checked"
"""Where a session keeps the drafts built and checked in its current unit of work."""


@dataclass(frozen=True)
class _Built:
    """A draft as this module built and checked it, for whom, in the session's unit of work."""

    by: StaffRef
    draft: Draft[Any]
    fingerprint: int
    """The hash of its content (every field, all the way down) when it was checked."""


def _remember(session: Session, by: StaffRef, draft: Draft[ContentT]) -> Draft[ContentT]:
    """Note that ``draft`` was built and checked here, until the session next writes.

    Any flush (a write of any kind) and the end of the unit of work forget it, so a later
    export builds and checks again whenever the record might have changed. Content that
    cannot be fingerprinted is not noted: its export builds and checks again.
    """
    try:
        fingerprint = hash(draft.content)
    except TypeError:  # pragma: no cover - content dataclasses hold tuples, not lists
        return draft
    built: list[_Built] | None = session.info.get(_BUILT)
    if built is None:
        built = session.info[_BUILT] = []
        event.listen(session, "after_flush", _forget)
        event.listen(session, "after_transaction_end", _forget_at_end)
    built.append(_Built(by, draft, fingerprint))
    return draft


def _forget(session: Session, _flush_context: object = None) -> None:
    session.info.get(_BUILT, []).clear()


def _forget_at_end(session: Session, _transaction: object) -> None:
    _forget(session)


def _built_here(session: Session, by: StaffRef, draft: Draft[ContentT]) -> Draft[ContentT] | None:
    """The gate's own draft whose content ``draft`` carries, built and checked in this
    unit of work with nothing written since and not changed in place; None when there is
    none."""
    for built in session.info.get(_BUILT, ()):
        own = built.draft
        if (
            own.content is draft.content
            and own.request == draft.request
            and built.by == by
            and hash(draft.content) == built.fingerprint
        ):
            return typing.cast(Draft[ContentT], own)
    return None


def prepare_partner_summary(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    audience: str,
    period_from: date,
    period_to: date,
    today: date | None = None,
) -> SummaryDraft:
    """Build a partner summary and run the lexicon check on its free text."""
    summary, notes = build_partner_summary_and_notes(
        session,
        by,
        client_id,
        audience=audience,
        period_from=period_from,
        period_to=period_to,
        today=today,
    )
    hits, _ = _checked(session, by, client_id, summary)
    request = SummaryRequest(
        client_id, summary.audience, period_from, period_to, summary.prepared_on
    )
    draft = Draft(request=request, content=summary, hits=hits, notes=tuple(notes))
    return _remember(session, by, draft)


def prepare_risk_notice(
    session: Session,
    by: StaffRef,
    risk_event_id: int,
    *,
    audience: str = "police",
    today: date | None = None,
) -> NoticeDraft:
    """Build an urgent risk notification and run the lexicon check on its statement."""
    notice = build_risk_notice(session, by, risk_event_id, audience=audience, today=today)
    client_id = session.execute(
        select(RiskEvent.client_id).where(RiskEvent.id == risk_event_id)
    ).scalar_one()
    hits, _ = _checked(session, by, client_id, notice)
    request = NoticeRequest(client_id, risk_event_id, notice.audience, notice.prepared_on)
    return _remember(session, by, Draft(request=request, content=notice, hits=hits))


def revise(
    session: Session,
    by: StaffRef,
    draft: Draft[ContentT],
    *,
    keep: Iterable[str] = (),
    edits: Mapping[str, str] | None = None,
    reasons: Mapping[str, str] | None = None,
) -> Draft[ContentT]:
    """Resolve hits: keep some (by :attr:`LexiconHit.key`) and/or replace fields' text.

    Edited text replaces the field and is checked again at once; hits still in an edited
    field must be kept again. Unknown keys and fields are refused (ValidationError).
    Keeping a third party's detail (a victim's name, address, number or vehicle) needs a
    reason in ``reasons`` under its key; the reason goes into the register.
    """
    edits = dict(edits or {})
    reasons = {k: v.strip() for k, v in (reasons or {}).items()}
    keep = tuple(keep)
    client_id = draft.request.client_id
    require_clinical_access(session, by, client_id)
    check = Checker()
    known = {h.key: h for h in draft.hits}
    for key in keep:
        if key not in known:
            check.add("keep", "A warning to keep is not one of this document's warnings.")
        elif known[key].category.is_third_party:
            check.text(
                f"reasons.{key}",
                reasons.get(key, ""),
                label="The reason for keeping a third party's detail",
                required=True,
                max_length=2000,
            )
    paths = {f.path: f for f in text_fields(draft.content)}
    for path, text in edits.items():
        if path not in paths:
            check.add(path, "That part of the document cannot be edited here.")
        else:
            check.text(path, text, label=paths[path].label, required=True, max_length=5000)
    check.raise_if_any()
    content = draft.content
    for path, text in edits.items():
        content = replace_text(content, path, text.strip())
    kept = {k for k in draft.kept if k.partition("#")[0] not in edits}
    kept.update(k for k in keep if k.partition("#")[0] not in edits)
    hits, still_kept = _checked(session, by, client_id, content, kept=frozenset(kept))
    all_edits = dict(draft.edits)
    all_edits.update({p: t.strip() for p, t in edits.items()})
    all_reasons = dict(draft.reasons)
    all_reasons.update({k: reasons[k] for k in keep if k in reasons})
    return dataclasses.replace(
        draft,
        content=content,
        hits=hits,
        kept=still_kept,
        edits=tuple(sorted(all_edits.items())),
        reasons=_reasons_for(all_reasons, still_kept),
    )


def _reasons_for(reasons: Mapping[str, str], kept: frozenset[str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, r) for k, r in reasons.items() if k in kept and r))


def accept_all_warnings(draft: Draft[ContentT]) -> Draft[ContentT]:
    """Keep every clinical-term hit at once (recorded in the register as warnings accepted).

    A third party's detail is not kept this way: it needs its own decision and reason
    (:func:`keep_third_party_details`).
    """
    clinical = {h.key for h in draft.hits if not h.category.is_third_party}
    return dataclasses.replace(draft, kept=draft.kept | clinical, warnings_accepted=bool(clinical))


def keep_third_party_details(draft: Draft[ContentT], reason: str) -> Draft[ContentT]:
    """Keep every third party's detail the check found, all for the one reason given.

    For the command line's ``--keep-third-party-details REASON``; the register records the
    reason with each kept detail.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            "Keeping a third party's detail needs a reason.", where="third_party_reason"
        )
    if len(reason) > 2000:
        raise ValidationError(
            "The reason for keeping a third party's detail is longer than 2,000 characters.",
            where="third_party_reason",
        )
    details = {h.key for h in draft.hits if h.category.is_third_party}
    reasons = dict(draft.reasons) | dict.fromkeys(details, reason)
    kept = draft.kept | details
    return dataclasses.replace(draft, kept=kept, reasons=_reasons_for(reasons, kept))


def rebuild(session: Session, by: StaffRef, draft: Draft[ContentT]) -> Draft[ContentT]:
    """The draft rebuilt from the database with the author's edits and keeps re-applied.

    Export uses this so that what leaves is exactly what the builder gives (plus the
    author's checked edits), whatever object the caller handed in. A draft whose content
    was built and checked in this unit of work, with nothing written since and no edits,
    is not built again: its content, hits and notes are taken from the gate's own record
    of that build (the author's keeps and reasons re-applied as below), not from the draft.
    """
    own = None if draft.edits else _built_here(session, by, draft)
    if own is not None:
        kept = frozenset(k for k in draft.kept if k in {h.key for h in own.hits})
        return Draft(
            request=own.request,
            content=own.content,
            hits=own.hits,
            kept=kept,
            warnings_accepted=draft.warnings_accepted,
            notes=own.notes,
            reasons=_reasons_for(dict(draft.reasons), kept),
        )
    request = draft.request
    fresh: PartnerSummary | RiskNotice
    if isinstance(request, SummaryRequest):
        fresh, notes = build_partner_summary_and_notes(
            session,
            by,
            request.client_id,
            audience=request.audience,
            period_from=request.period_from,
            period_to=request.period_to,
            today=request.prepared_on,
        )
    else:
        fresh = build_risk_notice(
            session,
            by,
            request.risk_event_id,
            audience=request.audience,
            today=request.prepared_on,
        )
        notes = []
    content = typing.cast(ContentT, fresh)
    for path, text in draft.edits:
        content = replace_text(content, path, text)
    hits, kept = _checked(session, by, request.client_id, content, kept=draft.kept)
    return Draft(
        request=request,
        content=content,
        hits=hits,
        kept=kept,
        edits=draft.edits,
        warnings_accepted=draft.warnings_accepted,
        notes=tuple(notes),
        reasons=_reasons_for(dict(draft.reasons), kept),
    )
