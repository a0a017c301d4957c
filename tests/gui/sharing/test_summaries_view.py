"""The Summaries tab, the partner summary wizard and its dialogs, driven with fake actions.

The fakes keep the services' rules that matter to the screens: a draft's lexicon hits are
found again after an edit (with the real, pure lexicon matcher over a tiny lexicon), a
hit must be kept or edited away, and export refuses what the service would refuse.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QAbstractButton, QDialog, QGroupBox, QLabel, QWidget
from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

from clinic_app.errors import AccessDenied, NotFound, Problem, ValidationError
from clinic_app.models.enums import (
    DisclosureKind,
    Gateway,
    Phase,
    PlanStatus,
    RiskEventKind,
    Section,
    Urgency,
)
from clinic_app.reports.content import (
    Author,
    DocumentFrame,
    GoalLine,
    PartnerSummary,
    PhaseSection,
    ReportingPeriod,
    RiskNotice,
    SessionUpdate,
    Subject,
)
from clinic_app.services.sharing import drafts, lexicon
from clinic_app.services.sharing.audiences import BUILT_IN
from clinic_app.services.sharing.disclosures import DisclosureRow, SharingDecision
from clinic_app.services.sharing.documents import ExportResult, RenderedDocument
from clinic_app.services.sharing.drafts import Draft, NoticeRequest, SummaryRequest
from clinic_app.services.sharing.lexicon import Lexicon, TermCategory
from clinic_app.views.common import feedback
from clinic_app.views.common.pdf_preview import UNREADABLE, PdfPreview
from clinic_app.views.sharing import register as register_view
from clinic_app.views.sharing import wizard as summary_wizard
from clinic_app.views.sharing.actions import (
    ClinicalSummaryActions,
    PartnerSummaryActions,
    RiskNoticeActions,
)
from clinic_app.views.sharing.document_wizards import (
    ClinicalSummaryDialog,
    PartnerSummaryWizard,
    RiskNoticeDialog,
)
from clinic_app.views.sharing.register import (
    NO_ENTRIES_CLIENT,
    DisclosureModel,
    RegisterColumn,
    ServiceRegisterActions,
    ServiceRegisterWindow,
)
from clinic_app.views.sharing.tab import (
    WHAT_OTHER,
    DecisionNotToShareDialog,
    RegenerateDialog,
    SummariesActions,
    SummariesTab,
)
from clinic_app.views.sharing.wizard import Step
from clinic_app.views.sharing.wizard_parts import FieldEditDialog

CLIENT = 7
EVENT = 31
TODAY = date(2025, 6, 30)
RECORDED = datetime(2025, 6, 30, 9, 30, tzinfo=UTC)
TINY_LEXICON = Lexicon(
    {TermCategory.DIAGNOSIS: ("depression",), TermCategory.MEDICATION: ("sertraline",)}
)
VICTIM = "Morgan Ellis"


def make_pdf(pages: int) -> bytes:
    """A real PDF of ``pages`` pages (reportlab, deterministic)."""
    out = io.BytesIO()
    drawing = canvas.Canvas(out, invariant=1)
    for number in range(1, pages + 1):
        drawing.drawString(72, 720, f"Page {number}")
        drawing.showPage()
    drawing.save()
    return out.getvalue()


def summary_content(*wordings: str, update: str = "Attended every session.") -> PartnerSummary:
    return PartnerSummary(
        audience="police",
        audience_title="Police",
        period=ReportingPeriod(date(2025, 4, 1), TODAY),
        prepared_on=TODAY,
        subject=Subject(given_name="Jamie", family_name="Carter", police_ref="PR/1"),
        author=Author("Dr Jones", "Psychologist", "020 7946 0000"),
        sections=(Section.SESSION_UPDATES, Section.PHASE, Section.GOALS),
        session_updates=(SessionUpdate(date(2025, 5, 2), update),),
        phase=PhaseSection(Phase.INTERVENTION, PlanStatus.ACTIVE, 20, None),
        goals=tuple(
            GoalLine(i, wording, None, None, None) for i, wording in enumerate(wordings, start=1)
        ),
    )


def checked(content: Any, kept: Iterable[str] = ()) -> tuple[Any, frozenset[str]]:
    hits = lexicon.check_fields(drafts.text_fields(content), lexicon=TINY_LEXICON, names=[VICTIM])
    keys = {h.key for h in hits}
    return hits, frozenset(k for k in kept if k in keys)


def disclosure_row(
    row_id: int,
    *,
    kind: DisclosureKind = DisclosureKind.PARTNER_SUMMARY,
    audience: str = "police",
    sha: str | None = "ab" * 32,
    informed: bool = True,
    reason: str | None = "",
    gateway: Gateway | None = Gateway.CDA_S115,
) -> DisclosureRow:
    return DisclosureRow(
        id=row_id,
        document_id=f"doc-{row_id}",
        client_id=CLIENT,
        client_ref="MASIP-0042",
        kind=kind,
        audience=audience,
        recipient_agency="Metropolitan Police",
        recipient_person="DS Rivers",
        purpose="Quarterly review at the panel",
        gateway=gateway,
        decided_by=2,
        decided_by_name="Dr Jones",
        client_informed=informed,
        client_not_informed_reason=reason,
        period_from=date(2025, 4, 1),
        period_to=TODAY,
        document_sha256=sha,
        recorded_at=RECORDED.replace(day=row_id % 28 + 1),
        referral_id=None,
        risk_event_id=None,
    )


class FakeSharing:
    """Stands in for the summaries, documents and disclosures services."""

    def __init__(self, *wordings: str, pages: int = 3) -> None:
        self.wordings = wordings or ("Keep away from Morgan", "Manage his depression")
        self.pdf = make_pdf(pages)
        self.rows: list[DisclosureRow] = []
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.export_error: Exception | None = None
        self.notice_refusal: Exception | None = None
        self.regenerated: bytes | Exception = self.pdf
        self.csv = "Recorded (UTC),Document ID\r\n2025-06-30 09:30:00,doc-1\r\n"

    def named(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(args, kwargs) for call, args, kwargs in self.calls if call == name]

    # -- summaries ------------------------------------------------------------------------

    def list_audiences(self) -> list[Any]:
        self.calls.append(("list_audiences", (), {}))
        return list(BUILT_IN.values())

    def prepare(self, client_id: int, **kwargs: Any) -> Draft[PartnerSummary]:
        self.calls.append(("prepare", (client_id,), kwargs))
        if kwargs["period_from"] < date(2000, 1, 1):
            raise ValidationError(
                "The start of the period must not be before 1 January 2000.", where="period_from"
            )
        content = summary_content(*self.wordings)
        hits, _ = checked(content)
        request = SummaryRequest(
            client_id, kwargs["audience"], kwargs["period_from"], kwargs["period_to"], TODAY
        )
        return Draft(request=request, content=content, hits=hits, notes=("One event left out.",))

    def prepare_notice(self, risk_event_id: int, **kwargs: Any) -> Draft[RiskNotice]:
        self.calls.append(("prepare_notice", (risk_event_id,), kwargs))
        if self.notice_refusal is not None:
            raise self.notice_refusal
        content = RiskNotice(
            audience=kwargs["audience"],
            audience_title=BUILT_IN[kwargs["audience"]].title,
            prepared_on=TODAY,
            subject=Subject(given_name="Jamie", family_name="Carter"),
            author=Author("Dr Jones", "Psychologist", "020 7946 0000"),
            occurred_on=date(2025, 6, 28),
            kind=RiskEventKind.CONTACT_WITH_VICTIM,
            urgency=Urgency.URGENT,
            statement="Sent messages to Morgan on Monday.",
        )
        hits, _ = checked(content)
        request = NoticeRequest(CLIENT, risk_event_id, kwargs["audience"], TODAY)
        return Draft(request=request, content=content, hits=hits)

    def revise(
        self,
        draft: Draft[Any],
        *,
        keep: Iterable[str] = (),
        edits: Mapping[str, str] | None = None,
        reasons: Mapping[str, str] | None = None,
    ) -> Draft[Any]:
        keep = list(keep)
        recorded: dict[str, Any] = {"keep": keep, "edits": dict(edits or {})}
        if reasons:
            recorded["reasons"] = dict(reasons)
        self.calls.append(("revise", (draft,), recorded))
        edits = dict(edits or {})
        problems = [
            Problem(path, "The text is required.") for path, t in edits.items() if not t.strip()
        ]
        if problems:
            raise ValidationError(problems)
        content = draft.content
        for path, text in edits.items():
            content = drafts.replace_text(content, path, text.strip())
        kept = {k for k in draft.kept | set(keep) if k.partition("#")[0] not in edits}
        hits, still = checked(content, kept)
        return dataclasses.replace(draft, content=content, hits=hits, kept=still)

    # -- documents ------------------------------------------------------------------------

    def _frame(
        self, decision: SharingDecision | None, document_id: str | None, issued_on: date | None
    ) -> DocumentFrame:
        return DocumentFrame(
            title="Progress summary",
            marking="OFFICIAL-SENSITIVE",
            handling="Do not forward.",
            document_id=document_id or "doc-new",
            issued_on=issued_on or TODAY,
            recipient_agency=decision.recipient_agency if decision else "",
            recipient_person=decision.recipient_person if decision else "",
            purpose=decision.purpose if decision else "",
            audience_title="Police",
        )

    def preview(
        self, draft: Any, decision: SharingDecision | None = None, **kwargs: Any
    ) -> RenderedDocument:
        self.calls.append(("preview", (draft, decision), kwargs))
        frame = self._frame(decision, kwargs.get("document_id"), kwargs.get("issued_on"))
        return RenderedDocument(frame, self.pdf, hashlib.sha256(self.pdf).hexdigest())

    def export(
        self, draft: Any, decision: SharingDecision, out: Path, **kwargs: Any
    ) -> ExportResult:
        self.calls.append(("export", (draft, decision, out), kwargs))
        if self.export_error is not None:
            raise self.export_error
        if draft.unresolved:
            raise ValidationError("Warnings are not resolved.", where="lexicon")
        out.write_bytes(self.pdf)
        row = disclosure_row(100 + len(self.rows), sha=hashlib.sha256(self.pdf).hexdigest())
        self.rows.append(row)
        return ExportResult(row, out, row.document_sha256 or "", 0)

    def preview_clinical(
        self, client_id: int, decision: SharingDecision | None = None, **kwargs: Any
    ) -> RenderedDocument:
        self.calls.append(("preview_clinical", (client_id, decision), kwargs))
        frame = self._frame(decision, kwargs.get("document_id"), kwargs.get("issued_on"))
        return RenderedDocument(frame, self.pdf, hashlib.sha256(self.pdf).hexdigest())

    def export_clinical(
        self, client_id: int, decision: SharingDecision, out: Path, **kwargs: Any
    ) -> ExportResult:
        self.calls.append(("export_clinical", (client_id, decision, out), kwargs))
        out.write_bytes(self.pdf)
        row = disclosure_row(
            100 + len(self.rows), kind=DisclosureKind.CLINICAL_SUMMARY, audience="clinical"
        )
        self.rows.append(row)
        return ExportResult(row, out, hashlib.sha256(self.pdf).hexdigest(), 0)

    # -- the register ---------------------------------------------------------------------

    def register_for_client(self, client_id: int) -> list[DisclosureRow]:
        self.calls.append(("register_for_client", (client_id,), {}))
        return list(self.rows)

    def register_csv(self, *, client_id: int | None = None) -> str:
        self.calls.append(("register_csv", (), {"client_id": client_id}))
        return self.csv

    def record_decision_not_to_share(self, client_id: int, **kwargs: Any) -> DisclosureRow:
        self.calls.append(("record_decision_not_to_share", (client_id,), kwargs))
        if not kwargs["reason"].strip():
            raise ValidationError("The reason for not sharing is required.", where="reason")
        row = disclosure_row(
            200 + len(self.rows),
            kind=DisclosureKind.DECISION_NOT_TO_SHARE,
            audience=kwargs["audience"],
            sha=None,
            gateway=None,
        )
        self.rows.append(row)
        return row

    def regenerate(self, disclosure_id: int) -> bytes:
        self.calls.append(("regenerate", (disclosure_id,), {}))
        if isinstance(self.regenerated, Exception):
            raise self.regenerated
        return self.regenerated

    # -- bundles --------------------------------------------------------------------------

    def partner_actions(self) -> PartnerSummaryActions:
        return PartnerSummaryActions(
            list_audiences=self.list_audiences,
            prepare=self.prepare,
            revise=self.revise,
            preview=self.preview,
            export=self.export,
        )

    def notice_actions(self) -> RiskNoticeActions:
        return RiskNoticeActions(
            list_audiences=self.list_audiences,
            prepare=self.prepare_notice,
            revise=self.revise,
            preview=self.preview,
            export=self.export,
        )

    def clinical_actions(self) -> ClinicalSummaryActions:
        return ClinicalSummaryActions(preview=self.preview_clinical, export=self.export_clinical)

    def tab_actions(self) -> SummariesActions:
        return SummariesActions(
            register_for_client=self.register_for_client,
            register_csv=self.register_csv,
            record_decision_not_to_share=self.record_decision_not_to_share,
            regenerate=self.regenerate,
            partner=self.partner_actions(),
            clinical=self.clinical_actions(),
            my_name=lambda: "Dr Jones",
        )


@pytest.fixture
def errors_shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Known errors that would be shown in a message box, captured instead."""
    shown: list[str] = []
    monkeypatch.setattr(
        feedback, "show_error", lambda parent, error, title="": shown.append(error.message)
    )
    return shown


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(
        register_view, "show_message", lambda parent, title, text: said.append(text)
    )
    return said


