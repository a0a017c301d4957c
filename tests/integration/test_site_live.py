"""Live refresh at a site, and the server going away, on a real PostgreSQL server.

Two members of staff signed in through the application's own connections (their own
roles): a change committed by one reaches the other's listener (``storage.live``) within
2 seconds; a notice about a client someone may not see is heard (the channel is the same
for everyone: ids only) but leads to nothing. The server is stopped and started again
under the listeners, so these tests have a server of their own.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from clinic_app.models.enums import ReferralUrgency, RiskEventKind, Role, Urgency
from clinic_app.services import changes, clients, live, notes, risk
from clinic_app.services.common import StaffRef
from clinic_app.services.workspace import Workspace
from clinic_app.storage.live import ChangeListener, ChangeNotice
from clinic_app.storage.site import SiteDatabase
from tests.conftest import SITE_OWNER, SITE_OWNER_PASSWORD, client_details
from tests.integration.conftest import Site, make_site

DELIVERY_SECONDS = 2.0
UNREACHABLE_SECONDS = 10.0


@pytest.fixture(scope="module")
def own_server() -> Iterator[Any]:
    """A server of these tests' own: they stop and restart it."""
    from tests.pg_server import PgServer, find_binaries

    folder = find_binaries()
    if folder is None:
        pytest.skip("PostgreSQL 15 or newer is not installed (Debian package 'postgresql')")
    server = PgServer.start(folder)
    with server.superuser() as conn:
        conn.execute(
            f"CREATE ROLE {SITE_OWNER} LOGIN CREATEROLE NOSUPERUSER "
            f"PASSWORD '{SITE_OWNER_PASSWORD}'"
        )
    yield server
    try:
        server.stop()
    except RuntimeError:  # a test left it halted
        server._remove()


@pytest.fixture(scope="module")
def team(own_server) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    made = make_site(own_server, SITE_OWNER)
    made.add("jones", Role.PSYCHOLOGIST)
    made.add("smith", Role.CLINICIAN)
    made.add("lee", Role.CLINICIAN)
    yield made
    made.close()


class Heard:
    """A listener's notices and reachability changes, waited for with a deadline."""

    def __init__(self, database: SiteDatabase) -> None:
        assert database.connect is not None
        self.notices: queue.Queue[ChangeNotice] = queue.Queue()
        self.reachability: queue.Queue[bool] = queue.Queue()
        self.listener = ChangeListener(
            database.connect, self.notices.put, self.reachability.put
        ).start()
        assert self.listener.wait_listening(10)

    def notice(self, timeout: float = DELIVERY_SECONDS) -> ChangeNotice:
        return self.notices.get(timeout=timeout)

    def nothing_more(self) -> list[ChangeNotice]:
        found = []
        while not self.notices.empty():
            found.append(self.notices.get_nowait())
        return found


def _client(site: Site, lead: StaffRef, number: int, *others: StaffRef) -> int:
    with site.open_as(lead).transaction() as session:
        client_id = clients.register_client(
            session,
            lead,
            client_details(local_ref=f"LIVE-{number:04d}", nhs_number="", police_ref=""),
        ).id
        for other in others:
            clients.assign_staff(session, lead, client_id, other.id)
    return client_id


_numbers = iter(range(1, 1000))


@pytest.fixture
def shared_client(team: Site) -> int:
    """A client of jones and smith; lee is not on the case."""
    return _client(team, team.staff["jones"], next(_numbers), team.staff["smith"])


def _record_risk(workspace: Workspace, client_id: int) -> None:
    workspace.call(
        risk.record_risk_event,
        client_id,
        kind=RiskEventKind.NEW_VICTIM,
        urgency=Urgency.URGENT,
        occurred_on=date(2026, 12, 7),
        detail="Canary detail that must never travel in a notice",
        shareable_statement="Canary statement",
    )


def test_an_urgent_risk_event_reaches_a_colleague_within_two_seconds(team, shared_client):
    jones_db = team.open_as(team.staff["jones"])
    smith = Workspace(team.open_as(team.staff["smith"]), team.staff["smith"])
    heard = Heard(jones_db)
    try:
        _record_risk(smith, shared_client)
        notice = heard.notice()  # within DELIVERY_SECONDS, or queue.Empty fails the test
        assert notice == ChangeNotice(shared_client, "risk_event")
        # jones may see it: it counts as a change for Home's urgent-risk section.
        jones = Workspace(jones_db, team.staff["jones"])
        before = changes.generation(live.TABLES_BY_KIND["risk_event"])
        assert jones.call(live.visible_changes, [notice]) == [notice]
        assert changes.generation(live.TABLES_BY_KIND["risk_event"]) == before + 1
    finally:
        heard.listener.stop()


