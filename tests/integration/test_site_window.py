"""The window signs in to a site as the person typing: the connection is their own role."""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from sqlalchemy import text

from clinic_app.app import ClinicApp
from clinic_app.models.enums import Role
from clinic_app.services import clients
from clinic_app.storage import site as site_storage
from clinic_app.storage.site import SiteDatabase, SiteSettings
from clinic_app.views.shell.signin import SignInDialog
from tests.conftest import STAFF_PASSWORD
from tests.gui.stall import no_stalls
from tests.integration.test_site_sign_in import _client

WAIT_MS = 20_000


class SiteApp(ClinicApp):
    """The real application at a site, with the sign-in dialog answered by a script."""

    def __init__(self, site: SiteSettings, sign_ins: list[tuple[str, str]]) -> None:
        super().__init__(Path("not-used.db"), site=site)
        self.sign_ins = sign_ins

    def _ask_sign_in(self, locked_user):  # type: ignore[no-untyped-def]
        return self._sign_in(*self.sign_ins.pop(0))

    def _offer_draft_recovery(self) -> None:
        """Not driven here."""

    def _offer_open_forms(self) -> None:
        """Not driven here."""


def _staff_with_a_client(where, name: str, role: Role, ref: str):  # type: ignore[no-untyped-def]
    who = where.add(name, role)
    with where.owner.begin() as conn:  # as if they had chosen their own password already
        conn.execute(
            text("UPDATE staff_user SET must_change_password = false WHERE id = :i"),
            {"i": who.id},
        )
    with where.owner_db().transaction() as session:
        clients.register_client(session, who, _client(ref, f"{name.title()}client"))
    return who


