"""A letter written from a template: salutation, body, sign-off and the signature block.

:class:`LetterContent` is the letter exactly as the clinician approved it (the template
filled from the record, then edited); :func:`render_letter` draws it on the shared page
template of :mod:`clinic_app.reports.page`, with the service and the writer's contact
details at the head and the signature block at the foot. The same content and frame give
the same bytes, so an issued letter is drawn again from its register entry
(:func:`render_from_payload`). Reading, checking and issuing are in
:mod:`clinic_app.services.sharing.template_letters`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from clinic_app.errors import ValidationError
from clinic_app.models.enums import LetterKind
from clinic_app.reports.content import DocumentFrame
from clinic_app.wording import long_date

if TYPE_CHECKING:
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
    from reportlab.platypus import Flowable  # type: ignore[import-untyped]

# reportlab and the page are imported where a letter is drawn, not with this module: the
# record's screens import it for the letter's content, and reportlab is about 15 MB of a
# process that may never draw a letter.

PAYLOAD_KIND: Final = "letter"


@dataclass(frozen=True)
class Signature:
    """Who signs the letter and how to reach them (from their staff account)."""

    name: str
    job_title: str
    contact: str
    service_name: str


@dataclass(frozen=True)
class LetterContent:
    """A letter as it is issued: every word on the page apart from the frame."""

    kind: LetterKind
    recipient_name: str
    recipient_address: str
    salutation: str
    body: str
    sign_off: str
    signature: Signature

    def as_payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> LetterContent:
        return cls(
            kind=LetterKind(data["kind"]),
            recipient_name=str(data["recipient_name"]),
            recipient_address=str(data["recipient_address"]),
            salutation=str(data["salutation"]),
            body=str(data["body"]),
            sign_off=str(data["sign_off"]),
            signature=Signature(**{k: str(v) for k, v in data["signature"].items()}),
        )


def _lines(value: str, style: ParagraphStyle) -> list[Flowable]:
    from clinic_app.reports import page  # noqa: PLC0415

    return [page.para(line, style) for line in value.splitlines() if line.strip()]


def _paragraphs(value: str) -> list[Flowable]:
    """Blank lines part paragraphs; a single line break stays a line break."""
    from clinic_app.reports import page  # noqa: PLC0415

    blocks = [b.strip() for b in value.replace("\r\n", "\n").split("\n\n")]
    return [
        page.markup("<br/>".join(page.text(line) for line in b.split("\n"))) for b in blocks if b
    ]


def render_letter(content: LetterContent, frame: DocumentFrame) -> bytes:
    """The letter as PDF bytes (the same content and frame, the same bytes)."""
    from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]  # noqa: PLC0415
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415
    from reportlab.platypus import KeepTogether, Spacer  # noqa: PLC0415

    from clinic_app.reports import page  # noqa: PLC0415

    right = ParagraphStyle("letter-right", parent=page.BODY, alignment=TA_RIGHT, spaceAfter=0)
    line = ParagraphStyle("letter-line", parent=page.BODY, spaceAfter=0)
    signature = content.signature
    story: list[Flowable] = []
    sender = [signature.service_name, signature.name]
    if signature.job_title:
        sender.append(signature.job_title)
    if signature.contact:
        sender.append(signature.contact)
    story.extend(page.para(part, right) for part in sender if part.strip())
    story.append(Spacer(1, 14))
    story.extend(_lines(content.recipient_name, line))
    story.extend(_lines(content.recipient_address, line))
    story.append(Spacer(1, 10))
    story.append(page.para(long_date(frame.issued_on)))
    story.append(Spacer(1, 6))
    story.append(page.para(content.salutation))
    story.extend(_paragraphs(content.body))
    close: list[Flowable] = [Spacer(1, 6), page.para(content.sign_off), Spacer(1, 22)]
    close.append(page.para(signature.name, line))
    if signature.job_title:
        close.append(page.para(signature.job_title, line))
    close.append(page.para(signature.service_name, line))
    if signature.contact:
        close.append(page.para(signature.contact, line))
    story.append(KeepTogether(close))
    return page.build_pdf(frame, story)


def payload_of(content: LetterContent, frame: DocumentFrame) -> dict[str, Any]:
    """What the register keeps to draw the letter again."""
    return {"kind": PAYLOAD_KIND, "content": content.as_payload(), "frame": frame.to_json()}


def render_from_payload(payload: dict[str, Any]) -> bytes:
    """A past letter drawn again from its register entry's payload: the same bytes."""
    if payload.get("kind") != PAYLOAD_KIND:
        raise ValidationError("This register entry is not a letter.")
    return render_letter(
        LetterContent.from_payload(payload["content"]), DocumentFrame.from_json(payload["frame"])
    )
