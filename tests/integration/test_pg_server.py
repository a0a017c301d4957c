"""The test PostgreSQL server is real, unprivileged, and speaks only TLS with SCRAM."""

from __future__ import annotations

import psycopg
import pytest


def test_server_answers_over_verified_tls(pg_server):
    with pg_server.superuser() as conn:
        assert int(conn.execute("SHOW server_version_num").fetchone()[0]) >= 150000
        assert conn.execute("SHOW password_encryption").fetchone()[0] == "scram-sha-256"
        in_use = conn.execute(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()[0]
        assert in_use is True
        assert conn.info.pgconn.ssl_in_use


def test_server_does_not_run_as_root(pg_server):
    pid = int((pg_server.data / "postmaster.pid").read_text().split()[0])
    assert (pg_server.data / "postmaster.pid").stat().st_uid != 0
    with open(f"/proc/{pid}/status") as status:
        uid_line = next(line for line in status if line.startswith("Uid:"))
    assert uid_line.split()[1] != "0"


def test_plain_connections_and_wrong_host_names_are_refused(pg_server):
    with pytest.raises(psycopg.OperationalError, match=r"reject|no encryption"):
        psycopg.connect(pg_server.dsn(sslmode="disable"))
    # The certificate names localhost and 127.0.0.1: any other name fails verify-full.
    wrong = pg_server.dsn().replace("host=localhost", "host=127.0.0.2 hostaddr=127.0.0.1")
    with pytest.raises(psycopg.OperationalError, match=r"certificate|match"):
        psycopg.connect(wrong)
