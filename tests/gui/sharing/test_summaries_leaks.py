"""No clinical or third-party canary reaches a partner document saved through the screens.

A real encrypted database holds the shared canary record (tests/privacy/canary_record.py):
a client with a row in every table that has CLINICAL or THIRD_PARTY columns, every such
text field a unique canary, and identifying details that are searched for too. Whatever
the services left untouched (rows made with the database) is then overwritten with a
canary where the triggers allow, and every private text is proved to be one. The partner
summary wizard and the urgent risk notification dialog are then driven to the end for
every audience with the real services, the author keeping every lexicon warning (the
worst case); the written PDF's text and metadata are read back with pypdf and searched.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import JSON, Enum, String, Text, select, update
from sqlalchemy.exc import DatabaseError

from clinic_app.models import Base, privacy_of
from clinic_app.models.enums import Gateway, Section
from clinic_app.services.sharing import audiences, documents, drafts
from clinic_app.services.sharing.audiences import AUDIENCE_NAMES, BUILT_IN
from clinic_app.services.workspace import Workspace
from clinic_app.views.sharing import register as register_view
from clinic_app.views.sharing.actions import PartnerSummaryActions, RiskNoticeActions
from clinic_app.views.sharing.document_wizards import PartnerSummaryWizard, RiskNoticeDialog
from clinic_app.views.sharing.wizard import Step
from tests.privacy.canary_record import NEVER, Canaries, Identity, Record, build

IDENTITY = Identity(
    given_name="Zqgivenx",
    family_name="Zqfamilyx",
    date_of_birth=date(1985, 4, 12),
    nhs_number="9434765919",
    local_ref="ZQLOCALREF",
    police_ref="ZQPOLICEREF",
    address="ZQADDRESSLINE",
)
# What the clinician wrote for partners. The goal's partner wording names a diagnosis, so
# there is a lexicon hit to keep.
SHAREABLE = [
    "Risk reviewed with partners.",
    "Manage his depression and keep to bail",
    "Attended and took part.",
    "Reported contact with the victim on Monday. Police told.",
]
IDENTIFYING_COLUMNS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "nhs_number",
    "local_ref",
    "police_ref",
    "address",
)


def _text_columns() -> list[tuple[Any, Any]]:
    found = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        for column in table.columns:
            if privacy_of(column) in NEVER:
                found.append((table, column))
    return found


def fill_the_rest(db: Any, canaries: Canaries) -> None:
    """Put a canary in every CLINICAL or THIRD_PARTY text column the triggers allow."""
    with db.transaction() as s:
        for table, column in _text_columns():
            if isinstance(column.type, Enum) or not isinstance(column.type, String | Text):
                continue
            savepoint = s.begin_nested()
            try:
                value = canaries.value(table.name, column.name)
                s.execute(update(table).values({column.name: value}))
            except DatabaseError:
                savepoint.rollback()  # append-only or signed: filled through the services
            else:
                savepoint.commit()


def assert_every_private_text_is_a_canary(db: Any, canaries: Canaries) -> None:
    """Proof that the seeding reached every private field that holds anything."""
    missed = []
    with db.session() as s:
        for table, column in _text_columns():
            if not isinstance(column.type, String | Text | JSON) or isinstance(column.type, Enum):
                continue
            for value in s.execute(select(column)).scalars():
                if value in (None, "", {}) or table.name == "disclosure":
                    continue
                if not canaries.pattern.search(str(value)):
                    missed.append(f"{table.name}.{column.name}")
    assert sorted(set(missed)) == []


def pdf_words(path: Path) -> tuple[str, str]:
    """All the text of a PDF and all its metadata, each also without any whitespace."""
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    everything = f"{text}\n{meta}"
    return everything, re.sub(r"\s+", "", everything)


def assert_clean(path: Path, canaries: Canaries, forbidden: list[str]) -> None:
    text, squeezed = pdf_words(path)
    assert "Progress summary" in text or "Urgent risk notification" in text  # it read
    leaked = [c for c in canaries.values.values() if c in text or c in squeezed]
    assert leaked == []
    assert not canaries.pattern.search(squeezed)
    wrong = [value for value in forbidden if value in text or re.sub(r"\s+", "", value) in squeezed]
    assert wrong == []


def forbidden_identifying(audience: str) -> list[str]:
    """Every form of each identifying detail the audience may not have."""
    allowed = set(BUILT_IN[audience].identifying)
    return [
        form
        for column in IDENTIFYING_COLUMNS
        if f"client.{column}" not in allowed
        for form in IDENTITY.forms(column)
    ]


@pytest.fixture
def record(db, psychologist, clinician, admin) -> Record:  # type: ignore[no-untyped-def]
    canaries = Canaries("onscreen")
    built = build(db, psychologist, clinician, admin, IDENTITY, canaries, SHAREABLE, 4)
    fill_the_rest(db, canaries)
    assert_every_private_text_is_a_canary(db, canaries)
    return built


@pytest.fixture
def save_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(
        register_view,
        "ask_save_path",
        lambda parent, title, suggested, filters: str(folder / Path(suggested).name),
    )
    return folder


def step_of(wizard: Any) -> Step:
    """The step the wizard shows now (read afresh each time: a click moves it on)."""
    step: Step = wizard.current_step
    return step


def drive(wizard: Any, qtbot: Any, audience: str) -> Path:
    """Fill in, keep every warning, confirm, preview and save; the saved file's path."""
    details = wizard.details
    details.audience.setCurrentIndex(details.audience.findData(audience))
    details.recipient_agency.setText("Metropolitan Police")
    details.purpose.setPlainText("Quarterly review")
    details.gateway.setCurrentIndex(details.gateway.findData(Gateway.CDA_S115))
    details.told_yes.setChecked(True)
    wizard.next_button.click()
    assert step_of(wizard) is Step.WORDING, wizard.page_errors.text()
    for row in list(wizard.review.rows):
        row.keep_button.click()
    wizard.next_button.click()
    assert step_of(wizard) is Step.PREVIEW and wizard.rendered is not None
    wizard.next_button.click()
    assert step_of(wizard) is Step.CALDICOTT
    for box in wizard.caldicott.boxes.values():
        box.setChecked(True)
    wizard.next_button.click()
    assert step_of(wizard) is Step.SAVE
    with qtbot.waitSignal(wizard.exported) as exported:
        wizard.next_button.click()
    result = exported.args[0]
    assert result.path.read_bytes() == wizard.rendered.data  # what was previewed, exactly
    return Path(result.path)