@pytest.fixture
def save_to(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, str]]:
    """Answers every save dialog with a file in tmp_path; records what was suggested."""
    asked: list[tuple[str, str]] = []

    def ask(parent: Any, title: str, suggested: str, filters: str) -> str:
        asked.append((title, suggested))
        return str(tmp_path / Path(suggested).name)

    monkeypatch.setattr(register_view, "ask_save_path", ask)
    return asked


def fill_details(wizard: Any, *, audience: str = "police") -> None:
    details = wizard.details
    if details.audience is not None:
        index = [details.audience.itemData(i) for i in range(details.audience.count())].index(
            audience
        )
        details.audience.setCurrentIndex(index)
    details.recipient_agency.setText("Metropolitan Police")
    details.recipient_person.setText("DS Rivers")
    details.purpose.setPlainText("Quarterly review at the panel")
    details.gateway.setCurrentIndex(details.gateway.findData(Gateway.CDA_S115))
    details.told_no.setChecked(True)
    details.not_told_reason.setPlainText("Telling him now would raise the risk.")


def tick_caldicott(wizard: Any) -> None:
    for box in wizard.caldicott.boxes.values():
        box.setChecked(True)


KEEP_REASON = "The order police enforce names her"


@pytest.fixture(autouse=True)
def _reason_for_keeping_third_party_details(monkeypatch):
    """Keeping a victim's name asks for a reason; these tests give this one."""
    monkeypatch.setattr(summary_wizard, "ask_keep_reason", lambda _parent, _why: KEEP_REASON)


def keep_all(wizard: Any) -> None:
    for row in list(wizard.review.rows):
        if not row.keep_button.isChecked():
            row.keep_button.click()


def field_error(errors: Any, where: str) -> str:
    _field, label = errors._fields[where]
    return label.text() if not label.isHidden() else ""


def wizard_at_wording(qtbot: Any, fake: FakeSharing) -> PartnerSummaryWizard:
    wizard = PartnerSummaryWizard(CLIENT, fake.partner_actions(), today=TODAY)
    qtbot.addWidget(wizard)
    fill_details(wizard)
    wizard.next_button.click()
    assert wizard.current_step is Step.WORDING
    return wizard


# -- step 1 ------------------------------------------------------------------------------------


def test_details_step_lists_what_is_missing_at_each_field_and_calls_nothing(qtbot):
    fake = FakeSharing()
    wizard = PartnerSummaryWizard(CLIENT, fake.partner_actions(), today=TODAY)
    qtbot.addWidget(wizard)

    wizard.next_button.click()

    errors = wizard.details.errors
    assert field_error(errors, "audience") == "Choose who the document is for."
    assert field_error(errors, "recipient_agency") == "The recipient agency is required."
    assert field_error(errors, "purpose") == "The purpose is required."
    assert (
        field_error(errors, "gateway") == "Choose the legal gateway the document is shared under."
    )
    assert field_error(errors, "client_informed") == "Say whether the client was told."
    assert wizard.current_step is Step.DETAILS
    assert fake.named("prepare") == []