def test_a_rolled_back_change_sends_nothing(team, shared_client):
    heard = Heard(team.open_as(team.staff["jones"]))
    smith_db = team.open_as(team.staff["smith"])
    try:
        with smith_db.session() as session:
            risk.record_risk_event(
                session,
                team.staff["smith"],
                shared_client,
                kind=RiskEventKind.ESCALATION,
                urgency=Urgency.URGENT,
                occurred_on=date(2026, 12, 7),
                detail="Never committed",
                shareable_statement="Never committed",
            )
            session.rollback()
        # A committed change after it is the first (and only) thing heard.
        _record_risk(Workspace(smith_db, team.staff["smith"]), shared_client)
        assert heard.notice() == ChangeNotice(shared_client, "risk_event")
        assert heard.nothing_more() == []
    finally:
        heard.listener.stop()


def test_share_decisions_signed_notes_and_referrals_are_announced(team, shared_client):
    from clinic_app.models.enums import Attendance, Modality, ServiceKind, ShareDecisionKind
    from clinic_app.services import referrals, service_directory
    from tests.conftest import STAFF_PASSWORD

    smith_ref = team.staff["smith"]
    smith = Workspace(team.open_as(smith_ref), smith_ref)
    heard = Heard(team.open_as(team.staff["jones"]))
    try:
        event = smith.call(
            risk.record_risk_event,
            shared_client,
            kind=RiskEventKind.ORDER_BREACH,
            urgency=Urgency.URGENT,
            occurred_on=date(2026, 12, 7),
            detail="Detail",
            shareable_statement="Statement",
        )
        assert heard.notice() == ChangeNotice(shared_client, "risk_event")
        smith.call(
            risk.record_share_decision,
            event.id,
            decision=ShareDecisionKind.NOT_SHARED,
            reason="Not needed yet",
            client_informed=True,
        )
        assert heard.notice() == ChangeNotice(shared_client, "share_decision")

        content = notes.NoteContent(
            session_date=date(2026, 12, 7),
            duration_minutes=50,
            modality=Modality.IN_PERSON,
            attendance=Attendance.ATTENDED,
            agenda="Agenda",
        )
        note = smith.call(notes.create_draft, shared_client, content)
        smith.call(notes.edit_draft, note.id, content, expected_version=note.version)
        # A draft is nobody else's business yet: nothing is announced until it is signed.
        # (Signing as a member of staff needs the server's re-authentication, not built
        # yet; the owner's connection signs in smith's name, as an import would.)
        with team.owner_db().transaction() as session:
            notes.sign_note(session, smith_ref, note.id, password=STAFF_PASSWORD)
        assert heard.notice() == ChangeNotice(shared_client, "signed_note")

        with team.owner_db().transaction() as session:
            service = service_directory.add_service(
                session, team.admin, name=f"Service {shared_client}", kind=ServiceKind.PSYCHIATRY
            )
        smith.call(
            referrals.create_referral,
            shared_client,
            service_id=service.id,
            reason="Reason",
            urgency=ReferralUrgency.ROUTINE,
        )
        assert heard.notice() == ChangeNotice(shared_client, "referral")
        assert heard.nothing_more() == []
    finally:
        heard.listener.stop()


