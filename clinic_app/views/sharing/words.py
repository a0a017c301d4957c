"""The words the sharing screens use: Caldicott questions, wording categories, where a
flagged word sits in its text, and what each audience receives.
"""

from __future__ import annotations

import html

from clinic_app.services.sharing.audiences import AudiencePolicy
from clinic_app.services.sharing.lexicon import LexiconHit
from clinic_app.wording import SECTION_TITLES

# -- words -------------------------------------------------------------------------------------

CALDICOTT_QUESTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "necessary",
        "Ne&cessary: sharing this is necessary for the purpose given",
        "Would the purpose fail without it? If not, do not share.",
    ),
    (
        "minimum",
        "&Minimum: the document holds only the minimum the recipient needs",
        "Nothing beyond what the purpose needs: no clinical detail, nothing about others.",
    ),
    (
        "relevant",
        "&Relevant: the recipient needs this for their role (need to know)",
        "The person named has a part to play in managing the risk or the client's care.",
    ),
    (
        "accurate",
        "&Accurate: the content is accurate and up to date",
        "You have just read the preview, every page, and it is correct as of today.",
    ),
)

CATEGORY_WORDS: dict[str, str] = {
    "diagnoses": "Diagnosis",
    "medications": "Medication",
    "therapy": "Therapy term",
    "clinical": "Clinical term",
    "third_party_name": "Name of a third party",
}

NEEDS_CHOICE = "Needs your choice"
KEPT = "Kept: this wording will be shared"


def hit_context_html(hit: LexiconHit) -> str:
    """The hit in its context: the term in bold and in [brackets], never colour alone."""
    before = html.escape(hit.before)
    after = html.escape(hit.after)
    return f"{before}<b>[{html.escape(hit.term)}]</b>{after}"


def hit_context_text(hit: LexiconHit) -> str:
    """The same as plain text, for screen readers."""
    return f"{hit.before}[{hit.term}]{hit.after}"


def field_words(label: str) -> str:
    """A field's label inside a sentence: "in the partner update of 3 May"."""
    return label[0].lower() + label[1:] if label.startswith("The ") else label


def category_words(hit: LexiconHit) -> str:
    return CATEGORY_WORDS.get(hit.category.value, hit.category.value.replace("_", " "))


def _identified_words(policy: AudiencePolicy) -> str:
    if not policy.identifying:
        return "The client is not named."
    return f"The client is identified by: {policy.describe_identifying()}."


def describe_summary_audience(policy: AudiencePolicy) -> str:
    """What an audience receives in a progress summary, and how the client is named."""
    sections = ", ".join(SECTION_TITLES[s].lower() for s in policy.sections) or "nothing"
    return f"In a progress summary this audience receives: {sections}. {_identified_words(policy)}"


def describe_notice_audience(policy: AudiencePolicy) -> str:
    """What an audience receives in an urgent risk notification: the same for every one."""
    return (
        "The notification gives only the event's shareable statement, the date it "
        "happened, how urgent it is and what kind of event it was, and how to contact you. "
        f"{_identified_words(policy)}"
    )
