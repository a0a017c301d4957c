"""Search parity: on the same notes, a site's search (PostgreSQL text search) finds the same
notes as a workstation's (SQLite FTS5), for the same words, as typed and as searched.

Order may differ within equal rank (docs/site-mode.md); which notes are found may not.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from clinic_app.models.enums import Attendance, Modality, Role
from clinic_app.services import clients, notes, staff
from clinic_app.services.common import StaffRef
from clinic_app.services.search import MAX_RESULTS, Order, search_notes
from clinic_app.storage.engine import create_database
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD

# Words with the shapes that tokenisers disagree on: accents, apostrophes, hyphens,
# digits, case, stems, and words that are prefixes of others.
WORDS = (
    "café", "cafe", "naïve", "naive", "don't", "follow-up", "e-mail", "O'Brien", "2024", "A14",
    "stalking", "stalker", "stalked", "stalk", "text", "texts", "texting", "texted", "phone",
    "phoned", "Phone", "PHONE", "bus", "buses", "Bus", "garage", "garden", "gardener", "car",
    "cars", "carpark", "park", "parking", "remorse", "rumination", "rumour", "rumours",
    "letter", "letters", "letterbox", "Zoë", "Zoe",
)  # fmt: skip
SECTIONS = ("agenda", "intervention_content", "homework", "risk_checkin", "partner_update")
TYPED = (
    "cafe", "café", "naive", "don't", "dont", "follow-up", "follow", "up", "e-mail", "mail",
    "o'brien", "brien", "2024", "a14", "stalk", "stalking", "sta", "stal", "text", "tex",
    "phone", "PHONE", "bus", "buses", "gar", "garden", "car", "carpark", "park", "rum",
    "rumour", "letter", "letterbox", "zoe", "zoë", "phone bus", "text garage", "stalked car",
)  # fmt: skip
TODAY = date(2026, 11, 30)


def _corpus(database) -> StaffRef:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    with database.transaction() as s:
        admin = staff.create_first_admin(s, "parity.admin", ADMIN_PASSWORD)
        row = staff.add_user(
            s, admin, "parity.jones", role=Role.PSYCHOLOGIST, password=STAFF_PASSWORD
        )
    me = StaffRef(row.id, row.username, row.display_name, row.role)
    with database.transaction() as s:
        for number in range(2):
            made = clients.register_client(
                s,
                me,
                clients.ClientDetails(
                    local_ref=f"PAR-{number}",
                    given_name="Pat",
                    family_name=f"Parity{number}",
                    date_of_birth=date(1980, 1, 1),
                    site="North",
                    referral_date=TODAY - timedelta(days=400),
                ),
                today=TODAY,
            )
            for day in range(60):
                texts = {
                    name: " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6))) + "."
                    for name in SECTIONS
                }
                notes.create_draft(
                    s,
                    me,
                    made.id,
                    notes.NoteContent(
                        session_date=TODAY - timedelta(days=300 - 4 * day),
                        duration_minutes=50,
                        modality=Modality.IN_PERSON,
                        attendance=Attendance.ATTENDED,
                        **texts,  # type: ignore[arg-type]
                    ),
                    today=TODAY,
                )
    return me


def _found(database, me, typed: str, *, while_typing: bool) -> set[tuple[str, date]]:  # type: ignore[no-untyped-def]
    text = typed if while_typing else typed + " "
    with database.session() as s:
        page = search_notes(s, me, text, order=Order.NEWEST, limit=MAX_RESULTS)
    return {(hit.client_ref, hit.session_date) for hit in page.hits}


@pytest.fixture(scope="module")
def engines(tmp_path_factory, pg_server, pg_owner, site_template):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import sessionmaker

    from clinic_app.storage.keys import generate_key
    from clinic_app.storage.site import SiteDatabase, SiteSettings, connect_engine
    from tests.conftest import SITE_OWNER_PASSWORD

    workstation = create_database(tmp_path_factory.mktemp("parity") / "clinic.db", generate_key())
    with pg_server.superuser() as conn:
        conn.execute(f"CREATE DATABASE parity TEMPLATE {site_template} OWNER {pg_owner}")
    settings = SiteSettings(
        host=pg_server.host, port=pg_server.port, database="parity", ca_file=pg_server.ca_file
    )
    engine = connect_engine(settings, pg_owner, SITE_OWNER_PASSWORD)
    site = SiteDatabase(settings, pg_owner, engine, sessionmaker(engine, expire_on_commit=False))
    yield (workstation, _corpus(workstation)), (site, _corpus(site))
    workstation.close()
    engine.dispose()


@pytest.mark.parametrize("typed", TYPED)
@pytest.mark.parametrize("while_typing", [True, False], ids=["as typed", "searched"])
def test_the_site_finds_the_same_notes_as_the_workstation(engines, typed, while_typing):
    (workstation, me_there), (site, me_here) = engines
    expected = _found(workstation, me_there, typed, while_typing=while_typing)
    assert _found(site, me_here, typed, while_typing=while_typing) == expected


def test_the_comparison_is_not_between_empty_results(engines):
    (workstation, me), _ = engines
    found = [typed for typed in TYPED if _found(workstation, me, typed, while_typing=True)]
    assert set(TYPED) - set(found) == {"dont"}  # every other word finds notes
