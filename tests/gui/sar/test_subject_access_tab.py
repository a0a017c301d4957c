"""The Subject access tab through the real services: register a request, see it refused
for release until reviewed, review it with an item withheld, release it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog

from clinic_app.views.common.widgets import to_qdate
from clinic_app.views.sar import tab as view
from clinic_app.views.sar.actions import SubjectAccessActions
from clinic_app.views.sar.dialogs import RegisterRequestDialog, ReviewDialog
from clinic_app.views.sar.tab import SubjectAccessTab

TODAY = date.today()


class DialogScript:
    """Replaces exec_dialog: each step fills in and confirms (or cancels) the next dialog."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)

    def __call__(self, dialog: QDialog) -> int:
        step = self.steps.pop(0) if self.steps else None
        if step is not None:
            step(dialog)
        if dialog.result() != QDialog.DialogCode.Accepted:
            dialog.reject()
        return dialog.result()


def test_register_review_and_release_in_the_tab(
    qtbot, monkeypatch, db, psychologist, client_id, tmp_path: Path
) -> None:
    from clinic_app.services import subject_access
    from clinic_app.services.sharing import subject_access as packs
    from clinic_app.services.workspace import Workspace

    workspace = Workspace(db, psychologist)
    actions = SubjectAccessActions(
        requests_for_client=workspace.bind(subject_access.requests_for_client),
        register_request=workspace.bind(subject_access.register_request),
        extend_request=workspace.bind(subject_access.extend_request),
        prepare_pack=workspace.bind(packs.prepare_pack),
        record_review=workspace.bind(packs.record_review),
        release_pack=workspace.bind(packs.release_pack),
        today=lambda: TODAY,
    )
    out = tmp_path / "pack.pdf"
    tab = SubjectAccessTab(client_id, actions, choose_file=lambda parent, suggested: out)
    qtbot.addWidget(tab)
    assert tab.empty.isVisibleTo(tab) and not tab.release_button.isEnabled()
    seen: dict[str, str] = {}

    def register(dialog: RegisterRequestDialog) -> None:
        dialog.received.setDate(to_qdate(TODAY))
        dialog.requester.setText("Alex Example")
        dialog.buttons.accepted.emit()  # no identity method: refused, nothing recorded
        seen["problem"] = dialog.problems.text()
        assert workspace.call(subject_access.requests_for_client, client_id) == []
        dialog.method.setPlainText("Passport seen at the clinic")
        dialog.buttons.accepted.emit()

    def review(dialog: ReviewDialog) -> None:
        dialog.decision.setCurrentIndex(1)  # release with items withheld
        dialog.rationale.setPlainText("Their details would distress")
        key, check, combo = next(i for i in dialog.items if i[0].startswith("client:"))
        check.setChecked(True)
        assert combo.currentText().startswith("Serious harm")
        seen["withheld"] = key
        dialog.buttons.accepted.emit()

    monkeypatch.setattr(view, "exec_dialog", DialogScript(register, review))
    tab.register_button.click()
    assert seen["problem"] == "How identity was checked is required."
    assert tab.model.rowCount() == 1
    assert "Not yet recorded" in tab.details.toPlainText()
    assert not tab.release_button.isEnabled()
    [request] = tab.model.items()
    tab.table.clearSelection()
    tab.select_item(request.id)  # as the home screen opens it
    assert tab.selected() == request

    tab.review_button.click()
    assert "Reviewed: ready to release" in tab.details.toPlainText()
    assert tab.release_button.isEnabled()
    tab.release_button.click()
    assert out.exists() and out.with_suffix(".json").exists()
    pack = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["pack"]
    keys = {i["key"] for s in pack["sections"] for i in s["items"]}
    assert seen["withheld"] not in keys
    assert "Released the pack" in tab.last_action.text()
    assert not tab.release_button.isEnabled()  # completed
