"""The record interchange file is the whole record: every THIRD_PARTY value is in it.

It is for clinical transfer between clinic-app databases, not a partner document, so
nothing recorded about victims and other people may be lost on the way. The record is
built with the services while the partner-document leak test's flush hook writes a canary
into every sensitive text column, so a new THIRD_PARTY column is covered here too (and a
new table with such columns fails until a row of it is added below).
"""

from __future__ import annotations

import json
from datetime import date

from clinic_app.models import Base, Privacy, privacy_of
from clinic_app.models.enums import ProtectiveMeasureKind, ThirdPartyRelation
from clinic_app.services import clients, interchange, third_parties
from tests.privacy.canary_record import Canaries, canaried, sensitive_text_columns


def third_party_text_columns() -> list[str]:
    """``table.column`` of every THIRD_PARTY column that holds text."""
    return sorted(
        f"{table}.{name}"
        for table, names in sensitive_text_columns().items()
        for name in names
        if privacy_of(Base.metadata.tables[table].columns[name]) is Privacy.THIRD_PARTY
    )


def test_the_record_file_holds_every_third_party_canary(db, psychologist):  # type: ignore[no-untyped-def]
    canaries = Canaries("xfer0001")
    with db.transaction() as s:
        cid = clients.register_client(
            s,
            psychologist,
            clients.ClientDetails(
                local_ref="XFER-1",
                given_name="Zyfirst",
                family_name="Zylast",
                date_of_birth=date(1981, 5, 17),
                site="North",
                referral_date=date(2024, 1, 5),
            ),
        ).id
        with canaried(s, canaries):
            person = third_parties.add_third_party(
                s,
                psychologist,
                cid,
                third_parties.ThirdPartyInput(relation=ThirdPartyRelation.VICTIM, name="x"),
            )
            third_parties.add_protective_measure(
                s,
                psychologist,
                person.id,
                third_parties.ProtectiveMeasureInput(
                    kind=ProtectiveMeasureKind.RESTRAINING_ORDER,
                    starts_on=date(2024, 2, 1),
                    forbids="x",
                ),
            )
        document = interchange.export_client(s, psychologist, cid)
    columns = third_party_text_columns()
    tables = {c.split(".")[0] for c in columns}
    assert tables <= canaries.filled, f"Add a row of {sorted(tables - canaries.filled)} above."
    dumped = json.dumps(document, ensure_ascii=False)
    missing = [c for c in columns if canaries.values[c] not in dumped]
    assert not missing, f"The record file leaves out {missing}."