def test_audiences_are_named_in_words_with_what_each_receives(qtbot):
    fake = FakeSharing()
    wizard = PartnerSummaryWizard(CLIENT, fake.partner_actions(), today=TODAY)
    qtbot.addWidget(wizard)
    combo = wizard.details.audience
    assert combo is not None
    names = [combo.itemText(i) for i in range(combo.count())]
    assert names == [
        "Police",
        "Probation",
        "Victim advocate",
        "Multi-agency panel",
        "GP or referrer",
    ]
    combo.setCurrentIndex(names.index("Victim advocate"))
    about = wizard.details.audience_about.text()
    assert about.startswith("In a progress summary this audience receives: attendance, engagement")
    assert "identified by: given name, family name, police or partner reference." in about


def test_gateway_is_shown_with_its_legal_basis(qtbot):
    fake = FakeSharing()
    wizard = PartnerSummaryWizard(CLIENT, fake.partner_actions(), today=TODAY)
    qtbot.addWidget(wizard)
    details = wizard.details
    details.gateway.setCurrentIndex(details.gateway.findData(Gateway.DPA_SCH1_PARA18))
    assert details.gateway.currentText() == "DPA 2018 Schedule 1 para 18 (safeguarding)"
    assert "Schedule 1, paragraph 18" in details.gateway_basis.text()


def test_a_period_ending_before_it_starts_is_caught_before_asking_the_service(qtbot):
    fake = FakeSharing()
    wizard = PartnerSummaryWizard(CLIENT, fake.partner_actions(), today=TODAY)
    qtbot.addWidget(wizard)
    fill_details(wizard)
    wizard.details.period_to.setDate(wizard.details.period_from.date().addDays(-3))

    wizard.next_button.click()

    assert wizard.current_step is Step.DETAILS
    assert (
        field_error(wizard.details.errors, "period_from")
        == "The start of the period must not be after its end."
    )
    assert fake.named("prepare") == []


def test_a_period_the_service_refuses_is_shown_at_the_period_field(qtbot):
    fake = FakeSharing()
    wizard = PartnerSummaryWizard(CLIENT, fake.partner_actions(), today=TODAY)
    qtbot.addWidget(wizard)
    fill_details(wizard)
    wizard.details.period_from.setDate(QDate(1999, 12, 1))

    wizard.next_button.click()

    assert wizard.current_step is Step.DETAILS
    assert (
        field_error(wizard.details.errors, "period_from")
        == "The start of the period must not be before 1 January 2000."
    )
    assert len(fake.named("prepare")) == 1
    assert wizard.details.recipient_agency.text() == "Metropolitan Police"  # nothing lost


def test_next_prepares_the_draft_for_the_audience_and_period(qtbot):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)

    [(args, kwargs)] = fake.named("prepare")
    assert args == (CLIENT,)
    assert kwargs == {
        "audience": "police",
        "period_from": date(2025, 3, 31),  # 91 days before 30 June
        "period_to": TODAY,
    }
    assert "One event left out." in wizard.review.notes.text()


# -- step 2: the wording check ---------------------------------------------------------------


def test_each_hit_is_shown_in_context_with_the_term_in_bold_brackets(qtbot):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)

    rows = wizard.review.rows
    assert [r.hit.term for r in rows] == ["Morgan", "depression"]
    assert rows[0].context.text() == "Keep away from <b>[Morgan]</b>"
    assert rows[1].context.text() == "Manage his <b>[depression]</b>"
    # Not colour alone: the brackets are in the words a screen reader hears too.
    assert rows[1].context.accessibleName() == "In context: Manage his [depression]"
    assert "Name of a third party" in rows[0].findChildren(type(rows[0].context))[0].text()
    assert "Goal 2 (partner wording)" in rows[1].accessibleName()


def test_next_stays_disabled_with_a_reason_until_every_hit_is_resolved(qtbot):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)

    assert not wizard.next_button.isEnabled()
    assert wizard.reason.text() == (
        "2 warnings still need your choice: keep the wording or edit the text."
    )
    wizard.review.rows[0].keep_button.click()
    assert not wizard.next_button.isEnabled()
    assert wizard.reason.text().startswith("1 warning still needs your choice")
    wizard.next_button.click()  # a click on a disabled button does nothing
    assert wizard.current_step is Step.WORDING

    wizard.review.rows[1].keep_button.click()
    assert wizard.next_button.isEnabled()
    assert wizard.reason.text() == ""


def test_keep_reaches_the_service_with_the_hit_key(qtbot):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)
    key = wizard.review.rows[1].hit.key

    wizard.review.rows[1].keep_button.click()

    [(_args, kwargs)] = fake.named("revise")
    assert kwargs == {"keep": [key], "edits": {}}
    assert wizard.draft is not None and wizard.draft.kept == {key}
    assert "Kept" in wizard.review.rows[1].state.text()


def test_keeping_a_victims_name_asks_why_and_sends_the_reason(qtbot, monkeypatch):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)
    row = wizard.review.rows[0]
    assert row.hit.category is TermCategory.THIRD_PARTY_NAME
    asked: list[str] = []

    def cancel(_parent: Any, why: str) -> str:
        asked.append(why)
        return ""

    monkeypatch.setattr(summary_wizard, "ask_keep_reason", cancel)
    row.keep_button.click()
    first_name = VICTIM.split(maxsplit=1)[0]
    assert asked and "name of a third party" in asked[0] and first_name not in asked[0]
    assert fake.named("revise") == []  # no reason: nothing kept
    assert not row.keep_button.isChecked()
    assert wizard.draft is not None and row.hit.key not in wizard.draft.kept

    monkeypatch.setattr(summary_wizard, "ask_keep_reason", lambda _p, _w: KEEP_REASON)
    row.keep_button.click()
    [(_args, kwargs)] = fake.named("revise")
    assert kwargs == {"keep": [row.hit.key], "edits": {}, "reasons": {row.hit.key: KEEP_REASON}}


def test_taking_a_keep_back_makes_the_hit_unresolved_again(qtbot):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)
    keep_all(wizard)
    assert wizard.next_button.isEnabled()

    wizard.review.rows[0].keep_button.click()  # un-keep

    assert not wizard.next_button.isEnabled()
    assert wizard.draft is not None and len(wizard.draft.unresolved) == 1
    assert "Needs your choice" in wizard.review.rows[0].state.text()


def test_edit_opens_the_field_and_the_check_runs_again_on_the_new_text(qtbot, monkeypatch):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)
    seen: list[FieldEditDialog] = []

    def edit(dialog: QDialog) -> int:
        assert isinstance(dialog, FieldEditDialog)
        seen.append(dialog)
        assert dialog.text.toPlainText() == "Manage his depression"
        assert dialog.text.textCursor().selectedText() == "depression"  # the term is marked
        dialog.text.setPlainText("Manage his low mood")
        dialog.save_button.click()
        return dialog.result()

    monkeypatch.setattr(summary_wizard, "run_dialog", edit)
    wizard.review.rows[1].edit_button.click()

    assert len(seen) == 1
    [(_args, kwargs)] = fake.named("revise")
    assert kwargs["edits"] == {"goals[1].partner_wording": "Manage his low mood"}
    assert [r.hit.term for r in wizard.review.rows] == ["Morgan"]  # checked again
    assert wizard.draft is not None
    assert wizard.draft.content.goals[1].partner_wording == "Manage his low mood"


def test_an_edit_the_service_refuses_keeps_the_text_and_shows_why(qtbot, monkeypatch):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)
    states: list[tuple[str, str, int]] = []

    def edit(dialog: QDialog) -> int:
        assert isinstance(dialog, FieldEditDialog)
        dialog.text.setPlainText("   ")
        dialog.save_button.click()
        states.append((dialog.text.toPlainText(), dialog.error.text(), dialog.result()))
        dialog.reject()
        return dialog.result()

    monkeypatch.setattr(summary_wizard, "run_dialog", edit)
    wizard.review.rows[1].edit_button.click()

    assert states == [("   ", "The text is required.", 0)]
    assert [r.hit.term for r in wizard.review.rows] == ["Morgan", "depression"]  # unchanged


def test_an_edit_that_still_holds_a_term_needs_a_fresh_choice(qtbot, monkeypatch):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)
    keep_all(wizard)

    def edit(dialog: QDialog) -> int:
        assert isinstance(dialog, FieldEditDialog)
        dialog.text.setPlainText("Manage his depression well")
        dialog.save_button.click()
        return dialog.result()

    monkeypatch.setattr(summary_wizard, "run_dialog", edit)
    wizard.review.rows[1].edit_button.click()

    assert not wizard.next_button.isEnabled()
    assert [r.keep_button.isChecked() for r in wizard.review.rows] == [True, False]


