"""The page furniture every PDF document is drawn on: fonts, styles, text and the page.

The documents themselves are in :mod:`clinic_app.reports.pdf` and
:mod:`clinic_app.reports.referral_letter`. One page template serves every document: the
marking at the top and bottom of every page, the document title, audience and ID in
the header, and recipient, purpose, issue date, handling text and "Page X of Y" in the
footer.

Text is drawn in DejaVu Sans (``resources/fonts/``, embedded as subsets), so names in any
European, Cyrillic, Greek or Vietnamese script print as written; a character the font
cannot draw prints as '?' rather than vanishing. Tables split a tall row across pages, so
text at the longest length the services allow always fits; a document that still cannot
be laid out raises a :class:`~clinic_app.errors.ClinicError`.

Output is deterministic: reportlab's invariant mode, subset font names that depend only
on the order characters are first drawn (never random), fonts read from the bundled files
(never the system's) and a creation date taken from the frame, so rendering the same
content and frame again gives the same bytes and the same SHA-256. Changing the font files
or the layout changes the bytes, so past documents no longer regenerate exactly. The PDF
metadata carries the document's kind, audience, marking and ID only: never a name or
anything clinical.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_CENTER  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import (  # type: ignore[import-untyped]
    registerFont,
    registerFontFamily,
    stringWidth,
)
from reportlab.pdfbase.ttfonts import TTFError, TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    LayoutError,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from clinic_app.config import resources_dir
from clinic_app.errors import ClinicError
from clinic_app.reports.content import (
    DocumentFrame,
    Subject,
)
from clinic_app.wording import long_date

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN: Final = 18 * mm
TOP: Final = 30 * mm
BOTTOM: Final = 34 * mm
METADATA_AUTHOR: Final = "Health team"
GREY = colors.Color(0.35, 0.35, 0.35)
RULE = colors.Color(0.6, 0.6, 0.6)
SHADE = colors.Color(0.92, 0.92, 0.92)

FONT: Final = "ClinicSans"
FONT_BOLD: Final = "ClinicSans-Bold"
FONT_OBLIQUE: Final = "ClinicSans-Oblique"
FONT_FILES: Final = {
    FONT: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_OBLIQUE: "DejaVuSans-Oblique.ttf",
}
"""The fonts every document is drawn in, by the name reportlab knows them, and their files
in ``resources/fonts/``. Replacing a file changes the bytes of every document."""
BODY_FONTS: Final = (FONT, FONT_BOLD)
"""Body text may be drawn plain or bold: it keeps only characters both fonts can draw."""
UNDRAWABLE: Final = "?"
FONTS_MISSING: Final = (
    "The fonts documents are printed in are missing or damaged in this installation, so "
    "the document cannot be produced. Ask IT to reinstall clinic-app."
)
LAYOUT_FAILED: Final = (
    "The document could not be laid out on its pages: part of it is too large to fit on a "
    "page. Nothing was produced. Shorten the longest text in it and try again, and tell IT "
    "if this keeps happening."
)

BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13.5, spaceAfter=4)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11, spaceAfter=0)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=9, leading=11.5, spaceAfter=0)
CELL_BOLD = ParagraphStyle("cellbold", parent=CELL, fontName=FONT_BOLD)
CELL_PADDING: Final = 6
HANDLING = ParagraphStyle(
    "handling",
    parent=BODY,
    fontName=FONT_OBLIQUE,
    fontSize=8.5,
    leading=10,
    alignment=TA_CENTER,
    spaceAfter=0,
)
HANDLING_TOP: Final = 21 * mm
HANDLING_HEIGHT: Final = 11 * mm
"""The footer's room for the handling text, between the purpose and the bottom marking."""
TITLE = ParagraphStyle(
    "title", parent=BODY, fontName=FONT_BOLD, fontSize=17, leading=21, spaceAfter=2
)
SUBTITLE = ParagraphStyle("subtitle", parent=BODY, fontSize=11, leading=14, textColor=GREY)
HEADING = ParagraphStyle(
    "heading",
    parent=BODY,
    fontName=FONT_BOLD,
    fontSize=12.5,
    leading=16,
    spaceBefore=10,
    spaceAfter=4,
    keepWithNext=1,
)
WARNING = ParagraphStyle(
    "warning",
    parent=BODY,
    fontName=FONT_BOLD,
    fontSize=10.5,
    alignment=TA_CENTER,
    spaceAfter=0,
)


