"""What is loaded ahead, on the runner's thread, so that the user does not wait for it.

The application calls these while the sign-in window waits for a password and once the
main window shows. They import modules and read definitions; none creates a widget.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from clinic_app.errors import ClinicError

if TYPE_CHECKING:
    from clinic_app.storage.engine import Database

log = logging.getLogger(__name__)


def load_what_sign_in_needs(database: Database) -> None:
    """Import the models and the services that signing in and Home use, read the shipped
    measure definitions and compile Home's statements (no Qt), on the runner's thread
    while the user types: sign-in and the first Home would otherwise wait about 0.7 s.

    The price is memory held during the password check, when argon2's working memory
    (19 MiB) comes on top of it: what is loaded here the process holds from Home's first
    load onwards anyway, and that, not the check, sets the process's peak.
    """
    import clinic_app.services.clients  # noqa: PLC0415
    import clinic_app.services.staff  # noqa: PLC0415, F401
    from clinic_app.measures.definitions import shipped_definitions  # noqa: PLC0415
    from clinic_app.services import dashboard  # noqa: PLC0415

    shipped_definitions()  # parsed once per process
    try:
        with database.session() as session:
            dashboard.warm_up(session)
    except ClinicError:
        log.info("Home's statements were not prepared ahead; they will be at its first load")


def load_what_site_sign_in_needs() -> None:
    """At a site nothing can be opened before the password is typed (the connection is the
    person's own): load the database layer, the driver and the services meanwhile.

    Not the measure definitions: checking them against their schema holds the
    interpreter for long stretches, which would stall the window while the user types.
    """
    import psycopg  # noqa: PLC0415, F401
    import sqlalchemy.orm  # noqa: PLC0415, F401

    import clinic_app.services.clients  # noqa: PLC0415
    import clinic_app.services.dashboard  # noqa: PLC0415
    import clinic_app.services.site  # noqa: PLC0415, F401


def import_record_screens() -> None:
    """Import what opening a record and its Overview need, on the runner's thread once the
    main window shows.

    Importing defines classes and creates no widget, so it is safe off the GUI thread;
    the first record opened then only builds its widgets (about 0.3 s less on the GUI
    thread). The other tabs' screens wait for :func:`import_other_record_screens`.
    """
    import clinic_app.services.record  # noqa: PLC0415
    import clinic_app.views.record.assembly  # noqa: PLC0415
    import clinic_app.views.record.overview  # noqa: PLC0415
    import clinic_app.views.record.window  # noqa: PLC0415
    import clinic_app.views.risk.actions  # noqa: PLC0415
    import clinic_app.views.risk.tab  # noqa: PLC0415, F401


def import_other_record_screens() -> None:
    """Import the record's other tabs, on the runner's thread once the first record has
    opened: each is built when first shown, and would otherwise import its screens (about
    10 MB of them, with Qt Charts and Qt PDF) on the GUI thread then. Not before a record
    is opened, so that Home alone does not hold them.
    """
    import clinic_app.views.documents.tab  # noqa: PLC0415
    import clinic_app.views.measures.actions  # noqa: PLC0415
    import clinic_app.views.measures.tab  # noqa: PLC0415
    import clinic_app.views.plan.tab  # noqa: PLC0415
    import clinic_app.views.referrals.actions  # noqa: PLC0415
    import clinic_app.views.referrals.tab  # noqa: PLC0415
    import clinic_app.views.sar.tab  # noqa: PLC0415
    import clinic_app.views.sessions.actions  # noqa: PLC0415
    import clinic_app.views.sessions.tab  # noqa: PLC0415
    import clinic_app.views.sharing.document_wizards  # noqa: PLC0415
    import clinic_app.views.sharing.tab  # noqa: PLC0415
    import clinic_app.views.third_parties.actions  # noqa: PLC0415
    import clinic_app.views.third_parties.tab  # noqa: PLC0415, F401
