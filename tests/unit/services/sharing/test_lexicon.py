"""The lexicon check: whole words, any case, multiword terms, third-party names, resolution."""

from __future__ import annotations

import dataclasses

import pytest

from clinic_app.errors import ValidationError
from clinic_app.services.sharing import documents, drafts, lexicon
from clinic_app.services.sharing.lexicon import Lexicon, TermCategory, TextField, check_fields
from tests.unit.services.sharing.test_summaries import DECISION, build_record, prepare

SMALL = Lexicon(
    {
        TermCategory.DIAGNOSIS: ["personality disorder", "PTSD", "Asperger's syndrome"],
        TermCategory.MEDICATION: ["sertraline"],
        TermCategory.CLINICAL: ["disorder"],
    }
)


def hits(text: str, names: tuple[str, ...] = ()) -> list[tuple[str, TermCategory]]:
    found = check_fields([TextField("f", "The field", text)], lexicon=SMALL, names=names)
    return [(h.term, h.category) for h in found]


def test_shipped_lexicon_has_hundreds_of_terms_in_every_category():
    shipped = lexicon.load_lexicon()
    assert len(shipped) >= 500
    for category in (
        TermCategory.DIAGNOSIS,
        TermCategory.MEDICATION,
        TermCategory.THERAPY,
        TermCategory.CLINICAL,
    ):
        assert len(shipped.terms[category]) >= 90, category
    words = {t.casefold() for ts in shipped.terms.values() for t in ts}
    # UK spellings and their common variants are both there.
    assert {"generalised anxiety disorder", "generalized anxiety disorder"} <= words
    assert {"cognitive behavioural therapy", "cognitive behavioral therapy"} <= words
    assert {"mood stabiliser", "mood stabilizer", "paedophilia"} <= words


def test_shipped_terms_are_not_listed_twice():
    shipped = lexicon.load_lexicon()
    seen: dict[str, TermCategory] = {}
    for category, terms in shipped.terms.items():
        for term in terms:
            assert term.casefold() not in seen, (term, category, seen.get(term.casefold()))
            seen[term.casefold()] = category


def test_whole_words_any_case():
    assert hits("Was on SERTRALINE last year") == [("SERTRALINE", TermCategory.MEDICATION)]
    assert hits("disorderly conduct; ptsd-like") == [("ptsd", TermCategory.DIAGNOSIS)]
    assert hits("sertralines, antisertraline, sertraline2") == []


def test_multiword_terms_match_across_spaces_hyphens_and_lines():
    assert hits("a personality  disorder") == [("personality  disorder", TermCategory.DIAGNOSIS)]
    assert hits("personality-disorder") == [("personality-disorder", TermCategory.DIAGNOSIS)]
    assert hits("personality\ndisorder") == [("personality\ndisorder", TermCategory.DIAGNOSIS)]
    # The longer term wins where terms overlap: one hit, not "disorder" as well.
    assert len(hits("personality disorder")) == 1
    assert hits("a disorder") == [("disorder", TermCategory.CLINICAL)]


def test_apostrophes_straight_or_curly():
    assert hits("Asperger\u2019s syndrome") == [
        ("Asperger\u2019s syndrome", TermCategory.DIAGNOSIS)
    ]


def test_third_party_names_full_and_in_parts():
    names = ("Morgan Quill", "Al Fox")
    found = hits("Saw Morgan Quill; later quill; Al came; al fox", names)
    assert found == [
        ("Morgan Quill", TermCategory.THIRD_PARTY_NAME),
        ("quill", TermCategory.THIRD_PARTY_NAME),
        ("al fox", TermCategory.THIRD_PARTY_NAME),
    ]
    # "Al" alone is too short to flag (it would match too much); "Fox" is flagged.
    assert hits("Al came", names) == []
    assert hits("Fox came", names) == [("Fox", TermCategory.THIRD_PARTY_NAME)]


def test_hit_has_field_context_and_a_unique_stable_key():
    text = "Prescribed sertraline by the GP, then sertraline again, and the end of a long line"
    found = check_fields(
        [TextField("goals[0].partner_wording", "Goal 1 (partner wording)", text)], lexicon=SMALL
    )
    assert [h.term for h in found] == ["sertraline", "sertraline"]
    first, second = found
    assert first.before == "Prescribed "
    assert first.after.startswith(" by the GP")
    assert first.field_label == "Goal 1 (partner wording)"
    assert first.key != second.key
    again = check_fields(
        [TextField("goals[0].partner_wording", "Goal 1 (partner wording)", text)], lexicon=SMALL
    )
    assert [h.key for h in again] == [h.key for h in found]
    assert first.explanation == "'sertraline' in Goal 1 (partner wording) looks like a medication."


def test_keys_name_the_field_category_and_position_never_the_term():
    # Keys are kept in the register, and a term may be a victim's name.
    found = check_fields(
        [TextField("goals[0].partner_wording", "Goal 1", "Morgan: sertraline, then Quill")],
        lexicon=SMALL,
        names=("Morgan Quill",),
    )
    assert [(h.term, h.key) for h in found] == [
        ("Morgan", "goals[0].partner_wording#third_party_name:0"),
        ("sertraline", "goals[0].partner_wording#medications:0"),
        ("Quill", "goals[0].partner_wording#third_party_name:1"),
    ]
    assert lexicon.hit_key("risk.assessment.tool_name", TermCategory.CLINICAL, 2) == (
        "risk.assessment.tool_name#clinical:2"
    )


# -- resolution in a real draft ------------------------------------------------------------------


@pytest.fixture
def flagged(db, psychologist, admin):  # type: ignore[no-untyped-def]
    record = build_record(
        db, psychologist, admin, goal_wording="Manage anxiety disorder and stop texting Morgan"
    )
    return record, prepare(db, psychologist, record.client_id)


