"""The Measures tab's table models and the words and HTML that describe results."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
)

from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.measures.scoring import CriticalAlert, Score
from clinic_app.models.enums import MeasureMode
from clinic_app.services.critical_items import CriticalReview
from clinic_app.services.measure_schedules import ScheduleRow
from clinic_app.services.measures import (
    AdministrationResult,
    AdministrationRow,
    ChangeBetween,
    MeasureResults,
)
from clinic_app.views.common.table import SORT_ROLE, ListTableModel
from clinic_app.wording import MEASURE_MODE_WORDS

Index = QModelIndex | QPersistentModelIndex

NO_RESULTS = (
    "No measures recorded yet. Use Give a measure to enter the client's answers, or Client "
    "self-completion to let the client answer on this device."
)
NO_MEASURES_AVAILABLE = "No measures are available to give: an administrator can add them."
NO_SCHEDULES = "No measures are scheduled for this client."

# The alert frame: dark red border and text on a pale background (9:1); the warning icon
# and the words "Critical item" say it as well, so colour is never the only signal.
ALERT_STYLE = (
    "QFrame#criticalAlert { background: #fff1f0; border: 3px solid #8b0000; }"
    " QFrame#criticalAlert QLabel { color: #5c0000; background: transparent; }"
    " QScrollArea#criticalScroll, QWidget#criticalBlocks { background: transparent; }"
)
DUE_STYLE = (
    "QFrame#dueReminders { background: #fff8e1; border: 2px solid #7a5b00; }"
    " QFrame#dueReminders QLabel { color: #3d2e00; background: transparent; }"
)


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _h(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _number(value)


def licence_text(definition: MeasureDefinition) -> str:
    licence = definition.licence
    parts = [p for p in (licence.copyright_line, licence.attribution) if p]
    if licence.licence:
        parts.append(f"Licence: {licence.licence}.")
    return " ".join(parts)


# -- results table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultLine:
    """One administration in the results table, with the change from the one before and,
    when its critical answers have been reviewed, that review."""

    result: AdministrationResult
    change: ChangeBetween | None
    review: CriticalReview | None = None

    @property
    def id(self) -> int:
        return self.result.administration.id

    @property
    def awaiting_review(self) -> bool:
        """Critical answers that no clinician has reviewed yet: the alert still stands."""
        return bool(self.result.alerts) and self.review is None


class ResultColumn(IntEnum):
    """The columns of the results table, in order."""

    DATE = 0
    MODE = 1
    TOTAL = 2
    BAND = 3
    CHANGE = 4
    ALERTS = 5


RESULT_HEADERS: dict[ResultColumn, str] = {
    ResultColumn.DATE: "Date given",
    ResultColumn.MODE: "How given",
    ResultColumn.TOTAL: "Total",
    ResultColumn.BAND: "Band",
    ResultColumn.CHANGE: "Change",
    ResultColumn.ALERTS: "Critical items",
}
RESULT_TIPS: dict[ResultColumn, str] = {
    ResultColumn.MODE: "Entered by a clinician, or completed by the client on this device.",
    ResultColumn.TOTAL: "Computed from the answers; 'prorated' when items were left unanswered.",
    ResultColumn.CHANGE: "The change from the administration before, and whether it is reliable.",
    ResultColumn.ALERTS: (
        "Critical items answered (for example about self-harm) or left blank, and whether "
        "a clinician has reviewed them."
    ),
}


def total_words(score: Score | None) -> str:
    if score is None:
        return "Not scored"
    return f"{score.total_text} (prorated)" if score.prorated else score.total_text


def change_words(change: ChangeBetween | None) -> str:
    if change is None:
        return "First time given"
    if change.change is None:
        return "Not judged"
    return f"{_signed(change.change.difference)}: {change.change.verdict.words}"


def alert_words(alerts: Sequence[CriticalAlert]) -> str:
    """The critical items in short, for the table: 'Item 9', 'Items 2 and 9'."""
    if not alerts:
        return ""
    numbers = [str(a.item) for a in alerts]
    if len(numbers) == 1:
        return f"Item {numbers[0]}"
    return f"Items {', '.join(numbers[:-1])} and {numbers[-1]}"


def alert_cell(line: ResultLine) -> str:
    """The table's critical-items cell: the items, and whether they await a review."""
    items = alert_words(line.result.alerts)
    if not items:
        return ""
    return f"{items}: reviewed" if line.review is not None else f"{items}: not reviewed"


