"""No clinical or third-party value, and no identifying detail an audience may not have,
reaches a partner document, through any path.

Records are built with the services, as a clinician would, while a flush hook writes a
unique canary string into EVERY text or JSON column classed CLINICAL or THIRD_PARTY on
every row the services create (tests/privacy/canary_record.py). The columns are
enumerated from the models' privacy classes, so a new column is covered without touching
this file; a new *table* with such columns makes :func:`test_every_sensitive_table_is_filled`
fail until a row of it is added to the record's ``build``. Then every audience's summary
and the urgent risk notification are produced through the service path and the command
line, read back with pypdf (text, metadata and raw bytes), and searched for every canary.

(The GUI export path is added by the screens' own tests.)
"""

from __future__ import annotations

import io
import re
import string
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from clinic_app import cli
from clinic_app.errors import ValidationError
from clinic_app.models import Client
from clinic_app.models.enums import Gateway
from clinic_app.services.sharing import audiences, disclosures, documents, drafts
from clinic_app.services.validation import nhs_check_digit
from clinic_app.storage.keys import CredentialStore
from tests.conftest import STAFF_PASSWORD, own_password
from tests.privacy.canary_record import (
    START,
    TODAY,
    Canaries,
    Identity,
    Record,
    build,
    sensitive_other_columns,
    sensitive_text_columns,
)

DECISION = disclosures.SharingDecision(
    recipient_agency="Partner agency",
    purpose="Review",
    gateway=Gateway.CDA_S115,
    client_informed=True,
    caldicott=disclosures.CaldicottConfirmation(True, True, True, True),
)


# Known non-text sensitive columns and why no partner path can show them: measure answers
# only reach MeasureDirection, whose only fields are a title, two dates and a direction
# word; a third party's relation is never selected (the guarded reader refuses it).
# Coded values and dates no partner document reads: the policies cannot name them (they
# are THIRD_PARTY or CLINICAL) and the builders never select them. A received document's
# content is bytes: the record's one is a text file holding its own canary, searched for
# with the others (and no builder reads that table).
NON_TEXT_ACCOUNTED_FOR = {
    "received_document.content",
    "measure_response.value",
    "third_party.relation",
    "protective_measure.kind",
    "protective_measure.starts_on",
    "protective_measure.ends_on",
    "protective_measure.revoked_on",
}


def nhs_numbers() -> st.SearchStrategy[str]:
    """Valid NHS numbers (nine digits and their check digit), none of the 999 test range."""
    return (
        st.text(string.digits, min_size=9, max_size=9)
        .filter(lambda n: not n.startswith("999") and n[0] != "0")
        .filter(lambda n: nhs_check_digit(n) is not None)
        .map(lambda n: n + str(nhs_check_digit(n)))
    )


TOKEN = st.text(string.ascii_lowercase + string.digits, min_size=8, max_size=8)
WORD = st.text(string.ascii_uppercase, min_size=6, max_size=10).map(lambda w: "Zy" + w.lower())
SHAREABLE_TEXT = st.text(string.ascii_letters + " .,", min_size=3, max_size=60).filter(
    lambda t: t.strip() != ""
)


@st.composite
def identities(draw: st.DrawFn) -> Identity:
    return Identity(
        given_name=draw(WORD),
        family_name=draw(WORD),
        date_of_birth=draw(st.dates(date(1940, 1, 1), date(2005, 12, 31))),
        nhs_number=draw(nhs_numbers()),
        local_ref="LR" + draw(TOKEN),
        police_ref="PR" + draw(TOKEN),
        address=draw(WORD) + " Street",
    )


# -- looking for canaries --------------------------------------------------------------------------


def document_texts(data: bytes) -> tuple[str, str]:
    """All the text of a PDF (pages and metadata) and the same with whitespace removed."""
    reader = PdfReader(io.BytesIO(data))
    parts = [page.extract_text() for page in reader.pages]
    parts.extend(str(v) for v in (reader.metadata or {}).values())
    parts.append(data.decode("latin-1"))
    joined = "\n".join(parts)
    return joined, re.sub(r"\s+", "", joined)


def assert_no_leak(data: bytes, record: Record, audience: str, where: str) -> None:
    text, squeezed = document_texts(data)
    for column, canary in record.canaries.values.items():
        assert canary not in text and canary not in squeezed, f"{column} leaked into {where}"
    policy = audiences.BUILT_IN[audience]
    allowed = {f.partition(".")[2] for f in policy.identifying}
    for column in (
        "given_name",
        "family_name",
        "date_of_birth",
        "nhs_number",
        "local_ref",
        "police_ref",
        "address",
    ):
        for form in record.identity.forms(column):
            if column in allowed:
                continue
            assert form not in text and re.sub(r"\s+", "", form) not in squeezed, (
                f"client.{column} reached the {audience} document ({where})"
            )
    # A positive control: what the audience may have is there, so the reading works.
    name = record.identity.family_name
    if "family_name" in allowed:
        assert name in text, f"the {audience} document ({where}) could not be read"