def test_a_workstation_is_not_told_of_its_own_changes(team, shared_client):
    # Its own screens refreshed when they saved; the same person on another computer is
    # told (another process, other connections).
    from clinic_app.models.enums import ShareDecisionKind

    jones_ref = team.staff["jones"]
    here = team.open_as(jones_ref)
    assert here.connect is not None
    heard_here: queue.Queue[ChangeNotice] = queue.Queue()
    own = ChangeListener(
        here.connect, heard_here.put, queue.Queue().put, own_pids=here.backend_pids
    ).start()
    elsewhere = Heard(team.open_as(jones_ref))
    try:
        assert own.wait_listening(10)
        event = Workspace(here, jones_ref).call(
            risk.record_risk_event,
            shared_client,
            kind=RiskEventKind.NEW_VICTIM,
            urgency=Urgency.URGENT,
            occurred_on=date(2026, 12, 7),
            detail="Detail",
            shareable_statement="Statement",
        )
        assert elsewhere.notice() == ChangeNotice(shared_client, "risk_event")
        # Then a colleague's change: it is the first thing heard here (notices arrive in
        # commit order, so the own change would have come before it).
        smith = Workspace(team.open_as(team.staff["smith"]), team.staff["smith"])
        smith.call(
            risk.record_share_decision,
            event.id,
            decision=ShareDecisionKind.NOT_SHARED,
            reason="Not needed yet",
            client_informed=True,
        )
        assert heard_here.get(timeout=DELIVERY_SECONDS) == ChangeNotice(
            shared_client, "share_decision"
        )
    finally:
        own.stop()
        elsewhere.listener.stop()


def test_a_client_not_assigned_leads_to_nothing_visible(team, shared_client):
    lee_ref = team.staff["lee"]
    lee_db = team.open_as(lee_ref)
    heard = Heard(lee_db)
    smith = Workspace(team.open_as(team.staff["smith"]), team.staff["smith"])
    try:
        _record_risk(smith, shared_client)
        # The channel is the same for everyone: lee hears that something happened to a
        # client id, and nothing else (no text, no kind of detail).
        notice = heard.notice()
        assert notice == ChangeNotice(shared_client, "risk_event")
        before = changes.generation(live.TABLES_BY_KIND["risk_event"])
        assert Workspace(lee_db, lee_ref).call(live.visible_changes, [notice]) == []
        assert changes.generation(live.TABLES_BY_KIND["risk_event"]) == before
    finally:
        heard.listener.stop()


def test_the_payload_holds_ids_only(team, shared_client):
    raw = team.raw(team.staff["lee"])
    try:
        raw.execute("LISTEN clinic_change")
        _record_risk(
            Workspace(team.open_as(team.staff["smith"]), team.staff["smith"]), shared_client
        )
        payloads = [n.payload for n in raw.notifies(timeout=DELIVERY_SECONDS, stop_after=1)]
    finally:
        raw.close()
    assert payloads == [f'{{"client_id" : {shared_client}, "kind" : "risk_event"}}']
    assert "Canary" not in payloads[0]


def test_the_server_away_is_noticed_and_listening_resumes_when_it_is_back(
    own_server, team, shared_client
):
    jones_db = team.open_as(team.staff["jones"])
    heard = Heard(jones_db)
    smith_db = team.open_as(team.staff["smith"])
    jones = Workspace(jones_db, team.staff["jones"])
    jones.call(clients.caseload)  # a pooled connection, which the server will close
    try:
        own_server.halt()
        try:
            assert heard.reachability.get(timeout=UNREACHABLE_SECONDS) is False
            # A save meanwhile fails with the plain message, and nothing is written.
            from clinic_app.storage.site import SiteUnreachable

            with pytest.raises(SiteUnreachable):
                _record_risk(Workspace(smith_db, team.staff["smith"]), shared_client)
        finally:
            own_server.resume()
        assert heard.reachability.get(timeout=UNREACHABLE_SECONDS) is True
        # The first unit of work after the restart connects again instead of failing.
        assert [row.client.id for row in jones.call(clients.caseload)] == [
            row.client.id for row in jones.call(clients.caseload)
        ]
        _record_risk(Workspace(smith_db, team.staff["smith"]), shared_client)
        assert heard.notice() == ChangeNotice(shared_client, "risk_event")
    finally:
        heard.listener.stop()


def test_a_server_that_stops_answering_without_closing_is_noticed_within_ten_seconds(
    own_server, team
):
    # A frozen server, or a network that drops packets silently: nothing is closed and the
    # kernel still acknowledges, so only the listener's own patience can tell.
    heard = Heard(team.open_as(team.staff["jones"]))
    try:
        own_server.freeze()
        try:
            assert heard.reachability.get(timeout=UNREACHABLE_SECONDS) is False
        finally:
            own_server.thaw()
        assert heard.reachability.get(timeout=UNREACHABLE_SECONDS) is True
    finally:
        heard.listener.stop()


# -- the window, signed in to the site -------------------------------------------------------
#
# The window's own sign-in to a site is not built yet: these tests give the real
# application a site database opened as the member of staff and show its main window, as
# signing in will. Its runner is the real threaded one and its workspace refuses any use
# case on the GUI thread.