def test_no_hits_says_so_in_words_and_lets_the_author_go_on(qtbot):
    fake = FakeSharing("Attend every session", "Keep to bail conditions")
    wizard = wizard_at_wording(qtbot, fake)
    assert wizard.review.rows == []
    assert wizard.review.summary.text().startswith("The wording check found nothing to ask about")
    assert wizard.next_button.isEnabled()


# -- step 3: preview ---------------------------------------------------------------------------


def test_the_steps_run_from_who_and_why_to_the_preview_then_caldicott_then_save(qtbot):
    fake = FakeSharing()
    wizard = PartnerSummaryWizard(CLIENT, fake.partner_actions(), today=TODAY)
    qtbot.addWidget(wizard)
    notice = RiskNoticeDialog(EVENT, fake.notice_actions(), today=TODAY)
    qtbot.addWidget(notice)
    clinical = ClinicalSummaryDialog(CLIENT, fake.clinical_actions(), today=TODAY)
    qtbot.addWidget(clinical)

    # Caldicott is the last thing before saving: its "accurate" is about the pages read.
    order = [Step.DETAILS, Step.WORDING, Step.PREVIEW, Step.CALDICOTT, Step.SAVE]
    assert wizard.steps == order
    assert notice.steps == order
    assert clinical.steps == [Step.DETAILS, Step.PREVIEW, Step.CALDICOTT, Step.SAVE]
    listed = wizard.step_list.text()
    assert listed.index("3. Preview") < listed.index("4. Caldicott questions")


def to_preview(qtbot: Any, fake: FakeSharing) -> PartnerSummaryWizard:
    wizard = wizard_at_wording(qtbot, fake)
    keep_all(wizard)
    wizard.next_button.click()
    assert wizard.current_step is Step.PREVIEW
    return wizard


def test_preview_shows_every_page_of_the_bytes_the_service_rendered(qtbot):
    fake = FakeSharing(pages=3)
    wizard = to_preview(qtbot, fake)

    assert wizard.heading.text() == "Step 3 of 5: Preview"
    assert wizard.preview.page_count() == 3
    assert wizard.preview.data == fake.pdf
    assert wizard.preview_about.text() == (
        "These are the exact pages that will be saved (3 pages, document ID doc-new). Read "
        "them through: next you confirm they are accurate."
    )
    [(args, kwargs)] = fake.named("preview")
    draft, decision = args
    assert draft is wizard.draft
    assert decision.recipient_agency == "Metropolitan Police"
    assert decision.gateway is Gateway.CDA_S115
    assert decision.client_informed is False
    assert decision.client_not_informed_reason == "Telling him now would raise the risk."
    assert not decision.caldicott.all_confirmed  # asked next, about these pages
    assert kwargs == {"document_id": None, "issued_on": None}
    assert wizard.next_button.isEnabled() and wizard.reason.text() == ""


def test_a_one_page_preview_is_spoken_of_as_one_page(qtbot):
    fake = FakeSharing(pages=1)
    wizard = to_preview(qtbot, fake)
    assert wizard.preview_about.text() == (
        "This is the exact page that will be saved (1 page, document ID doc-new). Read it "
        "through: next you confirm it is accurate."
    )


# -- step 4: Caldicott -------------------------------------------------------------------------


def to_caldicott(qtbot: Any, fake: FakeSharing) -> PartnerSummaryWizard:
    wizard = to_preview(qtbot, fake)
    wizard.next_button.click()
    assert wizard.current_step is Step.CALDICOTT
    return wizard


def test_caldicott_comes_after_the_preview_and_needs_all_four_boxes(qtbot):
    fake = FakeSharing()
    wizard = to_caldicott(qtbot, fake)
    assert wizard.heading.text() == "Step 4 of 5: Caldicott questions"
    boxes = wizard.caldicott.boxes
    assert list(boxes) == ["necessary", "minimum", "relevant", "accurate"]
    assert "just read the preview" in boxes["accurate"].accessibleDescription()

    assert not wizard.next_button.isEnabled()
    assert wizard.reason.text() == "Tick all four questions to go on (4 not yet ticked)."
    for key in ("necessary", "minimum", "relevant"):
        boxes[key].setChecked(True)
        assert not wizard.next_button.isEnabled()
    assert wizard.reason.text() == "Tick all four questions to go on (1 not yet ticked)."
    wizard.next_button.click()  # disabled: nothing happens
    assert wizard.current_step is Step.CALDICOTT
    boxes["accurate"].setChecked(True)
    assert wizard.next_button.isEnabled() and wizard.reason.text() == ""
    wizard.next_button.click()
    assert wizard.current_step is Step.SAVE


def test_going_back_to_the_same_pages_keeps_the_answers(qtbot):
    fake = FakeSharing()
    wizard = to_caldicott(qtbot, fake)
    tick_caldicott(wizard)
    wizard.back_button.click()
    wizard.back_button.click()
    wizard.next_button.click()  # the wording, unchanged
    assert wizard.current_step is Step.PREVIEW
    wizard.next_button.click()

    assert wizard.caldicott.confirmation().all_confirmed
    assert wizard.caldicott_note.isHidden()
    assert wizard.next_button.isEnabled()


def test_pages_that_changed_after_the_answers_are_asked_about_again(qtbot):
    fake = FakeSharing(pages=3)
    wizard = to_caldicott(qtbot, fake)
    tick_caldicott(wizard)
    for _ in range(3):
        wizard.back_button.click()
    assert wizard.current_step is Step.DETAILS
    wizard.details.purpose.setPlainText("Review at the panel on 14 July")
    fake.pdf = make_pdf(2)  # the service draws the pages again, with the new purpose
    wizard.next_button.click()
    wizard.next_button.click()
    assert wizard.current_step is Step.PREVIEW
    wizard.next_button.click()

    assert not any(box.isChecked() for box in wizard.caldicott.boxes.values())
    assert wizard.caldicott_note.text() == (
        "The pages changed after you answered these questions, so they are asked again "
        "about the pages you have just read."
    )
    assert not wizard.next_button.isEnabled()
    assert wizard.reason.text() == "Tick all four questions to go on (4 not yet ticked)."


def test_pdf_preview_counts_the_pages_of_a_real_pdf_and_refuses_garbage(qtbot):
    preview = PdfPreview()
    qtbot.addWidget(preview)
    assert preview.show_pdf(make_pdf(2)) == 2
    assert preview.status.text() == "Page 1 of 2"
    assert not preview.previous_button.isEnabled() and preview.next_button.isEnabled()

    assert preview.show_pdf(b"not a pdf") == 0
    assert preview.page_count() == 0
    assert preview.status.text() == UNREADABLE


# -- step 5: save ------------------------------------------------------------------------------


def to_save(qtbot: Any, fake: FakeSharing) -> PartnerSummaryWizard:
    wizard = to_caldicott(qtbot, fake)
    tick_caldicott(wizard)
    wizard.next_button.click()
    assert wizard.current_step is Step.SAVE
    return wizard


def test_save_exports_to_the_chosen_path_with_the_previewed_document_id(qtbot, save_to, tmp_path):
    fake = FakeSharing()
    wizard = to_save(qtbot, fake)
    assert wizard.next_button.text() == "&Save the PDF…"

    with qtbot.waitSignal(wizard.exported) as exported:
        wizard.next_button.click()

    [(_title, suggested)] = save_to
    # What the document is, and no client name in it.
    assert Path(suggested).name == "Progress summary Police 2025-03-31 to 2025-06-30.pdf"
    [(args, kwargs)] = fake.named("export")
    draft, decision, out = args
    assert out == tmp_path / "Progress summary Police 2025-03-31 to 2025-06-30.pdf"
    assert draft is wizard.draft and decision.recipient_person == "DS Rivers"
    assert decision.caldicott.all_confirmed
    assert kwargs == {"document_id": "doc-new", "issued_on": TODAY}
    assert exported.args[0].path == out
    assert out.read_bytes() == fake.pdf
    assert "Saved and recorded" in wizard.saved_label.text()
    assert str(out) in wizard.saved_label.text()
    assert "exactly the document you previewed" in wizard.saved_label.text()
    assert wizard.next_button.isHidden()
    assert wizard.cancel_button.text() == "&Close"


def test_cancelling_the_save_dialog_exports_nothing(qtbot, monkeypatch):
    fake = FakeSharing()
    wizard = to_save(qtbot, fake)
    monkeypatch.setattr(register_view, "ask_save_path", lambda *args: "")

    wizard.next_button.click()

    assert fake.named("export") == []
    assert wizard.result_row is None