def test_a_draft_lists_lexicon_and_third_party_hits(flagged):
    _, draft = flagged
    found = {(h.field, h.term, h.category) for h in draft.hits}
    assert ("goals[0].partner_wording", "anxiety disorder", TermCategory.DIAGNOSIS) in found
    assert ("goals[0].partner_wording", "Morgan", TermCategory.THIRD_PARTY_NAME) in found
    assert not draft.ready


def test_an_export_with_unresolved_hits_is_refused_and_writes_nothing(
    db, psychologist, flagged, tmp_path
):
    _, draft = flagged
    out = tmp_path / "out.pdf"
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        documents.export_partner_summary(s, psychologist, draft, DECISION, out)
    message = str(caught.value)
    assert "Not resolved: 1 warning from the wording check" in message  # the diagnosis
    assert "Not resolved: 1 detail of a third party" in message  # the victim's name
    assert not out.exists()


def test_edit_replaces_the_field_and_is_checked_again(db, psychologist, flagged, tmp_path):
    _, draft = flagged
    with db.transaction() as s:
        edited = drafts.revise(
            s,
            psychologist,
            draft,
            edits={"goals[0].partner_wording": "Manage worry; no PTSD talk"},
        )
    assert edited.content.goals is not None
    assert edited.content.goals[0].partner_wording == "Manage worry; no PTSD talk"
    # The new text is checked at once: PTSD is flagged and must be resolved too.
    assert [h.term for h in edited.unresolved] == ["PTSD"]
    with db.transaction() as s:
        kept = drafts.revise(s, psychologist, edited, keep=[edited.unresolved[0].key])
    assert kept.ready
    with db.transaction() as s:
        result = documents.export_partner_summary(
            s, psychologist, kept, DECISION, tmp_path / "ok.pdf"
        )
    payload_lexicon = _payload(db, result.disclosure.id)["lexicon"]
    assert payload_lexicon["edited_fields"] == ["goals[0].partner_wording"]
    assert payload_lexicon["warnings_accepted"] == 0


def test_keeping_every_hit_allows_export(db, psychologist, flagged, tmp_path):
    _, draft = flagged
    reasons = {h.key: "Named in the order police enforce" for h in draft.hits}
    with db.transaction() as s:
        kept = drafts.revise(
            s, psychologist, draft, keep=[h.key for h in draft.hits], reasons=reasons
        )
        assert kept.ready
        result = documents.export_partner_summary(
            s, psychologist, kept, DECISION, tmp_path / "k.pdf"
        )
    assert (tmp_path / "k.pdf").exists()
    # The register says where each hit was and of what kind, and that it was kept.
    record = _payload(db, result.disclosure.id)["lexicon"]
    assert [(h["field"], h["category"], h["resolution"]) for h in record["hits"]] == [
        ("goals[0].partner_wording", "diagnoses", "kept"),
        ("goals[0].partner_wording", "third_party_name", "kept"),
    ]
    assert record["warnings_accepted"] == 0


def test_keeps_survive_the_rebuild_at_export_but_not_an_edit(db, psychologist, flagged, tmp_path):
    _, draft = flagged
    reasons = {h.key: "Named in the order police enforce" for h in draft.hits}
    with db.transaction() as s:
        kept = drafts.revise(
            s, psychologist, draft, keep=[h.key for h in draft.hits], reasons=reasons
        )
        rebuilt = drafts.rebuild(s, psychologist, kept)
        assert rebuilt.ready and rebuilt.kept == kept.kept
        assert rebuilt.reasons == kept.reasons
        # Rewording the field drops its keeps: what is still flagged must be kept again.
        edited = drafts.revise(
            s, psychologist, kept, edits={"goals[0].partner_wording": "Stop texting Morgan"}
        )
    assert [(h.term, h.key in edited.kept) for h in edited.hits] == [("Morgan", False)]


def test_unknown_keys_and_fields_are_refused(db, psychologist, flagged):
    _, draft = flagged
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        drafts.revise(
            s,
            psychologist,
            draft,
            keep=["nonsense"],
            edits={"subject.given_name": "x", "goals[0].partner_wording": ""},
        )
    assert len(caught.value.problems) == 3


def test_a_draft_altered_outside_the_checks_is_refused(db, psychologist, flagged, tmp_path):
    _, draft = flagged
    assert draft.content.goals is not None
    # A caller swaps clinical text into the content and clears the hits by hand.
    tampered = dataclasses.replace(
        draft,
        content=drafts.replace_text(
            draft.content, "goals[0].partner_wording", "FORMULATION-PRIVATE"
        ),
        hits=(),
    )
    with db.transaction() as s, pytest.raises(ValidationError, match="Prepare it again"):
        documents.export_partner_summary(s, psychologist, tampered, DECISION, tmp_path / "t.pdf")
    assert not (tmp_path / "t.pdf").exists()


def test_risk_notice_statement_is_checked(db, psychologist, admin):
    record = build_record(db, psychologist, admin)
    with db.transaction() as s:
        from clinic_app.models import RiskEvent

        event = s.get(RiskEvent, record.shared_event)
        assert event is not None
        event.shareable_statement = "Said he stopped his olanzapine and wants to see Morgan."
    with db.transaction() as s:
        draft = drafts.prepare_risk_notice(s, psychologist, record.shared_event)
    assert {h.term for h in draft.hits} == {"olanzapine", "Morgan"}


def _payload(db, disclosure_id: int) -> dict:  # type: ignore[type-arg]
    from clinic_app.models import Disclosure

    with db.session() as s:
        row = s.get(Disclosure, disclosure_id)
        assert row is not None and row.payload is not None
        return row.payload
