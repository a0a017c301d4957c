"""One wording per coded value: every screen, document and export names a coded value
(attendance, gateways, statuses...) through ``clinic_app.wording``, where each has one."""

from __future__ import annotations

import enum

import pytest

from clinic_app import wording
from clinic_app.models import enums

KINDS = [
    value
    for value in vars(enums).values()
    if isinstance(value, type)
    and issubclass(value, enum.Enum)
    and value.__module__ == enums.__name__
]
NOT_NAMES = {"REFERRAL_NEXT_STEP_WORDS"}  # what to do next, not what the status is called
TABLES = {
    name: table
    for name, table in vars(wording).items()
    if name.endswith("_WORDS")
    and name not in NOT_NAMES
    and isinstance(table, dict)
    and table
    and all(isinstance(key, enum.Enum) for key in table)
}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_coded_value_has_its_wording(kind: type[enum.Enum]) -> None:
    missing = [member.name for member in kind if (kind, member.value) not in wording.WORDS]
    assert missing == [], f"{kind.__name__}: add their words to a table in clinic_app/wording.py"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_words_says_what_each_table_says(name: str) -> None:
    for member, text in TABLES[name].items():
        assert wording.words(member) == text, (name, member)


def test_values_spelt_alike_in_two_kinds_keep_their_own_words() -> None:
    # "other" is a value of several kinds (an intervention, a service, a risk tool...):
    # the same string, looked up by kind, so each keeps the words of its own table.
    assert enums.ServiceKind.OTHER.value == enums.RiskTool.OTHER.value
    assert (
        wording.words(enums.ServiceKind.OTHER)
        == wording.SERVICE_KIND_WORDS[enums.ServiceKind.OTHER]
    )
    assert wording.words(enums.RiskTool.OTHER) == wording.RISK_TOOL_WORDS[enums.RiskTool.OTHER]
    assert wording.words(enums.ServiceKind.OTHER) != wording.words(enums.RiskTool.OTHER)