def assert_no_canary_in_words(text: str, record: Record, where: str) -> None:
    for column, canary in record.canaries.values.items():
        assert canary not in text, f"{column} leaked into {where}"


def export_all(
    db, me, record: Record, tmp: Path, accept: bool = True
) -> list[tuple[str, str, bytes]]:  # type: ignore[no-untyped-def]
    out: list[tuple[str, str, bytes]] = []
    for audience in audiences.AUDIENCE_NAMES:
        with db.transaction() as s:
            draft = drafts.prepare_partner_summary(
                s, me, record.client_id, audience=audience, period_from=START, period_to=TODAY
            )
            path = tmp / f"{audience}-{record.identity.local_ref}.pdf"
            documents.export_partner_summary(s, me, draft, DECISION, path, accept_warnings=accept)
            preview = documents.preview_partner_summary(s, me, draft, DECISION)
        out.append((audience, "service export", path.read_bytes()))
        out.append((audience, "service preview", preview.data))
    with db.transaction() as s:
        notice = drafts.prepare_risk_notice(s, me, record.urgent_event)
        path = tmp / f"notice-{record.identity.local_ref}.pdf"
        documents.export_risk_notice(s, me, notice, DECISION, path, accept_warnings=accept)
    out.append(("police", "risk notice export", path.read_bytes()))
    return out


