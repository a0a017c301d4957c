"""Recording a structured risk assessment: the tool, the judgements, and the overall level."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import Problem, ValidationError
from clinic_app.models.enums import RiskTool
from clinic_app.services.clients import (
    JUDGEMENT_LEVELS,
)
from clinic_app.views.common.widgets import to_date
from clinic_app.views.record.form_parts import (
    JUDGEMENT_NAMES,
    LEVEL_WORDS,
    NOT_RATED,
    AnyIndex,
    FormRows,
    RecordRiskAssessment,
    SavingDialog,
    date_edit,
    enum_combo,
    hint,
    multi_line,
)
from clinic_app.wording import RISK_TOOL_WORDS

# -- risk assessment -----------------------------------------------------------------------------


class JudgementColumn(IntEnum):
    """The judgement table's columns."""

    NAME = 0
    LEVEL = 1


JUDGEMENT_HEADERS = {JudgementColumn.NAME: "Judgement", JudgementColumn.LEVEL: "Level"}


class JudgementsModel(QAbstractTableModel):
    """Editable rows of judgement name and level (one of ``JUDGEMENT_LEVELS``).

    The rows are entered in the order the tool reports them, so there is no sorting proxy.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[list[str]] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(JudgementColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(JudgementColumn)
        ):
            return JUDGEMENT_HEADERS[JudgementColumn(section)]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        name, level = self._rows[index.row()]
        column = JudgementColumn(index.column())
        if role == Qt.ItemDataRole.EditRole:
            return name if column is JudgementColumn.NAME else level
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column is JudgementColumn.NAME:
                return name
            return LEVEL_WORDS.get(level, level)
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row = self._rows[index.row()]
        if index.column() == JudgementColumn.NAME:
            row[0] = str(value)
        elif value in JUDGEMENT_LEVELS:
            row[1] = str(value)
        else:
            return False
        self.dataChanged.emit(index, index)
        return True

    def set_judgements(self, rows: Sequence[tuple[str, str]]) -> None:
        self.beginResetModel()
        self._rows = [[name, level] for name, level in rows]
        self.endResetModel()

    def judgements(self) -> list[tuple[str, str]]:
        return [(name, level) for name, level in self._rows]

    def add_row(self, name: str = "", level: str = NOT_RATED) -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append([name, level])
        self.endInsertRows()
        return row

    def remove_row(self, row: int) -> None:
        if 0 <= row < len(self._rows):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()


class JudgementDelegate(QStyledItemDelegate):
    """A named text box for a judgement's name, a list of levels for its level."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        if index.column() == JudgementColumn.LEVEL:
            combo = QComboBox(parent)
            for level in JUDGEMENT_LEVELS:
                combo.addItem(LEVEL_WORDS[level], level)
            combo.setAccessibleName("Level")
            return combo
        edit = QLineEdit(parent)
        edit.setAccessibleName("Judgement name")
        return edit

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(editor.findData(value), 0))
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value or ""))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class RiskAssessmentDialog(SavingDialog):
    """Record a structured professional judgement's results as the assessor gives them.

    The app stores the tool, its version, the date, each summary judgement and the
    rationale; it never computes a level and never shows a tool's items.

    Signals:
        saved(object): what the use case returned (the new assessment's id).
    """

    saved = Signal(object)

    def __init__(
        self,
        client_id: int,
        record_risk_assessment: RecordRiskAssessment,
        *,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Record a risk assessment", "&Save assessment", parent)
        self.client_id = client_id
        self._record = record_risk_assessment
        self.tool = enum_combo(RISK_TOOL_WORDS, RiskTool.SRP, name="Tool")
        self.tool_name = QLineEdit()
        self.tool_name.setAccessibleName("Tool name (required for another tool)")
        self.tool_version = QLineEdit()
        self.tool_version.setPlaceholderText("e.g. 2nd edition")
        self.assessed_on = date_edit(today(), maximum=today(), name="Assessment date")

        self.model = JudgementsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(JudgementDelegate(self.table))
        self.table.setAccessibleName("Judgements: name and level")
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(JudgementColumn.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(JudgementColumn.LEVEL, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(JudgementColumn.LEVEL, 140)
        self.table.setMinimumHeight(180)
        self.add_button = QPushButton("&Add judgement")
        self.add_button.setAccessibleName("Add judgement")
        self.remove_button = QPushButton("Re&move judgement")
        self.remove_button.setAccessibleName("Remove the selected judgement")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch()
        table_box = QWidget()
        table_column = QVBoxLayout(table_box)
        table_column.setContentsMargins(0, 0, 0, 0)
        table_column.addWidget(self.table)
        table_column.addLayout(buttons)
        table_column.addWidget(
            hint(
                "Type each judgement as the tool reports it (F2 or typing edits a cell). "
                "Levels are your judgement; nothing is calculated.",
                "How to enter judgements",
            )
        )

        self.rationale = multi_line("", name="Rationale (required). Private: never shared", lines=5)
        self.shareable_summary = multi_line(
            "", name="Shareable summary. May be shared with partner agencies", lines=3
        )

        form = FormRows(self.errors)
        form.add("tool", "&Tool", self.tool)
        self._tool_name_label = form.add("tool_name", "Tool &name", self.tool_name, required=True)
        form.add("tool_version", "&Version", self.tool_version, required=True)
        form.add("assessed_on", "&Date of assessment", self.assessed_on, required=True)
        form.add("judgements", "&Judgements", table_box, required=True)
        form.add(
            "rationale",
            "&Rationale",
            self.rationale,
            required=True,
            note=hint("Private: never shared.", "Private: never shared"),
        )
        form.add(
            "shareable_summary",
            "S&hareable summary",
            self.shareable_summary,
            note=hint(
                "May be shared with partner agencies: write it for them.",
                "May be shared with partner agencies",
            ),
        )
        layout = self.main_layout()
        layout.addLayout(form.layout)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self._prefilled: list[tuple[str, str]] = []
        self.tool.currentIndexChanged.connect(self._on_tool_changed)
        self.add_button.clicked.connect(self._on_add)
        self.remove_button.clicked.connect(self._on_remove)
        self._on_tool_changed()
        self.tool.setFocus()
        self.fit(720)

    def chosen_tool(self) -> RiskTool:
        return RiskTool(self.tool.currentData())

    def _on_tool_changed(self) -> None:
        tool = self.chosen_tool()
        other = tool is RiskTool.OTHER
        self.tool_name.setVisible(other)
        self._tool_name_label.setVisible(other)
        if self.isVisible():
            self.fit()
        # Prefill names for the tool unless the user has already changed the table.
        if self.model.judgements() in (self._prefilled, []):
            self._prefilled = [(name, NOT_RATED) for name in JUDGEMENT_NAMES[tool]]
            self.model.set_judgements(self._prefilled)

    def _on_add(self) -> None:
        row = self.model.add_row()
        index = self.model.index(row, JudgementColumn.NAME)
        self.table.setCurrentIndex(index)
        self.table.setFocus()
        self.table.edit(index)

    def _on_remove(self) -> None:
        current = self.table.currentIndex()
        if current.isValid():
            self.model.remove_row(current.row())

    def judgements(self) -> dict[str, str]:
        """Name -> level, after checking every row has a name and no name is repeated."""
        result: dict[str, str] = {}
        for name, level in self.model.judgements():
            clean = name.strip()
            if not clean:
                raise ValidationError(
                    "Give every judgement a name, or remove the empty row.", where="judgements"
                )
            if clean in result:
                raise ValidationError(
                    f"'{clean}' is entered twice; keep one of them.", where="judgements"
                )
            result[clean] = level
        return result

    def show_problems(self, problems: Sequence[Problem]) -> None:
        # The use case names a judgement's problems "judgements.<name>"; all go under the table.
        placed = [
            Problem("judgements", p.message) if p.where.startswith("judgements.") else p
            for p in problems
        ]
        super().show_problems(placed)

    def save(self) -> None:
        tool, record, client_id = self.chosen_tool(), self._record, self.client_id
        tool_version, assessed_on = self.tool_version.text(), to_date(self.assessed_on.date())
        judgements, rationale = self.judgements(), self.rationale.toPlainText()
        summary = self.shareable_summary.toPlainText()
        tool_name = self.tool_name.text() if tool is RiskTool.OTHER else ""
        self.run_save(
            lambda: record(
                client_id,
                tool=tool,
                tool_version=tool_version,
                assessed_on=assessed_on,
                judgements=judgements,
                rationale=rationale,
                shareable_summary=summary,
                tool_name=tool_name,
            ),
            self._on_saved,
        )

    def _on_saved(self, result: object) -> None:
        self.saved.emit(result)
        self.accept()