def test_a_refusal_about_the_recipient_goes_back_to_that_field_and_keeps_everything(qtbot, save_to):
    fake = FakeSharing()
    wizard = to_save(qtbot, fake)
    fake.export_error = ValidationError(
        [Problem("recipient_agency", "The recipient agency must be at most 200 characters.")]
    )

    wizard.next_button.click()

    assert wizard.current_step is Step.DETAILS
    assert (
        field_error(wizard.details.errors, "recipient_agency")
        == "The recipient agency must be at most 200 characters."
    )
    assert wizard.details.recipient_agency.text() == "Metropolitan Police"
    assert wizard.details.purpose.toPlainText() == "Quarterly review at the panel"
    assert wizard.caldicott.confirmation().all_confirmed
    assert wizard.draft is not None and wizard.draft.ready  # the keeps are kept
    assert wizard.result_row is None


def test_a_refusal_about_caldicott_goes_to_the_caldicott_step(qtbot, save_to):
    fake = FakeSharing()
    wizard = to_save(qtbot, fake)
    fake.export_error = ValidationError([Problem("caldicott", "Confirm that it is accurate.")])

    wizard.next_button.click()

    assert wizard.current_step is Step.CALDICOTT
    assert wizard.page_errors.text() == "Confirm that it is accurate."


def test_a_record_changed_refusal_prepares_the_draft_again(qtbot, save_to):
    fake = FakeSharing()
    wizard = to_save(qtbot, fake)
    fake.export_error = ValidationError(
        "The record has changed since this document was prepared. Prepare it again.",
        where="content",
    )

    wizard.next_button.click()

    assert wizard.current_step is Step.DETAILS
    assert "Prepare it again" in wizard.page_errors.text()
    fake.export_error = None
    wizard.next_button.click()
    assert len(fake.named("prepare")) == 2
    assert wizard.current_step is Step.WORDING


def test_a_file_that_cannot_be_written_is_said_plainly(qtbot, save_to, errors_shown):
    fake = FakeSharing()
    wizard = to_save(qtbot, fake)
    fake.export_error = PermissionError(13, "Permission denied")

    wizard.next_button.click()

    assert errors_shown == [
        "The file could not be written (Permission denied). Nothing was recorded in the "
        "register. Choose another folder and try again."
    ]
    assert wizard.result_row is None
    assert wizard.current_step is Step.SAVE


def test_changing_the_audience_prepares_a_new_draft_but_going_back_does_not(qtbot):
    fake = FakeSharing()
    wizard = wizard_at_wording(qtbot, fake)
    keep_all(wizard)
    wizard.back_button.click()
    wizard.next_button.click()
    assert len(fake.named("prepare")) == 1
    assert wizard.draft is not None and wizard.draft.ready

    wizard.back_button.click()
    fill_details(wizard, audience="panel")
    wizard.next_button.click()
    assert len(fake.named("prepare")) == 2
    assert fake.named("prepare")[1][1]["audience"] == "panel"


# -- the urgent risk notification --------------------------------------------------------------


def test_risk_notice_offers_only_audiences_that_receive_risk_and_is_exported(
    qtbot, save_to, tmp_path
):
    fake = FakeSharing()
    dialog = RiskNoticeDialog(EVENT, fake.notice_actions(), today=TODAY)
    qtbot.addWidget(dialog)
    combo = dialog.details.audience
    assert combo is not None
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert offered == [n for n, p in BUILT_IN.items() if Section.RISK in p.sections]
    assert "gp" not in offered
    assert combo.currentData() == "police"
    assert dialog.details.period() is None

    fill_details(dialog)
    dialog.next_button.click()
    [(args, kwargs)] = fake.named("prepare_notice")
    assert args == (EVENT,) and kwargs == {"audience": "police"}
    assert [r.hit.term for r in dialog.review.rows] == ["Morgan"]
    assert not dialog.next_button.isEnabled()
    keep_all(dialog)
    dialog.next_button.click()
    assert dialog.current_step is Step.PREVIEW
    dialog.next_button.click()
    assert dialog.current_step is Step.CALDICOTT
    tick_caldicott(dialog)
    dialog.next_button.click()
    dialog.next_button.click()

    assert Path(save_to[0][1]).name == "urgent-risk-notification-doc-new.pdf"
    [(args, _kwargs)] = fake.named("export")
    assert args[2] == tmp_path / "urgent-risk-notification-doc-new.pdf"
    assert dialog.result_row is not None


def test_risk_notice_prepares_at_once_and_next_uses_that_draft(qtbot):
    fake = FakeSharing()
    dialog = RiskNoticeDialog(EVENT, fake.notice_actions(), today=TODAY)
    qtbot.addWidget(dialog)

    assert fake.named("prepare_notice") == [((EVENT,), {"audience": "police"})]
    assert dialog.refusal == "" and dialog.refusal_label.isHidden()
    assert dialog.details.isEnabled() and not dialog.details.isHidden()
    fill_details(dialog)
    dialog.next_button.click()
    assert dialog.current_step is Step.WORDING
    assert len(fake.named("prepare_notice")) == 1  # not prepared twice

    dialog.back_button.click()
    fill_details(dialog, audience="panel")
    dialog.next_button.click()
    assert fake.named("prepare_notice")[-1] == ((EVENT,), {"audience": "panel"})


NOT_SHARED = (
    "This risk event was decided not to be shared. Record a new decision to share it first."
)


def test_an_event_decided_not_to_be_shared_is_refused_before_anything_is_typed(qtbot):
    fake = FakeSharing()
    fake.notice_refusal = ValidationError(NOT_SHARED, where="decision")
    dialog = RiskNoticeDialog(EVENT, fake.notice_actions(), today=TODAY)
    qtbot.addWidget(dialog)
    dialog.show()

    assert dialog.current_step is Step.DETAILS
    assert dialog.refusal_label.isVisible()
    shown = dialog.refusal_label.text()
    assert "This urgent risk notification cannot be made." in shown
    assert NOT_SHARED in shown
    assert dialog.refusal_label.accessibleDescription() == NOT_SHARED
    # The form is not offered, there is no dead Next, and the way out says Close.
    assert not dialog.details.isVisible()
    assert not dialog.next_button.isVisible() and not dialog.back_button.isVisible()
    assert dialog.cancel_button.text() == "&Close"
    dialog.next_button.click()
    assert dialog.current_step is Step.DETAILS
    assert len(fake.named("prepare_notice")) == 1


def test_an_event_without_a_statement_or_that_is_gone_is_refused_at_once(qtbot):
    fake = FakeSharing()
    fake.notice_refusal = ValidationError(
        [
            Problem("statement", "This risk event has no shareable statement."),
            Problem("decision", NOT_SHARED),
        ]
    )
    dialog = RiskNoticeDialog(EVENT, fake.notice_actions(), today=TODAY)
    qtbot.addWidget(dialog)
    assert dialog.refusal == f"This risk event has no shareable statement. {NOT_SHARED}"

    fake.notice_refusal = NotFound("That risk event could not be found.")
    gone = RiskNoticeDialog(EVENT, fake.notice_actions(), today=TODAY)
    qtbot.addWidget(gone)
    assert gone.refusal == "That risk event could not be found."
    assert gone.details.isHidden()


def test_a_problem_with_the_audience_alone_waits_for_next_as_before(qtbot):
    fake = FakeSharing()
    fake.notice_refusal = ValidationError(
        "The Police audience does not receive risk information.", where="audience"
    )
    dialog = RiskNoticeDialog(EVENT, fake.notice_actions(), today=TODAY)
    qtbot.addWidget(dialog)
    assert dialog.refusal == "" and dialog.details.isEnabled()
    assert dialog.draft is None

    fill_details(dialog)
    dialog.next_button.click()
    assert dialog.current_step is Step.DETAILS
    assert field_error(dialog.details.errors, "audience") == (
        "The Police audience does not receive risk information."
    )


def test_the_notice_says_what_the_notice_carries_not_what_a_summary_does(qtbot):
    fake = FakeSharing()
    dialog = RiskNoticeDialog(EVENT, fake.notice_actions(), today=TODAY)
    qtbot.addWidget(dialog)
    about = dialog.details.audience_about.text()
    assert about == (
        "The notification gives only the event's shareable statement, the date it "
        "happened, how urgent it is and what kind of event it was, and how to contact you. "
        "The client is identified by: "
        f"{BUILT_IN['police'].describe_identifying()}."
    )
    assert "attendance" not in about and "goals" not in about


# -- the clinical summary ----------------------------------------------------------------------