# -- fonts ---------------------------------------------------------------------------------------


def fonts_dir() -> Path:
    return resources_dir() / "fonts"


@functools.cache
def _coverage() -> dict[str, frozenset[int]]:
    """Register the document fonts with reportlab (once); the code points each can draw.

    Raises ClinicError when a font file is missing or damaged.
    """
    found: dict[str, frozenset[int]] = {}
    for name, file_name in FONT_FILES.items():
        try:
            # shapable=False: no text shaping even if uharfbuzz is installed, so the bytes
            # do not depend on what else happens to be installed.
            font = TTFont(name, str(fonts_dir() / file_name), shapable=False)
        except (OSError, TTFError):
            raise ClinicError(FONTS_MISSING) from None
        registerFont(font)
        found[name] = frozenset(font.face.charToGlyph)
    registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_OBLIQUE, boldItalic=FONT_BOLD)
    return found


def ensure_fonts() -> None:
    """Make sure the document fonts are registered (raises ClinicError if they are missing)."""
    _coverage()


@functools.cache
def _drawable(fonts: tuple[str, ...]) -> frozenset[int]:
    coverage = _coverage()
    return frozenset.intersection(*(coverage[f] for f in fonts))


def clean(value: str, fonts: tuple[str, ...] = BODY_FONTS) -> str:
    """User text as it will be drawn in ``fonts``: nothing silently lost or garbled.

    Composed to NFC (a name typed with combining accents prints as one letter), line
    breaks made "\\n", any other white space a space, invisible format characters the
    fonts do not have (e.g. a direction mark copied from a web page) dropped, and any other
    character the fonts cannot draw replaced by '?', so it shows that something is missing.
    """
    drawable = _drawable(fonts)
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    for char in value:
        if char == "\n" or ord(char) in drawable:
            out.append(char)
        elif char.isspace():
            out.append(" ")
        elif unicodedata.category(char) != "Cf":
            out.append(UNDRAWABLE)
    return "".join(out)


# -- text helpers --------------------------------------------------------------------------------


def text(value: str, fonts: tuple[str, ...] = BODY_FONTS) -> str:
    """User text made safe for a Paragraph: cleaned (see :func:`clean`), markup escaped,
    line breaks kept."""
    return escape(clean(value, fonts)).replace("\n", "<br/>")


def para(value: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(text(value), style)


def markup(value: str, style: ParagraphStyle = BODY) -> Paragraph:
    """A Paragraph from trusted markup (our own words with <b> and escaped user text)."""
    ensure_fonts()
    return Paragraph(value, style)


def heading(value: str) -> Paragraph:
    return Paragraph(text(value), HEADING)


def warning_box(value: str) -> Table:
    """A boxed, bold line that cannot be missed (e.g. the urgency of a notification).

    ``value`` is trusted markup: escape user text in it with :func:`text`.
    """
    ensure_fonts()
    box = Table(
        [[Paragraph(value, WARNING)]], colWidths=[CONTENT_WIDTH], hAlign="LEFT", splitInRow=1
    )
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.5, colors.black),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    box.spaceBefore = 8
    box.spaceAfter = 4
    return box


