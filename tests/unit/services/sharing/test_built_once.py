"""A document is built and wording-checked once per export, and the gate holds as before.

Prepared and exported in one unit of work (as the command line does), the export uses the
gate's own record of the build and the check instead of doing both again; anything that
could make that record stale (a write since, another unit of work, an edit, other content,
hits changed by hand) sends the export back to the database or refuses it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest

from clinic_app.errors import ValidationError
from clinic_app.models import RiskEvent
from clinic_app.services.sharing import documents, drafts, lexicon
from tests.unit.services.sharing.test_summaries import (
    DECISION,
    START,
    TODAY,
    _cli,
    _summary_args,
    build_record,
    keyed,  # noqa: F401 - a fixture
)

FLAGGED_GOAL = "Manage anxiety disorder and stop texting Morgan"


class Calls:
    """Counts the calls of the functions it wraps."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}

    def wrap(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        real: Callable[..., Any] = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count[name] = self.count.get(name, 0) + 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    spy = Calls()
    spy.wrap(monkeypatch, drafts, "build_partner_summary_and_notes")
    spy.wrap(monkeypatch, drafts, "text_fields")  # what the wording check is given
    return spy


def _prepare(session: Any, me: Any, client_id: int) -> drafts.SummaryDraft:
    return drafts.prepare_partner_summary(
        session, me, client_id, audience="police", period_from=START, period_to=TODAY
    )


def test_prepared_and_exported_in_one_unit_of_work_it_is_built_and_checked_once(
    db, psychologist, admin, calls, tmp_path
):
    record = build_record(db, psychologist, admin)
    out = tmp_path / "police.pdf"
    with db.transaction() as s:
        draft = _prepare(s, psychologist, record.client_id)
        result = documents.export_partner_summary(s, psychologist, draft, DECISION, out)
    assert calls.count == {"build_partner_summary_and_notes": 1, "text_fields": 1}
    # What was written is the checked content, drawn in the frame the register holds.
    with db.session() as s:
        again = documents.preview_partner_summary(
            s,
            psychologist,
            draft,
            DECISION,
            document_id=result.disclosure.document_id,
            issued_on=TODAY,
        )
    assert out.read_bytes() == again.data
    assert result.sha256 == again.sha256


def test_in_separate_units_of_work_the_export_builds_and_checks_again(
    db, psychologist, admin, calls, tmp_path
):
    # The window prepares, then exports later: the record may have changed meanwhile.
    record = build_record(db, psychologist, admin)
    with db.transaction() as s:
        draft = _prepare(s, psychologist, record.client_id)
    with db.transaction() as s:
        documents.export_partner_summary(s, psychologist, draft, DECISION, tmp_path / "p.pdf")
    assert calls.count == {"build_partner_summary_and_notes": 2, "text_fields": 2}


def test_a_change_written_after_preparing_is_caught_in_the_same_unit_of_work(
    db, psychologist, admin, tmp_path
):
    record = build_record(db, psychologist, admin)
    out = tmp_path / "police.pdf"
    with db.transaction() as s, pytest.raises(ValidationError, match="Prepare it again"):
        draft = _prepare(s, psychologist, record.client_id)
        event = s.get(RiskEvent, record.shared_event)
        assert event is not None
        event.shareable_statement = "Said he stopped his olanzapine."
        documents.export_partner_summary(s, psychologist, draft, DECISION, out)
    assert not out.exists()


@pytest.mark.parametrize("how", ["hits cleared", "content swapped", "content changed in place"])
def test_a_draft_altered_in_the_same_unit_of_work_is_refused(
    db, psychologist, admin, tmp_path, how
):
    record = build_record(db, psychologist, admin, goal_wording=FLAGGED_GOAL)
    out = tmp_path / "police.pdf"
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        draft = _prepare(s, psychologist, record.client_id)
        assert {h.term for h in draft.hits} == {"anxiety disorder", "Morgan"}
        if how == "hits cleared":
            # The gate's own hits count, not the ones the draft carries.
            altered = dataclasses.replace(draft, hits=())
        elif how == "content changed in place":
            # Frozen dataclasses can still be forced: the same object, other words.
            assert draft.content.goals is not None
            object.__setattr__(draft.content.goals[0], "partner_wording", "FORMULATION-PRIVATE")
            altered = dataclasses.replace(draft, hits=())
        else:
            content = drafts.replace_text(
                draft.content, "goals[0].partner_wording", "FORMULATION-PRIVATE"
            )
            altered = dataclasses.replace(draft, content=content, hits=())
        documents.export_partner_summary(s, psychologist, altered, DECISION, out)
    message = str(caught.value)
    if how == "hits cleared":
        assert "Not resolved: 1 warning from the wording check" in message
        assert "Not resolved: 1 detail of a third party" in message
    else:
        assert "Prepare it again" in message
    assert not out.exists()


def test_keeps_and_reasons_carry_over_to_the_export_without_a_second_check(
    db, psychologist, admin, calls, tmp_path
):
    record = build_record(db, psychologist, admin, goal_wording=FLAGGED_GOAL)
    with db.transaction() as s:
        draft = _prepare(s, psychologist, record.client_id)
        draft = drafts.keep_third_party_details(draft, "Named in the order police enforce")
        result = documents.export_partner_summary(
            s, psychologist, draft, DECISION, tmp_path / "k.pdf", accept_warnings=True
        )
    assert calls.count == {"build_partner_summary_and_notes": 1, "text_fields": 1}
    assert result.warnings_accepted == 1  # the diagnosis; the name was kept with a reason


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_the_summary_command_builds_and_checks_the_document_once(
    keyed,  # noqa: F811 - the fixture
    psychologist,
    admin,
    calls,
    tmp_path,
):
    build_record(keyed, psychologist, admin)
    code, _, err = _cli(
        keyed,
        *_summary_args(
            "MASIP-0101",
            tmp_path / "police.pdf",
            "--client-informed",
            "--caldicott",
            "necessary,minimum,relevant,accurate",
        ),
    )
    assert code == 0, err
    assert calls.count == {"build_partner_summary_and_notes": 1, "text_fields": 1}


def test_the_shipped_word_lists_are_compiled_once_per_process(monkeypatch):
    lexicon.load_lexicon.cache_clear()
    compiled: list[str] = []
    real = re.compile

    def counting(pattern: Any, flags: int = 0) -> Any:
        compiled.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr(re, "compile", counting)
    fields = [lexicon.TextField("f", "The field", "Was on sertraline; saw Morgan Quill")]

    def check(names: tuple[str, ...]) -> set[str]:
        return {h.term for h in lexicon.check_fields(fields, names=names)}

    assert check(("Morgan Quill",)) == {"sertraline", "Morgan Quill"}
    first = len(compiled)
    assert first == 5  # the four word lists, and this client's third parties
    assert check(("Morgan Quill",)) == {"sertraline", "Morgan Quill"}
    assert check(("Alex Fox",)) == {"sertraline"}
    # Later checks compile only the third parties' details, never the word lists again.
    assert len(compiled) == first + 2