def test_clinical_summary_is_labelled_clinical_and_offers_no_partner_audience(
    qtbot, save_to, tmp_path
):
    fake = FakeSharing()
    dialog = ClinicalSummaryDialog(CLIENT, fake.clinical_actions(), today=TODAY)
    qtbot.addWidget(dialog)
    assert dialog.details.audience is None
    assert "CLINICAL" in dialog.windowTitle().upper()
    assert "NOT FOR PARTNER AGENCIES" in dialog.INTRO
    assert dialog.steps == [Step.DETAILS, Step.PREVIEW, Step.CALDICOTT, Step.SAVE]
    words = " ".join(
        dialog.details.gateway.itemText(i) for i in range(dialog.details.gateway.count())
    )
    for policy in BUILT_IN.values():
        assert policy.title not in words

    details = dialog.details
    details.recipient_agency.setText("Community Psychiatry, North")
    details.purpose.setPlainText("Referral for assessment")
    details.gateway.setCurrentIndex(0)  # none needed: our own clinical record
    details.told_yes.setChecked(True)
    dialog.next_button.click()
    assert dialog.current_step is Step.PREVIEW
    assert dialog.preview.page_count() == 3
    dialog.next_button.click()
    assert dialog.current_step is Step.CALDICOTT
    assert not dialog.next_button.isEnabled()
    tick_caldicott(dialog)
    dialog.next_button.click()
    dialog.next_button.click()

    [(args, kwargs)] = fake.named("export_clinical")
    assert args[0] == CLIENT and args[1].gateway is None
    assert args[2] == tmp_path / "clinical-summary-doc-new.pdf"
    assert kwargs["period_from"] is None and kwargs["period_to"] is None


# -- the tab -----------------------------------------------------------------------------------


def test_empty_register_says_so_in_words_with_no_dead_buttons(qtbot):
    fake = FakeSharing()
    tab = SummariesTab(CLIENT, fake.tab_actions())
    qtbot.addWidget(tab)
    tab.show()
    assert tab.empty.isVisible() and tab.empty.text() == NO_ENTRIES_CLIENT
    assert not tab.table.isVisible()
    assert not tab.regenerate_button.isVisible()
    assert not tab.export_button.isVisible()
    assert tab.partner_button.isVisible() and tab.decision_button.isVisible()


def test_register_load_failure_is_said_in_words(qtbot):
    fake = FakeSharing()

    def refuse(_client_id: int) -> list[DisclosureRow]:
        raise AccessDenied("You are not assigned to this client.")

    actions = dataclasses.replace(fake.tab_actions(), register_for_client=refuse)
    tab = SummariesTab(CLIENT, actions)
    qtbot.addWidget(tab)
    assert tab.empty.text() == (
        "The register could not be loaded. You are not assigned to this client."
    )