@pytest.fixture
def window_of(qtbot, team, tmp_path):  # type: ignore[no-untyped-def]
    from clinic_app.app import ClinicApp
    from clinic_app.views.common.runner import use_runner

    started: list[ClinicApp] = []

    def sign_in(who: StaffRef) -> ClinicApp:
        app = ClinicApp(tmp_path / f"{who.username}.db")
        app.database = team.open_as(who)  # type: ignore[assignment]
        app._show_main(who)
        assert app.window is not None and app.live is not None
        qtbot.addWidget(app.window)
        started.append(app)
        qtbot.waitUntil(lambda: app.runner.idle, timeout=20_000)
        return app

    previous = use_runner(None)
    yield sign_in
    for app in started:
        app.idle.pause()
        app._stop_live()
        app.runner.stop()
    use_runner(previous)


def _idle(qtbot, app, timeout: int = 20_000) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: app.runner.idle, timeout=timeout)


def _record_urgent(team: Site, client_id: int) -> None:
    # Recorded by smith on their own workstation (another process in real life).
    _record_risk(Workspace(team.open_as(team.staff["smith"]), team.staff["smith"]), client_id)


def test_the_open_record_and_home_show_a_colleagues_urgent_risk_within_two_seconds(
    qtbot, team, shared_client, window_of
):
    from clinic_app.views.home.dashboard import DashboardView
    from tests.gui.record.opening import open_record

    app = window_of(team.staff["jones"])
    view = open_record(qtbot, app, shared_client)
    assert view.banner is not None
    _idle(qtbot, app)
    assert not view.banner.needed
    _record_urgent(team, shared_client)
    # The urgent-risk banner of the open record appears, within 2 seconds.
    qtbot.waitUntil(lambda: view.banner.needed, timeout=2_000)
    assert "risk event" in view.banner.title.text()

    home = app.window.home
    assert isinstance(home, DashboardView)
    app.window.tabs.setCurrentWidget(home)
    _idle(qtbot, app)
    before = len(home.items("urgent_risk"))
    _record_urgent(team, shared_client)
    qtbot.waitUntil(lambda: len(home.items("urgent_risk")) > before, timeout=2_000)


def test_a_colleagues_change_to_a_client_not_assigned_shows_nothing(
    qtbot, team, shared_client, window_of
):
    jones = window_of(team.staff["jones"])
    lee = window_of(team.staff["lee"])
    heard_by = {"jones": [], "lee": []}  # type: ignore[var-annotated]
    jones.live.clients_changed.connect(heard_by["jones"].append)
    lee.live.clients_changed.connect(heard_by["lee"].append)
    asked_of_lee: list[object] = []
    lee_home = lee.window.home
    lee_home.loaded.connect(lambda: asked_of_lee.append("home reloaded"))
    _record_urgent(team, shared_client)
    qtbot.waitUntil(lambda: heard_by["jones"] == [[shared_client]], timeout=2_000)
    # Lee's listener heard the same notice at the same moment: let it be sorted out.
    qtbot.wait(300)
    _idle(qtbot, lee)
    assert heard_by["lee"] == []
    assert asked_of_lee == []