def table(
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    header: bool = True,
    label_column: bool = False,
) -> Table:
    """A readable table of text cells; the header row repeats on every page.

    A cell that fits on one line is drawn as plain text (fast: a 500-row attendance table
    is most of a long summary); longer text wraps in a Paragraph. A row taller than the
    rest of the page is split across pages (``splitInRow``), so no text is too long to lay
    out.
    """
    ensure_fonts()
    cells: list[list[Flowable | str]] = []
    for r, row in enumerate(rows):
        out: list[Flowable | str] = []
        for c, value in enumerate(row):
            bold = (header and r == 0) or (label_column and c == 0)
            plain = clean(value)
            font = FONT_BOLD if bold else FONT
            fits = "\n" not in plain and (
                stringWidth(plain, font, CELL.fontSize) <= widths[c] - 2 * CELL_PADDING
            )
            out.append(plain if fits else para(value, CELL_BOLD if bold else CELL))
        cells.append(out)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("FONT", (0, 0), (-1, -1), FONT, CELL.fontSize, CELL.leading),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
        style.append(("FONT", (0, 0), (-1, 0), FONT_BOLD, CELL.fontSize, CELL.leading))
    if label_column:
        style.append(("BACKGROUND", (0, 0), (0, -1), SHADE))
        style.append(("FONT", (0, 0), (0, -1), FONT_BOLD, CELL.fontSize, CELL.leading))
    result = Table(
        cells,
        colWidths=list(widths),
        repeatRows=1 if header else 0,
        hAlign="LEFT",
        splitInRow=1,
    )
    result.setStyle(TableStyle(style))
    return result


CONTENT_WIDTH: Final = PAGE_WIDTH - 2 * MARGIN


# -- the page template ----------------------------------------------------------------------------