@pytest.mark.parametrize("audience", AUDIENCE_NAMES)
def test_partner_summary_saved_through_the_wizard_holds_no_canary(
    qtbot, db, psychologist, record, save_in, audience
):
    client_id, canaries = record.client_id, record.canaries
    workspace = Workspace(db, psychologist)
    actions = PartnerSummaryActions(
        list_audiences=workspace.bind(audiences.list_audiences),
        prepare=workspace.bind(drafts.prepare_partner_summary),
        revise=workspace.bind(drafts.revise),
        preview=workspace.bind(documents.preview_partner_summary),
        export=workspace.bind(documents.export_partner_summary),
    )
    wizard = PartnerSummaryWizard(client_id, actions)
    qtbot.addWidget(wizard)

    path = drive(wizard, qtbot, audience)

    assert "Zqgivenx" not in path.name and "Zqfamilyx" not in path.name
    assert_clean(path, canaries, forbidden_identifying(audience))
    # The one hit was the diagnosis in the goal, where the audience receives goals.
    assert wizard.draft is not None
    terms = {h.term for h in wizard.draft.hits}
    assert terms <= {"depression"}


@pytest.mark.parametrize(
    "audience", [n for n in AUDIENCE_NAMES if Section.RISK in BUILT_IN[n].sections]
)
def test_urgent_risk_notification_saved_through_the_dialog_holds_no_canary(
    qtbot, db, psychologist, record, save_in, audience
):
    event_id, canaries = record.urgent_event, record.canaries
    workspace = Workspace(db, psychologist)
    actions = RiskNoticeActions(
        list_audiences=workspace.bind(audiences.list_audiences),
        prepare=workspace.bind(drafts.prepare_risk_notice),
        revise=workspace.bind(drafts.revise),
        preview=workspace.bind(documents.preview_risk_notice),
        export=workspace.bind(documents.export_risk_notice),
    )
    dialog = RiskNoticeDialog(event_id, actions)
    qtbot.addWidget(dialog)

    path = drive(dialog, qtbot, audience)

    assert path.name.startswith("urgent-risk-notification-")
    assert_clean(path, canaries, forbidden_identifying(audience))