def alert_text(alert: CriticalAlert) -> str:
    """One critical item in full: what was answered (or that it was not) and what to do."""
    if alert.answer is None:
        return alert.alert  # it says the item was not answered, and what to do
    return f"Item {alert.item} was answered '{alert.answer_label}' ({alert.answer}). {alert.alert}"


AWAITING_REVIEW = (
    "Not reviewed yet: no clinician has recorded a review of these answers. Record a risk "
    "event, or that no further action is needed and why, with the buttons at the top of the "
    "tab."
)


def review_text(line: ResultLine) -> str:
    """Whether the critical answers of ``line`` have been reviewed, in one sentence."""
    if line.review is None:
        return AWAITING_REVIEW
    words = line.review.words
    return words if words.endswith((".", "!", "?")) else words + "."


def entered_by(row: AdministrationRow) -> int | None:
    """The id of the member of staff who entered (or saved) an administration, if known."""
    return row.entered_by


def who_words(row: AdministrationRow, describe_staff: Callable[[int], str] | None) -> str:
    """How it was given and, when known, who entered it: 'Entered by Dr Jones (clinician...'."""
    staff = entered_by(row)
    name = describe_staff(staff) if staff is not None and describe_staff is not None else ""
    if row.mode is MeasureMode.SELF_COMPLETION:
        done = "Completed by the client on this device (self-completion)"
        return f"{done}; saved by {name}" if name else done
    return f"Entered by {name} (clinician entry)" if name else "Clinician entry"