def test_the_register_lists_entries_newest_first_with_the_hash_shortened(qtbot):
    fake = FakeSharing()
    full = hashlib.sha256(b"x").hexdigest()
    fake.rows = [
        disclosure_row(1, sha=full),
        disclosure_row(
            2,
            kind=DisclosureKind.DECISION_NOT_TO_SHARE,
            sha=None,
            gateway=None,
            informed=False,
            reason="It would raise the risk.",
        ),
    ]
    tab = SummariesTab(CLIENT, fake.tab_actions())
    qtbot.addWidget(tab)
    tab.show()

    assert [e.id for e in tab.entries()] == [2, 1]
    model, proxy = tab.model, tab.proxy

    def cell(row: int, column: RegisterColumn, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return proxy.data(proxy.index(row, column), role)

    assert cell(1, RegisterColumn.SHA256) == f"{full[:4]} {full[4:8]} {full[8:12]}…"
    assert cell(1, RegisterColumn.SHA256, Qt.ItemDataRole.ToolTipRole) == full
    assert cell(0, RegisterColumn.SHA256) == "No document"
    assert cell(0, RegisterColumn.KIND) == "Decision not to share"
    assert cell(0, RegisterColumn.GATEWAY) == "None (not shared)"
    # The one wording of the gateway, as every form and document shows it.
    assert cell(1, RegisterColumn.GATEWAY) == "Crime and Disorder Act 1998 s115"
    assert cell(0, RegisterColumn.CLIENT_TOLD) == "No"
    assert cell(0, RegisterColumn.CLIENT_TOLD, Qt.ItemDataRole.ToolTipRole) == (
        "Not told: It would raise the risk."
    )
    assert cell(1, RegisterColumn.AUDIENCE) == "Police"
    assert cell(1, RegisterColumn.RECIPIENT) == "DS Rivers, Metropolitan Police"
    assert tab.table.isColumnHidden(RegisterColumn.CLIENT)
    # The newest entry is chosen, in full, below; a decision has nothing to regenerate.
    assert "Decision not to share" in tab.details.toPlainText()
    assert not tab.regenerate_button.isVisible()
    tab.select_entry(1)
    assert full in tab.details.toPlainText()
    assert tab.regenerate_button.isVisible()
    assert model.rowCount() == 2


def test_register_model_passes_the_model_tester(qtmodeltester):
    model = DisclosureModel()
    model.reset_items([disclosure_row(1), disclosure_row(2, sha=None, gateway=None)])
    qtmodeltester.check(model)


def test_register_filter_passes_the_model_tester_while_rows_and_filters_change(
    qtbot, qtmodeltester
):
    fake = FakeSharing()
    fake.rows = [disclosure_row(1), disclosure_row(2, audience="panel")]
    window = ServiceRegisterWindow(
        ServiceRegisterActions(
            register_for_service=lambda **kw: list(fake.rows), register_csv=fake.register_csv
        ),
        today=TODAY,
    )
    qtbot.addWidget(window)
    qtmodeltester.check(window.proxy)
    window.audience.setCurrentIndex(window.audience.findData("panel"))
    assert [r.id for r in window.shown_rows()] == [2]
    fake.rows.append(disclosure_row(3, audience="panel"))
    window.refresh()
    assert [r.id for r in window.shown_rows()] == [3, 2]


def test_csv_export_writes_what_the_service_returns(qtbot, save_to, messages, tmp_path):
    fake = FakeSharing()
    fake.rows = [disclosure_row(1)]
    fake.csv = 'Recorded (UTC),Purpose\r\n2025-06-30 09:30:00,"Review, with ""quotes"""\r\n'
    tab = SummariesTab(CLIENT, fake.tab_actions())
    qtbot.addWidget(tab)

    tab.export_button.click()

    [(_title, suggested)] = save_to
    written = tmp_path / Path(suggested).name
    assert written.suffix == ".csv"
    # A byte-order mark tells spreadsheets on Windows it is UTF-8; then exactly the CSV.
    assert written.read_bytes() == b"\xef\xbb\xbf" + fake.csv.encode("utf-8")
    assert fake.named("register_csv") == [((), {"client_id": CLIENT})]
    assert messages == [f"The register was saved to {written}."]


def test_partner_summary_export_refreshes_the_register_and_announces_a_change(
    qtbot, monkeypatch, save_to
):
    fake = FakeSharing()
    tab = SummariesTab(CLIENT, fake.tab_actions())
    qtbot.addWidget(tab)

    def drive(dialog: QDialog) -> int:
        assert isinstance(dialog, PartnerSummaryWizard)
        fill_details(dialog)
        dialog.next_button.click()  # to the wording
        keep_all(dialog)
        dialog.next_button.click()  # to the preview
        dialog.next_button.click()  # to Caldicott
        tick_caldicott(dialog)
        dialog.next_button.click()  # to saving
        dialog.next_button.click()  # save
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(summary_wizard, "run_dialog", drive)
    with qtbot.waitSignal(tab.changed):
        tab.partner_button.click()

    assert len(fake.named("register_for_client")) == 2
    assert [e.id for e in tab.entries()] == [100]
    assert tab.selected_entry() is not None and tab.selected_entry().id == 100
    assert tab.table.isVisibleTo(tab)


def test_closing_the_wizard_without_saving_changes_nothing(qtbot, monkeypatch):
    fake = FakeSharing()
    tab = SummariesTab(CLIENT, fake.tab_actions())
    qtbot.addWidget(tab)
    monkeypatch.setattr(summary_wizard, "run_dialog", lambda dialog: dialog.reject() or 0)
    changed: list[bool] = []
    tab.changed.connect(lambda: changed.append(True))

    tab.partner_button.click()

    assert changed == [] and fake.named("export") == []


# -- a decision not to share -------------------------------------------------------------------


def decision_dialog(qtbot: Any, fake: FakeSharing) -> DecisionNotToShareDialog:
    dialog = DecisionNotToShareDialog(
        CLIENT,
        list(BUILT_IN.values()),
        fake.record_decision_not_to_share,
        "Dr Jones",
        today=TODAY,
    )
    qtbot.addWidget(dialog)
    return dialog


def test_decision_not_to_share_is_recorded_with_what_whom_why_and_why_not(qtbot):
    fake = FakeSharing()
    dialog = decision_dialog(qtbot, fake)
    dialog.audience.setCurrentIndex(dialog.audience.findData("probation"))
    dialog.recipient_agency.setText("National Probation Service")
    dialog.recipient_person.setText("Sam Okafor")
    dialog.purpose.setPlainText("Asked for his session notes")
    dialog.reason.setPlainText("Session notes are clinical; no gateway applies.")
    dialog.gateway.setCurrentIndex(dialog.gateway.findData(Gateway.CDA_S115))
    dialog.told_yes.setChecked(True)

    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()

    [(args, kwargs)] = fake.named("record_decision_not_to_share")
    assert args == (CLIENT,)
    assert kwargs == {
        "audience": "probation",
        "recipient_agency": "National Probation Service",
        "recipient_person": "Sam Okafor",
        "purpose": "Asked for his session notes",
        "reason": "Session notes are clinical; no gateway applies.",
        "client_informed": True,
        "client_not_informed_reason": "",
        "period_from": date(2025, 3, 31),
        "period_to": TODAY,
        "gateway": Gateway.CDA_S115,
    }
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_decision_not_to_share_for_other_information_has_no_period(qtbot):
    fake = FakeSharing()
    dialog = decision_dialog(qtbot, fake)
    dialog.what.setCurrentText(WHAT_OTHER)
    dialog.audience.setCurrentIndex(0)
    dialog.recipient_agency.setText("Metropolitan Police")
    dialog.purpose.setPlainText("Asked about his medication")
    dialog.reason.setPlainText("Not necessary for managing the risk.")
    dialog.told_no.setChecked(True)
    dialog.not_told_reason.setPlainText("He is not reachable this week.")

    dialog.save_button.click()

    [(_args, kwargs)] = fake.named("record_decision_not_to_share")
    assert kwargs["period_from"] is None and kwargs["period_to"] is None
    assert kwargs["client_informed"] is False
    assert kwargs["client_not_informed_reason"] == "He is not reachable this week."


def test_decision_not_to_share_shows_problems_at_fields_and_keeps_the_text(qtbot):
    fake = FakeSharing()
    dialog = decision_dialog(qtbot, fake)
    dialog.purpose.setPlainText("Asked for his notes")

    dialog.save_button.click()  # no audience, not said whether the client was told

    assert field_error(dialog.errors, "audience") == "Choose who asked or would have received it."
    assert field_error(dialog.errors, "client_informed") == "Say whether the client was told."
    assert fake.named("record_decision_not_to_share") == []

    dialog.audience.setCurrentIndex(0)
    dialog.told_yes.setChecked(True)
    dialog.save_button.click()  # the fake service wants a reason

    assert field_error(dialog.errors, "reason") == "The reason for not sharing is required."
    assert dialog.purpose.toPlainText() == "Asked for his notes"
    assert dialog.recorded is None and dialog.result() != QDialog.DialogCode.Accepted


def test_recording_a_decision_from_the_tab_refreshes_the_register(qtbot, monkeypatch):
    fake = FakeSharing()
    tab = SummariesTab(CLIENT, fake.tab_actions())
    qtbot.addWidget(tab)

    def drive(dialog: QDialog) -> int:
        assert isinstance(dialog, DecisionNotToShareDialog)
        dialog.audience.setCurrentIndex(0)
        dialog.recipient_agency.setText("Metropolitan Police")
        dialog.purpose.setPlainText("Asked for notes")
        dialog.reason.setPlainText("Clinical.")
        dialog.told_yes.setChecked(True)
        dialog.save_button.click()
        return dialog.result()

    monkeypatch.setattr(summary_wizard, "run_dialog", drive)
    with qtbot.waitSignal(tab.changed):
        tab.decision_button.click()
    assert [e.kind for e in tab.entries()] == [DisclosureKind.DECISION_NOT_TO_SHARE]


# -- regenerating ------------------------------------------------------------------------------


def test_regenerate_shows_the_hashes_match_and_saves_the_same_bytes(
    qtbot, save_to, messages, tmp_path
):
    fake = FakeSharing(pages=2)
    entry = disclosure_row(5, sha=hashlib.sha256(fake.pdf).hexdigest())
    dialog = RegenerateDialog(entry, fake.regenerate)
    qtbot.addWidget(dialog)

    assert fake.named("regenerate") == [((5,), {})]
    assert dialog.matches
    assert "The fingerprints match" in dialog.verdict.text()
    assert entry.document_sha256 in dialog.verdict.text()
    assert dialog.preview.page_count() == 2

    path = dialog.save_copy()

    assert path == tmp_path / "partner-summary-doc-5-copy.pdf"
    assert path.read_bytes() == fake.pdf
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.document_sha256


def test_regenerate_warns_when_the_hashes_differ_and_offers_no_copy(qtbot):
    fake = FakeSharing()
    dialog = RegenerateDialog(disclosure_row(5, sha="0" * 64), fake.regenerate)
    qtbot.addWidget(dialog)
    assert not dialog.matches
    assert "do not match" in dialog.verdict.text()
    assert dialog.save_button.isHidden()


def test_regenerate_refused_by_the_service_says_why(qtbot):
    fake = FakeSharing()
    fake.regenerated = ValidationError("This document can no longer be reproduced exactly.")
    dialog = RegenerateDialog(disclosure_row(5), fake.regenerate)
    qtbot.addWidget(dialog)
    assert "could not be regenerated" in dialog.verdict.text()
    assert "no longer be reproduced exactly" in dialog.verdict.text()
    assert dialog.save_button.isHidden() and dialog.preview.isHidden()


# -- the service register ----------------------------------------------------------------------


def test_service_register_filters_by_dates_audience_and_kind_and_exports(
    qtbot, save_to, messages, tmp_path
):
    fake = FakeSharing()
    asked: list[dict[str, Any]] = []
    rows = [
        disclosure_row(1),
        disclosure_row(2, audience="victim-advocate"),
        disclosure_row(3, kind=DisclosureKind.DECISION_NOT_TO_SHARE, sha=None, gateway=None),
    ]

    def load(**kwargs: Any) -> list[DisclosureRow]:
        asked.append(kwargs)
        return list(rows)

    window = ServiceRegisterWindow(
        ServiceRegisterActions(register_for_service=load, register_csv=fake.register_csv),
        today=TODAY,
    )
    qtbot.addWidget(window)
    assert asked == [{"recorded_from": None, "recorded_to": None}]
    assert window.count.text() == "3 entries shown"

    window.limit_dates.setChecked(True)
    assert asked[-1] == {"recorded_from": date(2025, 5, 30), "recorded_to": TODAY}

    window.audience.setCurrentIndex(window.audience.findData("victim-advocate"))
    assert [r.id for r in window.shown_rows()] == [2]
    assert window.count.text() == "1 entry shown of 3"
    window.audience.setCurrentIndex(0)
    window.kind.setCurrentIndex(window.kind.findData(DisclosureKind.DECISION_NOT_TO_SHARE))
    assert [r.id for r in window.shown_rows()] == [3]

    window.export_button.click()
    [(_title, suggested)] = save_to
    assert (tmp_path / Path(suggested).name).read_bytes() == b"\xef\xbb\xbf" + fake.csv.encode()
    assert fake.named("register_csv") == [((), {"client_id": None})]


def test_service_register_says_when_no_entries_match(qtbot):
    window = ServiceRegisterWindow(
        ServiceRegisterActions(
            register_for_service=lambda **kw: [disclosure_row(1)],
            register_csv=lambda **kw: "",
        ),
        today=TODAY,
    )
    qtbot.addWidget(window)
    window.show()
    window.kind.setCurrentIndex(window.kind.findData(DisclosureKind.RISK_NOTICE))
    assert window.empty.isVisible()
    assert window.empty.text() == "No entries match the filters. Widen the dates or choose All."
    assert not window.table.isVisible()


def long_rows() -> list[DisclosureRow]:
    """Entries with the longest words the register shows, and long free text."""
    return [
        dataclasses.replace(
            disclosure_row(1, kind=DisclosureKind.RISK_NOTICE),
            recipient_person="Detective Constable Priya Patel, case officer",
            recipient_agency="Metropolitan Police, Stalking Threat Assessment Centre",
            purpose="Urgent: he contacted the victim twice in breach of his bail conditions",
            decided_by_name="Dr Alexandra Montgomery-Jones",
        ),
        disclosure_row(
            2, kind=DisclosureKind.DECISION_NOT_TO_SHARE, audience="panel", sha=None, gateway=None
        ),
        disclosure_row(
            3,
            kind=DisclosureKind.CLINICAL_SUMMARY,
            audience="clinical",
            gateway=Gateway.DPA_SCH1_PARA18,
        ),
    ]


@pytest.mark.parametrize("width", [1240, 1000])
def test_service_register_columns_fit_the_window_with_the_whole_text_in_tooltips(qtbot, width):
    window = ServiceRegisterWindow(
        ServiceRegisterActions(
            register_for_service=lambda **kw: long_rows(), register_csv=lambda **kw: ""
        ),
        today=TODAY,
    )
    qtbot.addWidget(window)
    window.resize(width, 700)
    window.show()
    qtbot.waitExposed(window)
    table = window.table

    # Every column on screen: nothing to scroll sideways to, the SHA-256 included.
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)
    widths = sum(table.columnWidth(c) for c in RegisterColumn)
    assert widths <= table.viewport().width()
    # The date, the shortened SHA-256 and whether the client was told are never cut.
    for column in (RegisterColumn.RECORDED, RegisterColumn.SHA256, RegisterColumn.CLIENT_TOLD):
        assert table.columnWidth(column) >= table.sizeHintForColumn(column), column.name
    assert table.columnWidth(RegisterColumn.PURPOSE) >= 100

    def cell(row: int, column: RegisterColumn, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return window.proxy.data(window.proxy.index(row, column), role)

    # Newest first: the clinical summary, the decision, then the notification.
    assert cell(2, RegisterColumn.KIND) == "Risk notification"
    assert cell(2, RegisterColumn.KIND, Qt.ItemDataRole.ToolTipRole) == "Urgent risk notification"
    assert cell(2, RegisterColumn.RECIPIENT, Qt.ItemDataRole.ToolTipRole) == (
        "Detective Constable Priya Patel, case officer, Metropolitan Police, Stalking Threat "
        "Assessment Centre"
    )
    assert cell(2, RegisterColumn.DECIDED_BY, Qt.ItemDataRole.ToolTipRole) == (
        "Dr Alexandra Montgomery-Jones"
    )
    assert cell(0, RegisterColumn.AUDIENCE) == "Clinical"
    assert cell(0, RegisterColumn.AUDIENCE, Qt.ItemDataRole.ToolTipRole) == (
        "Clinical (not a partner)"
    )
    assert cell(2, RegisterColumn.CLIENT, Qt.ItemDataRole.ToolTipRole) == "MASIP-0042"
    sha = cell(2, RegisterColumn.SHA256, Qt.ItemDataRole.ToolTipRole)
    assert cell(2, RegisterColumn.SHA256) == f"{sha[:4]} {sha[4:8]} {sha[8:12]}…"
    # The chosen entry is in full below, its whole SHA-256 too.
    window.table.selectRow(2)
    window.table.setCurrentIndex(window.proxy.index(2, 0))
    assert sha in window.details.toPlainText()
    assert "Urgent risk notification" in window.details.toPlainText()


def test_the_register_columns_give_way_when_the_window_narrows(qtbot):
    window = ServiceRegisterWindow(
        ServiceRegisterActions(
            register_for_service=lambda **kw: long_rows(), register_csv=lambda **kw: ""
        ),
        today=TODAY,
    )
    qtbot.addWidget(window)
    window.resize(1240, 700)
    window.show()
    qtbot.waitExposed(window)
    wide = window.table.columnWidth(RegisterColumn.RECIPIENT)

    window.resize(1000, 700)
    qtbot.waitUntil(lambda: window.table.viewport().width() < 1000)

    assert window.table.columnWidth(RegisterColumn.RECIPIENT) < wide
    # The header settles the purpose's share a moment later.
    qtbot.waitUntil(lambda: window.table.horizontalScrollBar().maximum() == 0)


# -- keyboard ----------------------------------------------------------------------------------


def _mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&\s])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def clashes(window: QWidget) -> dict[str, list[str]]:
    """Alt+letters that reach two different controls in what is shown now.

    The same words on each row of a list (Keep it, Edit the text…) share a letter on
    purpose: Qt moves between them on each press.
    """
    keys: dict[str, list[str]] = defaultdict(list)
    for widget in [
        *window.findChildren(QAbstractButton),
        *window.findChildren(QLabel),
        *window.findChildren(QGroupBox),
    ]:
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel) and (widget.buddy() is None or "<" in widget.text()):
            continue
        if isinstance(widget, QGroupBox):
            text = widget.title()
        else:
            assert isinstance(widget, QAbstractButton | QLabel)
            text = widget.text()
        if (key := _mnemonic(text)) is not None:
            keys[key].append(text)
    return {k: v for k, v in keys.items() if len(set(v)) > 1}