def run_cli(db, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    own_password(db, "dr.jones")
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.main(
        [*args, "--db", str(db.path), "--user", "dr.jones", "--password-stdin"],
        stdin=io.StringIO(STAFF_PASSWORD + "\n"),
        stdout=stdout,
        stderr=stderr,
    )
    return code, stdout.getvalue(), stderr.getvalue()


SHARING = (
    "--recipient",
    "Partner agency",
    "--purpose",
    "Review",
    "--gateway",
    "cda-s115",
    "--client-informed",
    "--caldicott",
    "necessary,minimum,relevant,accurate",
    "--accept-warnings",
)


def cli_documents(
    db, record: Record, tmp: Path, audiences_to_run: list[str]
) -> list[tuple[str, str, bytes]]:  # type: ignore[no-untyped-def]
    out = []
    for audience in audiences_to_run:
        path = tmp / f"cli-{audience}-{record.identity.local_ref}.pdf"
        code, stdout, err = run_cli(
            db,
            "summary",
            "--client",
            record.identity.local_ref,
            "--audience",
            audience,
            "--from",
            START.isoformat(),
            "--to",
            TODAY.isoformat(),
            *SHARING,
            "--out",
            str(path),
        )
        assert code == 0, err
        assert_no_canary_in_words(stdout, record, "the command line's output")
        out.append((audience, "command line", path.read_bytes()))
    path = tmp / f"cli-notice-{record.identity.local_ref}.pdf"
    code, stdout, err = run_cli(
        db, "risk-notice", "--event", str(record.urgent_event), *SHARING, "--out", str(path)
    )
    assert code == 0, err
    out.append(("police", "command line risk notice", path.read_bytes()))
    return out


# -- the tests ---------------------------------------------------------------------------------


@pytest.fixture
def keyed(db, db_key):  # type: ignore[no-untyped-def]
    CredentialStore().put(db.path, db_key)
    return db


def test_every_sensitive_table_is_filled(db, psychologist, clinician, admin, tmp_path):
    canaries = Canaries("fixed001")
    identity = Identity(
        "Zyfirst", "Zylast", date(1981, 5, 17), "9434765919", "LR1", "PR1", "1 Zy Road"
    )
    build(db, psychologist, clinician, admin, identity, canaries, ["Shareable text"] * 4, 6)
    missing = set(sensitive_text_columns()) - canaries.filled
    assert not missing, (
        f"No row of {sorted(missing)} is in the leak-test record: add one to build() in "
        "tests/privacy/canary_record.py so its clinical columns are checked."
    )
    unknown = sensitive_other_columns() - NON_TEXT_ACCOUNTED_FOR
    assert not unknown, f"Say how {sorted(unknown)} is kept out of partner documents."
    with db.session() as s:
        # The canaries really are stored (the hook is not a no-op).
        notes_value = s.scalar(select(Client.sharing_notes).where(Client.local_ref == "LR1"))
        assert notes_value == canaries.values["client.sharing_notes"]


def test_no_canary_in_any_partner_document(keyed, psychologist, clinician, admin, tmp_path):
    @given(
        token=TOKEN,
        identity=identities(),
        texts=st.lists(SHAREABLE_TEXT, min_size=4, max_size=4),
        sessions=st.integers(min_value=2, max_value=12),
        cli_audience=st.sampled_from(audiences.AUDIENCE_NAMES),
    )
    @settings(
        max_examples=6,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(
        token: str, identity: Identity, texts: list[str], sessions: int, cli_audience: str
    ) -> None:
        with keyed.session() as s:
            taken = s.scalar(
                select(Client.id).where(
                    (Client.local_ref == identity.local_ref)
                    | (Client.nhs_number == identity.nhs_number)
                )
            )
        if taken is not None:
            return  # hypothesis drew a reference or NHS number already used here
        record = build(
            keyed, psychologist, clinician, admin, identity, Canaries(token), texts, sessions
        )
        produced = export_all(keyed, psychologist, record, tmp_path)
        produced += cli_documents(keyed, record, tmp_path, [cli_audience])
        for audience, where, data in produced:
            assert_no_leak(data, record, audience, where)
        with keyed.transaction() as s:
            csv_text = disclosures.register_csv(s, admin)
        assert_no_canary_in_words(csv_text, record, "the service register CSV")

    check()


def test_every_audience_through_the_command_line(keyed, psychologist, clinician, admin, tmp_path):
    canaries = Canaries("cliall01")
    # References long enough that compressed PDF bytes cannot hold them by chance (a
    # three-letter "LRC" once matched a compressed stream).
    identity = Identity(
        "Zyann", "Zybrook", date(1979, 11, 3), "4010232137", "LRCQZ7741", "PRCQZ7742", "2 Zy Way"
    )
    record = build(keyed, psychologist, clinician, admin, identity, canaries, ["Shareable"] * 4, 5)
    for audience, where, data in cli_documents(
        keyed, record, tmp_path, list(audiences.AUDIENCE_NAMES)
    ):
        assert_no_leak(data, record, audience, where)


def test_a_third_party_named_in_the_purpose_or_recipient_never_reaches_a_document(
    keyed, psychologist, clinician, admin, tmp_path
):
    """The purpose and the recipient's name are printed on every page: a third party's
    name typed there is refused on every export path, and nothing is written or logged."""
    canaries = Canaries("purpose1")
    identity = Identity(
        "Zyfirst", "Zylast", date(1981, 5, 17), "9434765919", "LRP", "PRP", "3 Zy Close"
    )
    record = build(keyed, psychologist, clinician, admin, identity, canaries, ["Shareable"] * 4, 3)
    victim = canaries.values["third_party.name"]
    folder = tmp_path / "out"
    folder.mkdir()
    with keyed.session() as s:
        entries_before = len(disclosures.register_for_client(s, psychologist, record.client_id))
    for decision in (
        replace(DECISION, purpose=f"Update after contact with {victim}"),
        replace(DECISION, recipient_person=victim),
    ):
        with keyed.transaction() as s:
            draft = drafts.prepare_partner_summary(
                s,
                psychologist,
                record.client_id,
                audience="panel",
                period_from=START,
                period_to=TODAY,
            )
            notice = drafts.prepare_risk_notice(s, psychologist, record.urgent_event)
        for export, prepared in (
            (documents.export_partner_summary, draft),
            (documents.export_risk_notice, notice),
        ):
            with pytest.raises(ValidationError) as caught, keyed.transaction() as s:
                export(s, psychologist, prepared, decision, folder / "x.pdf")
            assert {p.where for p in caught.value.problems} & {"purpose", "recipient_person"}
            assert any("name of a third party" in p.message for p in caught.value.problems)
    # The command line, without --accept-warnings.
    sharing = [a for a in SHARING if a != "--accept-warnings"]
    sharing[sharing.index("--purpose") + 1] = f"Update after contact with {victim}"
    code, _, err = run_cli(
        keyed,
        "risk-notice",
        "--event",
        str(record.urgent_event),
        *sharing,
        "--out",
        str(folder / "cli.pdf"),
    )
    assert code == 1 and "name of a third party" in err
    assert list(folder.iterdir()) == []
    with keyed.session() as s:
        assert len(disclosures.register_for_client(s, psychologist, record.client_id)) == (
            entries_before
        )