def _numbered_canvas(frame: DocumentFrame) -> type[Canvas]:
    """A canvas that holds its pages until the end, so each can say "Page X of Y"."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            issued = frame.issued_on
            # The creation date is the issue date: the same document, the same bytes.
            self.setDateFormatter(
                lambda *_: f"D:{issued.year:04d}{issued.month:02d}{issued.day:02d}000000+00'00'"
            )

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                draw_page_frame(self, frame, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def draw_page_frame(canvas: Canvas, frame: DocumentFrame, number: int, total: int) -> None:
    """The marking, title, ID, recipient, purpose, date, handling and page number.

    Every line is kept inside the margins: the marking is made smaller if it is too wide,
    and the header and footer lines (given in full in the document's head) are shortened
    with "..." where they would run into the text on their right.
    """
    canvas.saveState()
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    gap = 4 * mm
    # Marking, top and bottom, centred and bold.
    marking = _plain(frame.marking)
    size = 11.0
    wide = stringWidth(marking, FONT_BOLD, size)
    if wide > CONTENT_WIDTH:
        size = size * CONTENT_WIDTH / wide
    canvas.setFont(FONT_BOLD, size)
    canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 12 * mm, marking)
    canvas.drawCentredString(PAGE_WIDTH / 2, 6 * mm, marking)
    # Header: what the document is and its ID.
    small = 8.5
    canvas.setFont(FONT, small)
    canvas.setFillColor(GREY)
    what = frame.title + (f" for {frame.audience_title}" if frame.audience_title else "")
    ident = _plain(f"Document ID {frame.document_id}")
    room = CONTENT_WIDTH - stringWidth(ident, FONT, small) - gap
    canvas.drawString(left, PAGE_HEIGHT - 19 * mm, _fit(_plain(what), small, room))
    canvas.drawRightString(right, PAGE_HEIGHT - 19 * mm, ident)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(left, PAGE_HEIGHT - 21 * mm, right, PAGE_HEIGHT - 21 * mm)
    # Footer: recipient, purpose, date, handling text and page number.
    canvas.line(left, 30 * mm, right, 30 * mm)
    for y, left_text, right_text in (
        (26.5 * mm, f"To: {frame.recipient}", f"Issued {long_date(frame.issued_on)}"),
        (23 * mm, f"Purpose: {frame.purpose}", f"Page {number} of {total}"),
    ):
        room = CONTENT_WIDTH - stringWidth(right_text, FONT, small) - gap
        canvas.drawString(left, y, _fit(_plain(left_text), small, room))
        canvas.drawRightString(right, y, right_text)
    handling = _handling(frame.handling)
    _, height = handling.wrap(CONTENT_WIDTH, HANDLING_HEIGHT)
    handling.drawOn(canvas, left, HANDLING_TOP - height)
    canvas.restoreState()


def _handling(value: str) -> Paragraph:
    """The handling text (at most 300 characters), smaller if need be to fit its room."""
    escaped = text(" ".join(value.split()), (FONT_OBLIQUE,))
    style = HANDLING
    while True:
        handling = Paragraph(escaped, style)
        _, height = handling.wrap(CONTENT_WIDTH, HANDLING_HEIGHT)
        if height <= HANDLING_HEIGHT or style.fontSize <= 6:
            return handling
        size = style.fontSize - 0.5
        leading = size * HANDLING.leading / HANDLING.fontSize
        style = ParagraphStyle(f"handling{size:g}", parent=HANDLING, fontSize=size, leading=leading)


def _fit(value: str, size: float, room: float) -> str:
    """``value`` shortened with "..." to be at most ``room`` wide in the body font."""
    if stringWidth(value, FONT, size) <= room:
        return value
    low, high = 0, len(value)  # the longest prefix that fits is between these
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(value[:middle].rstrip() + "...", FONT, size) <= room:
            low = middle
        else:
            high = middle - 1
    cut = value[:low]
    if " " in cut[len(cut) // 2 :]:
        cut = cut.rsplit(" ", 1)[0]  # end on a whole word when that loses little
    return cut.rstrip() + "..."


def _nhs(number: str | None) -> str:
    if number and len(number) == 10 and number.isdigit():
        return f"{number[:3]} {number[3:6]} {number[6:]}"
    return number or ""


def _plain(value: str) -> str:
    """User text for one line drawn on the canvas: cleaned, white space collapsed."""
    return " ".join(clean(value).split())


def build_pdf(frame: DocumentFrame, story: list[Flowable]) -> bytes:
    """Lay ``story`` out on A4 pages with the page frame; the same input gives the same bytes.

    Other documents (e.g. referral letters) may use this with their own story. Raises
    ClinicError (in plain English) if the fonts are missing or the story cannot be laid
    out; reportlab's own message is not passed on, as it quotes the document's text.
    """
    ensure_fonts()
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=frame.title,
        subject=frame.title + (f" for {frame.audience_title}" if frame.audience_title else ""),
        author=METADATA_AUTHOR,
        keywords=f"{frame.marking}, document {frame.document_id}",
        # No version number: an update that does not change how documents are drawn
        # must still regenerate past disclosures byte for byte.
        creator="clinic-app",
        invariant=1,
        pageCompression=1,
        lang="en-GB",
        initialFontName=FONT,
        initialFontSize=BODY.fontSize,
    )
    body = Frame(MARGIN, BOTTOM, CONTENT_WIDTH, PAGE_HEIGHT - TOP - BOTTOM, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[body])])
    try:
        doc.build(story, canvasmaker=_numbered_canvas(frame))
    except LayoutError:
        raise ClinicError(LAYOUT_FAILED) from None
    return buffer.getvalue()


def document_head(frame: DocumentFrame, subtitle: str) -> list[Flowable]:
    """Title, subtitle and the box saying who it is for and why."""
    rows = [("To", frame.recipient), ("Purpose", frame.purpose)]
    if frame.gateway:
        rows.append(("Shared under", frame.gateway))
    rows.append(("Issued", long_date(frame.issued_on)))
    rows.append(("Document ID", frame.document_id))
    return [
        para(frame.title, TITLE),
        para(subtitle, SUBTITLE),
        Spacer(1, 4),
        table(rows, (35 * mm, CONTENT_WIDTH - 35 * mm), header=False, label_column=True),
    ]


def subject_block(subject: Subject) -> list[Flowable]:
    lines = subject.lines()
    if not lines:
        return []
    return [
        heading("About"),
        table(lines, (55 * mm, CONTENT_WIDTH - 55 * mm), header=False, label_column=True),
    ]


def author_block(name: str, role: str, contact: str) -> list[Flowable]:
    who = name + (f", {role}" if role else "")
    lines = [
        heading("Prepared by"),
        para(who),
        para(f"Contact: {contact}" if contact else "Contact through the health team."),
    ]
    return [KeepTogether(lines)]
