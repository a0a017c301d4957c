"""The subject access pack: a client's records as a PDF and as JSON, with its redaction log.

The content is plain data (:class:`SubjectAccessPack`) filled by
:mod:`clinic_app.services.sharing.subject_access` through the subject access gate; this
module draws it on the shared page of :mod:`clinic_app.reports.page` and writes the same
content as machine-readable JSON. Every item is a heading and a list of fields named as
in the record, so nothing is chosen here: what is drawn is what the gate gave. The same
content and frame give the same bytes, so a released pack can be drawn again exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from clinic_app.errors import ValidationError
from clinic_app.models.subject_access import Exemption, HarmDecision, RequesterKind
from clinic_app.reports.content import DocumentFrame
from clinic_app.wording import long_date

if TYPE_CHECKING:
    from reportlab.platypus import Flowable  # type: ignore[import-untyped]

# reportlab and the page are imported where the pack is drawn, not with this module: the
# record's screens import it for the words of a request and the pack's content, and
# reportlab is about 15 MB of a process that may never draw a pack.

TITLE: Final = "Subject access disclosure"
MARKING: Final = "OFFICIAL-SENSITIVE: PERSONAL"
HANDLING: Final = (
    "Your personal information, given to you at your request under UK GDPR Article 15. "
    "Keep it somewhere safe."
)
PAYLOAD_KIND: Final = "subject_access"
JSON_FORMAT: Final = 1

EXEMPTION_WORDS: Final[dict[Exemption, str]] = {
    Exemption.THIRD_PARTY: "third-party data, DPA 2018 Schedule 2 Part 3 paragraph 16",
    Exemption.SERIOUS_HARM: "serious harm (health data), DPA 2018 Schedule 3 Part 2 paragraph 5",
    Exemption.CRIME: "crime and taxation, DPA 2018 Schedule 2 Part 1 paragraph 2",
    Exemption.LEGAL_PRIVILEGE: "legal professional privilege, DPA 2018 Schedule 2 Part 4 "
    "paragraph 19",
}
"""Each exemption as the redaction log cites it."""

HARM_DECISION_WORDS: Final[dict[HarmDecision, str]] = {
    HarmDecision.RELEASE_IN_FULL: "Release in full: no serious harm is likely",
    HarmDecision.RELEASE_WITH_ITEMS_WITHHELD: "Release with the listed items withheld",
    HarmDecision.DO_NOT_RELEASE: "Do not release",
}

REQUESTER_WORDS: Final[dict[RequesterKind, str]] = {
    RequesterKind.CLIENT: "The client",
    RequesterKind.REPRESENTATIVE: "Someone acting for the client with their authority",
}


@dataclass(frozen=True)
class PackField:
    """One field of one item, named as in the record.

    ``kind`` says how ``value`` is written: "text", "date" (YYYY-MM-DD), "time" (UTC,
    YYYY-MM-DD HH:MM), "number", "code" (a coded value in words) or "reference" (the key
    of another item in the pack).
    """

    name: str
    label: str
    value: str | None
    kind: str = "text"


@dataclass(frozen=True)
class PackItem:
    """One row of the record: ``key`` ("session_note:12") names it in the log and review."""

    key: str
    heading: str
    fields: tuple[PackField, ...]


@dataclass(frozen=True)
class PackSection:
    title: str
    items: tuple[PackItem, ...]


@dataclass(frozen=True)
class Removal:
    """One thing taken out of the pack: where, what kind, why, and the exemption."""

    where: str
    what: str
    reason: str
    exemption: Exemption

    @property
    def exemption_words(self) -> str:
        return EXEMPTION_WORDS[self.exemption]


@dataclass(frozen=True)
class RequestFacts:
    """The request the pack answers."""

    request_id: int
    received_on: date
    requester_kind: RequesterKind
    requester_name: str
    due_on: date
    extended_to: date | None


@dataclass(frozen=True)
class ReviewFacts:
    """The serious-harm review before release: who, when, what they decided."""

    reviewer: str
    reviewer_role: str
    reviewed_on: date
    decision: HarmDecision


@dataclass(frozen=True)
class SubjectAccessPack:
    """Everything held about the client that may be given to them, and what was not."""

    prepared_on: date
    client_name: str
    local_ref: str
    request: RequestFacts
    sections: tuple[PackSection, ...]
    removals: tuple[Removal, ...]
    review: ReviewFacts | None = None

    def items(self) -> dict[str, PackItem]:
        return {item.key: item for section in self.sections for item in section.items}


# -- JSON ---------------------------------------------------------------------------------------


def _field_json(f: PackField) -> dict[str, Any]:
    return {"name": f.name, "label": f.label, "value": f.value, "kind": f.kind}


def pack_to_json(pack: SubjectAccessPack) -> dict[str, Any]:
    """The pack as plain JSON (the machine-readable file and the register's payload)."""
    request = pack.request
    return {
        "prepared_on": pack.prepared_on.isoformat(),
        "client_name": pack.client_name,
        "local_ref": pack.local_ref,
        "request": {
            "request_id": request.request_id,
            "received_on": request.received_on.isoformat(),
            "requester_kind": request.requester_kind.value,
            "requester_name": request.requester_name,
            "due_on": request.due_on.isoformat(),
            "extended_to": request.extended_to.isoformat() if request.extended_to else None,
        },
        "sections": [
            {
                "title": s.title,
                "items": [
                    {
                        "key": i.key,
                        "heading": i.heading,
                        "fields": [_field_json(f) for f in i.fields],
                    }
                    for i in s.items
                ],
            }
            for s in pack.sections
        ],
        "redaction_log": [
            {
                "where": r.where,
                "what": r.what,
                "reason": r.reason,
                "exemption": r.exemption.value,
                "exemption_words": r.exemption_words,
            }
            for r in pack.removals
        ],
        "review": None
        if pack.review is None
        else {
            "reviewer": pack.review.reviewer,
            "reviewer_role": pack.review.reviewer_role,
            "reviewed_on": pack.review.reviewed_on.isoformat(),
            "decision": pack.review.decision.value,
        },
    }


def pack_from_json(data: dict[str, Any]) -> SubjectAccessPack:
    """The pack back from :func:`pack_to_json` (for drawing a released pack again)."""
    request = data["request"]
    review = data.get("review")
    return SubjectAccessPack(
        prepared_on=date.fromisoformat(data["prepared_on"]),
        client_name=data["client_name"],
        local_ref=data["local_ref"],
        request=RequestFacts(
            request_id=int(request["request_id"]),
            received_on=date.fromisoformat(request["received_on"]),
            requester_kind=RequesterKind(request["requester_kind"]),
            requester_name=request["requester_name"],
            due_on=date.fromisoformat(request["due_on"]),
            extended_to=date.fromisoformat(request["extended_to"])
            if request["extended_to"]
            else None,
        ),
        sections=tuple(
            PackSection(
                s["title"],
                tuple(
                    PackItem(
                        i["key"],
                        i["heading"],
                        tuple(
                            PackField(f["name"], f["label"], f["value"], f["kind"])
                            for f in i["fields"]
                        ),
                    )
                    for i in s["items"]
                ),
            )
            for s in data["sections"]
        ),
        removals=tuple(
            Removal(r["where"], r["what"], r["reason"], Exemption(r["exemption"]))
            for r in data["redaction_log"]
        ),
        review=None
        if review is None
        else ReviewFacts(
            review["reviewer"],
            review["reviewer_role"],
            date.fromisoformat(review["reviewed_on"]),
            HarmDecision(review["decision"]),
        ),
    )


def render_json(pack: SubjectAccessPack, frame: DocumentFrame) -> bytes:
    """The machine-readable file: the pack and its frame as UTF-8 JSON, keys sorted, so the
    same content gives the same bytes."""
    document = {
        "format": JSON_FORMAT,
        "kind": PAYLOAD_KIND,
        "document_id": frame.document_id,
        "issued_on": frame.issued_on.isoformat(),
        "pack": pack_to_json(pack),
    }
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


# -- the PDF ------------------------------------------------------------------------------------


def pack_frame(pack: SubjectAccessPack, *, document_id: str, issued_on: date) -> DocumentFrame:
    """The page frame: addressed to the requester, for their request."""
    return DocumentFrame(
        title=TITLE,
        marking=MARKING,
        handling=HANDLING,
        document_id=document_id,
        issued_on=issued_on,
        recipient_agency=pack.request.requester_name,
        recipient_person="",
        purpose=(
            "Your request for your records received on "
            f"{long_date(pack.request.received_on)} (UK GDPR Article 15)"
        ),
        audience_title="",
    )


def _shown(f: PackField) -> str:
    if f.value is None:
        return ""
    if f.kind == "date":
        try:
            return long_date(date.fromisoformat(f.value))
        except ValueError:
            return f.value
    return f.value


def _item_story(item: PackItem) -> list[Flowable]:
    from reportlab.lib.units import mm  # type: ignore[import-untyped]  # noqa: PLC0415
    from reportlab.platypus import KeepTogether, Spacer  # noqa: PLC0415

    from clinic_app.reports import page  # noqa: PLC0415

    rows = [(f.label, _shown(f)) for f in item.fields if _shown(f).strip()]
    w = page.CONTENT_WIDTH
    body: list[Flowable] = [page.markup(f"<b>{page.text(item.heading)}</b>")]
    if rows:
        body.append(page.table(rows, (50 * mm, w - 50 * mm), header=False, label_column=True))
    body.append(Spacer(1, 5))
    if len(rows) <= 6:
        return [KeepTogether(body)]
    return body


def _request_story(pack: SubjectAccessPack) -> list[Flowable]:
    from reportlab.lib.units import mm  # noqa: PLC0415

    from clinic_app.reports import page  # noqa: PLC0415

    request = pack.request
    rows = [
        ("Client", pack.client_name),
        ("Our reference", pack.local_ref),
        ("Request received", long_date(request.received_on)),
        ("Requested by", f"{request.requester_name} ({REQUESTER_WORDS[request.requester_kind]})"),
        ("Due", long_date(request.due_on)),
    ]
    if request.extended_to is not None:
        rows.append(("Extended to", long_date(request.extended_to)))
    if pack.review is not None:
        review = pack.review
        who = review.reviewer + (f", {review.reviewer_role}" if review.reviewer_role else "")
        rows.append(
            ("Reviewed by a health professional", f"{who}, {long_date(review.reviewed_on)}")
        )
        rows.append(("Their decision", HARM_DECISION_WORDS[review.decision]))
    w = page.CONTENT_WIDTH
    return [
        page.heading("About this request"),
        page.table(rows, (55 * mm, w - 55 * mm), header=False, label_column=True),
        page.para(
            "This pack holds the information the health team keeps about you. Information "
            "about other people has been taken out, and so has anything a health "
            "professional judged likely to cause serious harm; each removal is listed at the "
            "end with the part of the Data Protection Act 2018 it relies on. A machine-"
            "readable copy (JSON) with the same content comes with it.",
            page.SMALL,
        ),
    ]


def _log_story(pack: SubjectAccessPack) -> list[Flowable]:
    from clinic_app.reports import page  # noqa: PLC0415

    story: list[Flowable] = [page.heading("What was taken out, and why")]
    if not pack.removals:
        story.append(page.para("Nothing was taken out."))
        return story
    # Removals of the same kind from the same place are one row with their number (the
    # JSON file lists each one on its own).
    grouped: dict[tuple[str, str, str, str], int] = {}
    for r in pack.removals:
        key = (r.where, r.what, r.reason, r.exemption_words)
        grouped[key] = grouped.get(key, 0) + 1
    rows = [("Where", "What", "Why", "Exemption")]
    rows.extend(
        (where, what if count == 1 else f"{what} ({count} times)", why, exemption)
        for (where, what, why, exemption), count in grouped.items()
    )
    w = page.CONTENT_WIDTH
    story.append(page.table(rows, (w * 0.28, w * 0.24, w * 0.24, w * 0.24)))
    return story


def render_subject_access(pack: SubjectAccessPack, frame: DocumentFrame) -> bytes:
    """The pack as PDF bytes (deterministic: the same content and frame, the same bytes)."""
    from clinic_app.reports import page  # noqa: PLC0415

    story: list[Flowable] = page.document_head(frame, f"The records held about {pack.client_name}")
    story.extend(_request_story(pack))
    for section in pack.sections:
        story.append(page.heading(section.title))
        if not section.items:
            story.append(page.para("Nothing is recorded."))
        for item in section.items:
            story.extend(_item_story(item))
    story.extend(_log_story(pack))
    return page.build_pdf(frame, story)


def payload_of(pack: SubjectAccessPack, frame: DocumentFrame, json_sha256: str) -> dict[str, Any]:
    """What the register keeps to draw the pack again, and the JSON file's fingerprint."""
    return {
        "kind": PAYLOAD_KIND,
        "content": pack_to_json(pack),
        "frame": frame.to_json(),
        "json_sha256": json_sha256,
    }


def render_from_payload(payload: dict[str, Any]) -> bytes:
    """A released pack's PDF drawn again from its register entry: the same bytes."""
    if payload.get("kind") != PAYLOAD_KIND:
        raise ValidationError("This register entry is not a subject access pack.")
    return render_subject_access(
        pack_from_json(payload["content"]), DocumentFrame.from_json(payload["frame"])
    )