def test_every_step_and_dialog_has_one_control_per_alt_letter(qtbot, save_to):
    fake = FakeSharing()
    wizard = PartnerSummaryWizard(CLIENT, fake.partner_actions(), today=TODAY)
    qtbot.addWidget(wizard)
    wizard.show()
    seen = {}
    fill_details(wizard)
    seen[Step.DETAILS] = clashes(wizard)
    wizard.next_button.click()
    seen[Step.WORDING] = clashes(wizard)
    keep_all(wizard)
    wizard.next_button.click()
    seen[Step.PREVIEW] = clashes(wizard)
    wizard.next_button.click()
    seen[Step.CALDICOTT] = clashes(wizard)
    tick_caldicott(wizard)
    wizard.next_button.click()
    seen[Step.SAVE] = clashes(wizard)
    assert wizard.current_step is Step.SAVE
    clinical = ClinicalSummaryDialog(CLIENT, fake.clinical_actions(), today=TODAY)
    qtbot.addWidget(clinical)
    clinical.show()
    clinical.details.limit_period.setChecked(True)
    seen["clinical"] = clashes(clinical)
    decision = decision_dialog(qtbot, fake)
    decision.show()
    decision.told_no.setChecked(True)
    seen["decision"] = clashes(decision)
    regenerate = RegenerateDialog(
        disclosure_row(1, sha=hashlib.sha256(fake.pdf).hexdigest()), fake.regenerate
    )
    qtbot.addWidget(regenerate)
    regenerate.show()
    seen["regenerate"] = clashes(regenerate)
    window = ServiceRegisterWindow(
        ServiceRegisterActions(
            register_for_service=lambda **kw: [disclosure_row(1)], register_csv=fake.register_csv
        ),
        today=TODAY,
    )
    qtbot.addWidget(window)
    window.show()
    seen["service register"] = clashes(window)
    fake.rows = [disclosure_row(1)]
    tab = SummariesTab(CLIENT, fake.tab_actions())
    qtbot.addWidget(tab)
    tab.show()
    seen["tab"] = clashes(tab)
    assert {k: v for k, v in seen.items() if v} == {}


def test_forms_left_open_at_a_lock_come_back_with_what_was_typed(qtbot, monkeypatch):
    from clinic_app.views.common.form_drafts import input_state, open_forms

    fake = FakeSharing()
    tab = SummariesTab(CLIENT, fake.tab_actions())
    qtbot.addWidget(tab)
    kept = []

    def lock_while_open(dialog):
        dialog.recipient_agency.setText("National Probation Service")
        dialog.reason.setPlainText("Clinical; no gateway applies.")
        dialog.show()
        kept.extend(form for _widget, form in open_forms([tab]))
        return dialog.reject() or 0

    monkeypatch.setattr(summary_wizard, "run_dialog", lock_while_open)
    tab.decision_button.click()
    [form] = kept
    assert (form.client_id, form.tab, form.form) == (CLIENT, "Summaries", "decision_not_to_share")

    reopened = []
    monkeypatch.setattr(
        summary_wizard, "run_dialog", lambda dialog: reopened.append(input_state(dialog)) or 0
    )
    assert tab.reopen_form(form.form, form.params, form.state)
    agency = "Agency that asked or would have received it"
    assert reopened[0][agency] == "National Probation Service"
    assert reopened[0]["Reason for not sharing"] == "Clinical; no gateway applies."
    assert not tab.reopen_form("no such form", {}, {})