@pytest.fixture
def small_heap():  # type: ignore[no-untyped-def]
    """Leave the test run's own objects (fixtures, a server's worth of setup) out of the
    garbage collector's passes while the window is measured: a full pass over them, on
    the runner's thread, holds the interpreter for longer than the application's own
    heap at sign-in ever would, and would be counted as a stall of the window."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


def _dialog(qtbot, app: ClinicApp) -> SignInDialog:  # type: ignore[no-untyped-def]
    dialog = SignInDialog(app._sign_in, database=app.where())
    qtbot.addWidget(dialog)
    return dialog


def test_the_sign_in_window_names_the_site_and_signs_in_as_that_person(
    qtbot, fresh_site, small_heap
):
    jones = _staff_with_a_client(fresh_site, "jones", Role.PSYCHOLOGIST, "J1")
    app = ClinicApp(Path("not-used.db"), site=fresh_site.settings)
    dialog = _dialog(qtbot, app)
    where = [
        label.text()
        for label in dialog.findChildren(QLabel)
        if label.accessibleName() == "Database in use"
    ]
    assert where and fresh_site.settings.database in where[0]
    assert fresh_site.settings.host in where[0] and "verify-full" in where[0]
    signed_in = []
    dialog.signed_in.connect(signed_in.append)
    # Shown first: the first window of the process loads fonts and styles, which is Qt's
    # own start-up, not sign-in work.
    dialog.show()
    qtbot.waitExposed(dialog)
    try:
        with no_stalls():
            app._prepare(dialog)
            dialog.username.setText(jones.username)
            dialog.password.setText("not the password")
            dialog.ok_button.click()
            assert not dialog.ok_button.isEnabled()  # the server is asked on the runner
            qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
            assert dialog.message.text() == site_storage.SIGN_IN_MESSAGE
            assert app.database is None
            dialog.password.setText(STAFF_PASSWORD)
            dialog.ok_button.click()
            qtbot.waitUntil(lambda: bool(signed_in), timeout=WAIT_MS)
        assert signed_in[0].id == jones.id
        assert isinstance(app.database, SiteDatabase)
        assert app.database.user == jones.username
        with app.database.session() as session:
            assert session.scalar(text("SELECT session_user")) == jones.username
    finally:
        app.runner.stop()
        app.close_database()


@pytest.mark.parametrize("fault", ["unreachable", "another authority's certificate"])
def test_a_site_that_cannot_be_used_is_said_in_a_plain_sentence_and_nothing_freezes(
    qtbot, fresh_site, small_heap, tmp_path, fault
):
    from tests.pg_server import make_certificates

    if fault == "unreachable":
        where = SiteSettings(
            host="127.0.0.1",
            port=1,  # nothing listens there
            database=fresh_site.settings.database,
            sslmode="require",
            allow_weaker_tls=True,
        )
        expected = site_storage.UNREACHABLE_MESSAGE
    else:
        other_ca, _, _ = make_certificates(tmp_path / "other")
        where = replace(fresh_site.settings, ca_file=other_ca)
        expected = "certificate does not match"
    app = ClinicApp(Path("not-used.db"), site=where)
    dialog = _dialog(qtbot, app)
    dialog.show()
    qtbot.waitExposed(dialog)
    try:
        with no_stalls():
            app._prepare(dialog)
            dialog.username.setText("someone")
            dialog.password.setText("a password")
            dialog.ok_button.click()
            qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
        assert expected in dialog.message.text()
        assert "Traceback" not in dialog.message.text()
        assert app.database is None
    finally:
        app.runner.stop()


def test_two_people_signed_in_to_the_site_each_see_their_own_caseload(qtbot, fresh_site):
    jones = _staff_with_a_client(fresh_site, "jones", Role.PSYCHOLOGIST, "J1")
    patel = _staff_with_a_client(fresh_site, "patel", Role.CLINICIAN, "P1")
    apps = []
    try:
        for who, ref in ((jones, "J1"), (patel, "P1")):
            app = SiteApp(fresh_site.settings, [(who.username, STAFF_PASSWORD)])
            apps.append(app)
            assert app.start()
            qtbot.addWidget(app.window)
            caseload = app.window.caseload
            qtbot.waitUntil(lambda c=caseload: c.model.rowCount() > 0, timeout=WAIT_MS)
            qtbot.waitUntil(lambda a=app: a.runner.idle, timeout=WAIT_MS)
            shown = [
                caseload.model.data(caseload.model.index(row, 0))
                for row in range(caseload.model.rowCount())
            ]
            assert app.workspace is not None and app.workspace.me.id == who.id
            assert caseload.model.rowCount() == 1
            assert any(ref in str(value) for value in shown) or ref in _row_text(caseload)
    finally:
        for app in apps:
            app.idle.pause()
            app.runner.stop()
            app.close_database()


def _row_text(caseload) -> str:  # type: ignore[no-untyped-def]
    model = caseload.model
    return " ".join(
        str(model.data(model.index(0, column))) for column in range(model.columnCount())
    )


def test_the_administration_screen_at_a_site_manages_login_roles(qtbot, fresh_site):
    from clinic_app.services.site import BACKUP_MESSAGE, SiteError
    from clinic_app.views.admin.view import AdministrationView
    from tests.conftest import ADMIN_PASSWORD

    nurse = _staff_with_a_client(fresh_site, "nurse", Role.CLINICIAN, "N1")
    app = SiteApp(fresh_site.settings, [(fresh_site.admin.username, ADMIN_PASSWORD)])
    try:
        assert app.start()
        qtbot.addWidget(app.window)
        home = app.window.home
        assert isinstance(home, AdministrationView)
        accounts = home.accounts
        qtbot.waitUntil(lambda: app.runner.idle, timeout=WAIT_MS)
        actions = accounts._actions
        # The screen's actions, run as the screen runs them (on the runner's thread).
        done: list[object] = []
        failed: list[object] = []
        app.runner.run(
            lambda: actions.change_role(nurse.username, Role.PSYCHOLOGIST),
            done.append,
            failed=failed.append,
        )
        app.runner.run(
            lambda: actions.backup_now(Path("unused.db")), done.append, failed=failed.append
        )
        qtbot.waitUntil(lambda: len(done) + len(failed) == 2, timeout=WAIT_MS)
        assert len(done) == 1 and len(failed) == 1
        assert isinstance(failed[0], SiteError) and failed[0].message == BACKUP_MESSAGE
        with fresh_site.owner.connect() as conn:
            groups = conn.execute(
                text(
                    "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                    "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :n"
                ),
                {"n": nurse.username},
            ).scalars()
            assert list(groups) == ["psychologist"]
    finally:
        app.idle.pause()
        app.runner.stop()
        app.close_database()