def test_the_server_away_is_said_in_one_sentence_and_typed_text_is_saved_when_it_is_back(
    qtbot, own_server, team, shared_client, window_of
):
    import threading

    from sqlalchemy import select

    from clinic_app.models import NoteDraft
    from clinic_app.views.common.live import UNREACHABLE_TEXT
    from clinic_app.views.sessions.tab import SessionsTab
    from tests.gui.record.opening import open_record, show_part
    from tests.gui.stall import no_stalls

    canary = "Canary-site typed while the server was away"
    app = window_of(team.staff["jones"])
    view = open_record(qtbot, app, shared_client)
    sessions = show_part(qtbot, app, view, "Sessions")
    assert isinstance(sessions, SessionsTab)
    editor = sessions.new_note()
    notice = app.window.connection_notice
    assert not notice.isVisible()

    def in_background(work) -> threading.Thread:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=work)  # pg_ctl waits; the GUI thread must not
        thread.start()
        return thread

    with no_stalls():
        halting = in_background(own_server.halt)
        qtbot.waitUntil(lambda: not halting.is_alive(), timeout=20_000)
        qtbot.waitUntil(notice.isVisible, timeout=10_000)
        assert notice.text() == UNREACHABLE_TEXT
        editor.sections["intervention_content"].setPlainText(canary)
        editor.autosave_now()  # fails: the server is away
        _idle(qtbot, app)
        assert editor.sections["intervention_content"].toPlainText() == canary
        assert editor.needs_autosave  # still to be tried again
    # Kept meanwhile in the encrypted store on this computer (a crash would not lose it).
    assert app.kept_drafts is not None
    store, site = app.kept_drafts
    jones_id = team.staff["jones"].id
    assert [k.fields["intervention_content"] for k in store.kept(site, jones_id)] == [canary]
    with no_stalls():
        resuming = in_background(own_server.resume)
        qtbot.waitUntil(lambda: not resuming.is_alive(), timeout=60_000)
        qtbot.waitUntil(lambda: not notice.isVisible(), timeout=10_000)
        _idle(qtbot, app)
    assert not editor.needs_autosave
    assert store.kept(site, jones_id) == []  # the site has it: the copy here is gone
    with team.owner_db().session() as session:
        kept = session.scalars(
            select(NoteDraft).where(NoteDraft.staff_id == team.staff["jones"].id)
        ).all()
    assert any(draft.fields.get("intervention_content") == canary for draft in kept)


def test_text_kept_here_when_the_application_closed_is_saved_at_the_next_sign_in(
    qtbot, team, shared_client, window_of
):
    from sqlalchemy import select

    from clinic_app.models import NoteDraft
    from clinic_app.storage.keys import CredentialStore
    from clinic_app.storage.local_drafts import LocalDraftStore, default_path

    canary = "Canary-site kept when the window closed"
    jones = team.staff["jones"]
    site = f"{team.settings.host}:{team.settings.port}/{team.settings.database}"
    LocalDraftStore(default_path(), CredentialStore).keep(
        site, jones.id, shared_client, None, {"agenda": canary}
    )
    app = window_of(jones)
    _idle(qtbot, app)
    assert app.kept_drafts is not None
    assert app.kept_drafts[0].kept(site, jones.id) == []
    with team.owner_db().session() as session:
        kept = session.scalars(select(NoteDraft).where(NoteDraft.staff_id == jones.id)).all()
    assert any(draft.fields.get("agenda") == canary for draft in kept)


def _open_form(app, client_id: int, text: str):  # type: ignore[no-untyped-def]
    """A form open in the window, marked as the record's forms are (its text not saved)."""
    from PySide6.QtWidgets import QDialog, QPlainTextEdit, QVBoxLayout

    from clinic_app.views.common.form_drafts import remember_form

    dialog = QDialog(app.window)
    detail = QPlainTextEdit(dialog)
    detail.setAccessibleName("Detail")
    QVBoxLayout(dialog).addWidget(detail)
    detail.setPlainText(text)
    remember_form(dialog, client_id=client_id, tab="Risk", form="new_event")
    dialog.show()
    return dialog, detail


def _in_background(work):  # type: ignore[no-untyped-def]
    import threading

    thread = threading.Thread(target=work)  # pg_ctl waits; the GUI thread must not
    thread.start()
    return thread


def test_open_forms_are_kept_here_while_the_server_is_away(
    qtbot, own_server, team, shared_client, window_of, monkeypatch
):
    from clinic_app.views.shell import kept_here
    from tests.gui.stall import no_stalls

    monkeypatch.setattr(kept_here, "KEEP_FORMS_EVERY_MS", 300)
    canary = "Canary-form typed while the server was away"
    jones = team.staff["jones"]
    app = window_of(jones)
    dialog, detail = _open_form(app, shared_client, canary)
    assert app.kept_drafts is not None
    store, site = app.kept_drafts
    notice = app.window.connection_notice
    with no_stalls():
        halting = _in_background(own_server.halt)
        qtbot.waitUntil(lambda: not halting.is_alive(), timeout=20_000)
        qtbot.waitUntil(notice.isVisible, timeout=10_000)
        # Kept at once, then again every few seconds with what has been typed since.
        qtbot.waitUntil(
            lambda: [f["state"] for f in store.open_forms(site, jones.id)] == [{"Detail": canary}],
            timeout=10_000,
        )
        detail.setPlainText(canary + " and more")
        qtbot.waitUntil(
            lambda: (
                [f["state"]["Detail"] for f in store.open_forms(site, jones.id)]
                == [canary + " and more"]
            ),
            timeout=10_000,
        )
        resuming = _in_background(own_server.resume)
        qtbot.waitUntil(lambda: not resuming.is_alive(), timeout=60_000)
        qtbot.waitUntil(lambda: not notice.isVisible(), timeout=10_000)
        _idle(qtbot, app)
    # The site is back and the form still open: the copy here is gone, the text is not.
    assert store.open_forms(site, jones.id) == []
    assert dialog.isVisible() and detail.toPlainText() == canary + " and more"
    dialog.close()