class ResultModel(ListTableModel[ResultLine]):
    """The administrations of one measure, oldest first, with totals, bands and changes.

    Cells are kept short so the table fits beside the details; the tooltip of a cell says
    it in full (who entered it, the critical items' answers, how a change was judged).
    """

    def __init__(self, describe_staff: Callable[[int], str] | None = None) -> None:
        super().__init__(ResultColumn, RESULT_HEADERS, header_tips=RESULT_TIPS)
        self._describe_staff = describe_staff

    def set_lines(self, lines: Sequence[ResultLine]) -> None:
        self.reset_items(lines)

    def line_at(self, row: int) -> ResultLine:
        return self.item(row)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        line = self._items[index.row()]
        column = ResultColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(line, column)
        if role == SORT_ROLE:
            return self.sort_key(line, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(line, column)
        alerting = column == ResultColumn.ALERTS and line.awaiting_review
        if role == Qt.ItemDataRole.DecorationRole and alerting:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.FontRole and alerting:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def display(self, line: ResultLine, column: ResultColumn) -> str:
        result = line.result
        match column:
            case ResultColumn.DATE:
                return f"{result.administration.administered_on:%d/%m/%Y}"
            case ResultColumn.MODE:
                return MEASURE_MODE_WORDS.get(result.administration.mode, "")
            case ResultColumn.TOTAL:
                return total_words(result.score)
            case ResultColumn.BAND:
                if result.score is None:
                    return "Not scored"
                return result.score.band or "No bands defined"
            case ResultColumn.CHANGE:
                return change_words(line.change)
            case ResultColumn.ALERTS:
                return alert_cell(line)

    def _tooltip(self, line: ResultLine, column: ResultColumn) -> str | None:
        score = line.result.score
        match column:
            case ResultColumn.MODE:
                return who_words(line.result.administration, self._describe_staff) + "."
            case ResultColumn.TOTAL:
                return line.result.problem if score is None else score.method_text
            case ResultColumn.BAND:
                if score is None or score.cutoff is None or score.in_clinical_range is None:
                    return None
                side = "in" if score.in_clinical_range else "not in"
                return (
                    f"{score.band or 'No band'}: {side} the clinical range "
                    f"({score.cutoff.name} {_number(score.cutoff.value)})."
                )
            case ResultColumn.CHANGE:
                if line.change is None:
                    return None
                change = line.change.change
                if change is None:
                    return line.change.problem
                return f"{change_words(line.change)}. {change.parameters_text}"
            case ResultColumn.ALERTS:
                if not line.result.alerts:
                    return None
                return "\n".join([*(alert_text(a) for a in line.result.alerts), review_text(line)])
        return None

    def sort_key(self, line: ResultLine, column: ResultColumn) -> Any:
        if column == ResultColumn.DATE:
            return f"{line.result.administration.administered_on.isoformat()} {line.id:012d}"
        if column == ResultColumn.TOTAL:
            score = line.result.score
            return -1.0 if score is None else score.total
        return self.display(line, column).casefold()


# -- describing a score --------------------------------------------------------------------------


def sum_written_out(score: Score) -> str:
    """The scored values added up: '1 + 0 + 3 + 2 = 6' (answered items only)."""
    values = [i.scored for i in score.items if i.scored is not None]
    if not values:
        return "No items answered."
    return " + ".join(str(v) for v in values) + f" = {sum(values)}"


def _scored_cell(definition: MeasureDefinition | None, number: int, score: Score) -> str:
    item = next(i for i in score.items if i.number == number)
    if item.scored is None:
        return "not counted"
    if not item.reversed or definition is None:
        return str(item.scored)
    question = definition.item(number)
    return f"{item.scored} (reversed: {question.lowest + question.highest} - {item.answer})"


def describe_change(change: ChangeBetween, heading: str) -> str:
    """A change and how it was judged, as HTML: verdict with its parameters beside it."""
    if change.change is None:
        return f"<p><b>{_h(heading)}:</b> {_h(change.problem)}</p>"
    c = change.change
    significant = (
        f"<br>{_h(c.clinically_significant_text)}" if c.clinically_significant_text else ""
    )
    return (
        f"<p><b>{_h(heading)}</b> ({long_date(change.earlier_on)} to "
        f"{long_date(change.later_on)}): {_h(_number(c.earlier_total))} to "
        f"{_h(_number(c.later_total))}, {_h(_signed(c.difference))} "
        f"{'point' if abs(c.difference) == 1 else 'points'}. "
        f"<b>{_h(c.verdict.words)}.</b><br>"
        f"<i>How this was judged:</i> {_h(c.parameters_text)}{significant}</p>"
    )


def describe_result(
    measure: MeasureResults,
    line: ResultLine,
    *,
    overall: ChangeBetween | None = None,
    describe_staff: Callable[[int], str] | None = None,
) -> str:
    """Everything behind one score, as HTML, so a clinician can check it by hand."""
    result = line.result
    row = result.administration
    definition = result.definition
    title = definition.short_title if definition else measure.short_title
    parts = [
        f"<h3>{_h(title)} given on {long_date(row.administered_on)}</h3>",
        f"<p>{_h(who_words(row, describe_staff))}; definition version "
        f"{_h(row.measure_version)}.</p>",
    ]
    parts.extend(_describe_alerts(line))
    score = result.score
    if score is None:
        parts.append(f"<p><b>Not scored.</b> {_h(result.problem)}</p>")
        answers = ", ".join(f"item {n}: {'no answer' if v is None else v}" for n, v in row.answers)
        parts.append(f"<p>Answers as given: {_h(answers)}</p>")
    else:
        band = f", band <b>{_h(score.band)}</b>" if score.band else ""
        prorated = " (prorated)" if score.prorated else ""
        parts.append(
            f"<p><b>Total {_h(score.total_text)}{prorated}</b> out of a possible "
            f"{_h(_number(score.minimum))} to {_h(_number(score.maximum))}{band}.</p>"
        )
        if score.cutoff is not None:
            side = (
                "in the clinical range" if score.in_clinical_range else "not in the clinical range"
            )
            parts.append(f"<p>{_h(score.cutoff.text)} This score is {side}.</p>")
        parts.append(_item_table(definition, score))
        parts.append(f"<p><b>Sum of the scored values:</b> {_h(sum_written_out(score))}<br>")
        parts.append(f"<b>How the total was worked out:</b> {_h(score.method_text)}</p>")
        if score.subscales:
            lines = []
            for sub in score.subscales:
                prorated = ", prorated" if sub.prorated else ""
                detail = sub.problem or f"{sub.answered} of {sub.item_count} answered{prorated}"
                lines.append(f"{_h(sub.title)}: <b>{_h(sub.total_text)}</b> ({_h(detail)})")
            parts.append("<p><b>Subscales</b><br>" + "<br>".join(lines) + "</p>")
    if line.change is not None:
        parts.append(describe_change(line.change, "Change from the previous time"))
        change = line.change.change
        per_item = definition is not None and definition.scoring.per_item_change
        if change is not None and per_item:
            items = "<br>".join(
                f"{_h(i.text)}: {_h(str(i.earlier))} to {_h(str(i.later))}"
                f" ({_h(_signed(i.difference))})"
                for i in change.item_changes
                if i.difference is not None
            )
            if items:
                parts.append(f"<p><b>Change item by item</b><br>{items}</p>")
    if overall is not None:
        parts.append(describe_change(overall, "Change since the first time"))
    if definition is not None:
        licence = licence_text(definition)
        if licence:
            parts.append(f"<p><small>{_h(licence)}</small></p>")
    return "".join(parts)


def _describe_alerts(line: ResultLine) -> list[str]:
    """The critical items of an administration in full, and their review (or that there is
    none yet), as HTML paragraphs: shown whether or not the answers could be scored."""
    alerts = line.result.alerts
    if not alerts:
        return []
    parts = [
        f"<p><b>Critical item {alert.item}.</b> {_h(alert_text(alert))}</p>" for alert in alerts
    ]
    if line.review is None:
        parts.append(f"<p><b>Review:</b> {_h(AWAITING_REVIEW)}</p>")
    else:
        parts.append(f"<p><b>Review:</b> {_h(review_text(line))}</p>")
    return parts


def _item_table(definition: MeasureDefinition | None, score: Score) -> str:
    rows = [
        "<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
        "<tr><th>Item</th><th width='38%'>Question</th><th>Answer</th><th>Value</th>"
        "<th>Scored</th></tr>"
    ]
    for item in score.items:
        answer = "no answer" if item.answer is None else (item.answer_label or "")
        value = "" if item.answer is None else str(item.answer)
        rows.append(
            f"<tr><td>{item.number}</td><td>{_h(item.text)}</td><td>{_h(answer)}</td>"
            f"<td align='right'>{value}</td>"
            f"<td>{_h(_scored_cell(definition, item.number, score))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


# -- schedules -----------------------------------------------------------------------------------


class ScheduleColumn(IntEnum):
    """The columns of the schedules table, in order."""

    MEASURE = 0
    WHEN = 1


class ScheduleModel(ListTableModel[ScheduleRow]):
    """The client's schedules in use: which measure, and when it falls due."""

    def __init__(self) -> None:
        super().__init__(
            ScheduleColumn, {ScheduleColumn.MEASURE: "Measure", ScheduleColumn.WHEN: "Due"}
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        row = self._items[index.row()]
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
            SORT_ROLE,
        ):
            if index.column() == ScheduleColumn.MEASURE:
                return row.short_title
            return row.description.capitalize()
        return None
