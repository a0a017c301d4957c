"""Logs never hold clinical text, even when a database error quotes the values it was given."""

from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import text

from clinic_app import cli
from clinic_app.cli.common import EXIT_BUG, Context
from clinic_app.views.common import feedback

CANARY = "Canary-5d1e formulation text"


def test_database_errors_do_not_quote_the_values(db):
    with db.session() as session, pytest.raises(Exception) as caught:
        # A constraint failure on a statement carrying clinical text.
        session.execute(
            text(
                "INSERT INTO session_note (id, client_id, intervention_content) VALUES (1, 999, :t)"
            ),
            {"t": CANARY},
        )
    assert CANARY not in str(caught.value)


def test_the_crash_log_keeps_where_not_what(qapp, tmp_path, monkeypatch):
    monkeypatch.setattr(feedback.QMessageBox, "exec", lambda box: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    log_file = tmp_path / "app.log"
    feedback.install_excepthook(log_file)
    try:
        raise ValueError(CANARY)
    except ValueError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    written = log_file.read_text()
    assert "ValueError" in written and "test_logs.py" in written
    assert CANARY not in written


def test_the_command_line_crash_log_keeps_where_not_what(tmp_path, monkeypatch):
    def explode(self):
        raise RuntimeError(CANARY)

    monkeypatch.setattr(Context, "database", explode)
    err = io.StringIO()
    code = cli.main(["audit", "verify"], stdin=io.StringIO(), stdout=io.StringIO(), stderr=err)
    assert code == EXIT_BUG
    assert CANARY not in err.getvalue()
    log = (tmp_path / "data" / "logs" / "clinic-app.log").read_text()
    assert "RuntimeError" in log and CANARY not in log