def test_forms_kept_here_when_the_application_closed_wait_at_the_site_for_the_next_sign_in(
    qtbot, team, shared_client, window_of
):
    from clinic_app.services import form_drafts, offline
    from clinic_app.services.form_drafts import OpenForm
    from clinic_app.storage.keys import CredentialStore
    from clinic_app.storage.local_drafts import LocalDraftStore, default_path

    canary = "Canary-form kept when the window closed"
    smith = team.staff["smith"]
    site = f"{team.settings.host}:{team.settings.port}/{team.settings.database}"
    form = OpenForm(shared_client, "Risk", "new_event", {}, {"Detail": canary})
    here = LocalDraftStore(default_path(), CredentialStore)
    offline.keep_forms_here(here, site, smith.id, [form])
    app = window_of(smith)
    _idle(qtbot, app)
    assert app.kept_drafts is not None
    assert app.kept_drafts[0].open_forms(site, smith.id) == []
    assert app.kept_drafts[0].waiting_forms(site, smith.id) == ([], None)
    waiting = Workspace(team.open_as(smith), smith).call(form_drafts.waiting_forms)
    assert [w.form for w in waiting] == [form]  # offered to open again after sign-in


def test_forms_open_when_the_screen_locks_while_the_server_is_away_are_kept_here(
    qtbot, own_server, team, shared_client, window_of
):
    canary = "Canary-form open when the screen locked, server away"
    lee = team.staff["lee"]
    client_of_lee = _client(team, team.staff["jones"], next(_numbers), lee)
    app = window_of(lee)
    _open_form(app, client_of_lee, canary)
    assert app.kept_drafts is not None
    store, site = app.kept_drafts
    app._unlock = lambda resume: None  # type: ignore[method-assign]  # no sign-in asked
    halting = _in_background(own_server.halt)
    qtbot.waitUntil(lambda: not halting.is_alive(), timeout=20_000)
    try:
        app.lock()
        assert app.window is None  # locked at once
        qtbot.waitUntil(lambda: app.runner.idle, timeout=30_000)
        kept, _when = store.waiting_forms(site, lee.id)
        assert [(f["client_id"], f["state"]) for f in kept] == [(client_of_lee, {"Detail": canary})]
        assert app._forms_not_kept == 0  # nothing lost
    finally:
        resuming = _in_background(own_server.resume)
        qtbot.waitUntil(lambda: not resuming.is_alive(), timeout=60_000)
    store.forget_waiting_forms(site, lee.id)


def test_forms_the_site_keeps_at_a_lock_are_not_also_kept_here(qtbot, team, window_of):
    # The site seemed away a moment ago (its open forms were kept here), and is back when
    # the screen locks: the forms reach the site, and the copy here must not come back too.
    from clinic_app.services import form_drafts, offline
    from clinic_app.services.form_drafts import OpenForm

    canary = "Canary-form kept at the site at the lock"
    smith = team.staff["smith"]
    client_of_smith = _client(team, team.staff["jones"], next(_numbers), smith)
    app = window_of(smith)
    _open_form(app, client_of_smith, canary)
    assert app.kept_drafts is not None
    store, site = app.kept_drafts
    earlier = OpenForm(client_of_smith, "Risk", "new_event", {}, {"Detail": canary[:20]})
    offline.keep_forms_here(store, site, smith.id, [earlier])
    app._unlock = lambda resume: None  # type: ignore[method-assign]  # no sign-in asked
    app.lock()
    qtbot.waitUntil(lambda: app.runner.idle, timeout=20_000)
    assert store.open_forms(site, smith.id) == []
    workspace = Workspace(team.open_as(smith), smith)
    waiting = workspace.call(form_drafts.take_open_forms)
    assert [w.state for w in waiting if w.client_id == client_of_smith] == [{"Detail": canary}]
