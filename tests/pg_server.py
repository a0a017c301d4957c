"""A real PostgreSQL server for the tests, run from the distribution's binaries.

No mock and no SQLite stand-in: ``PgServer.start()`` makes a temporary folder, a data
directory in it (``initdb`` with SCRAM-SHA-256 passwords), a small certificate authority
and a server certificate for ``localhost`` (so ``sslmode=verify-full`` is exercised), and
starts ``postgres`` on a free port, listening on 127.0.0.1 (TLS only) and on a Unix
socket inside the folder. ``stop()`` stops it and removes the folder. ``halt()`` stops it
and keeps its data, ``resume()`` starts it again on the same port (a server restarted
under a running application); ``freeze()`` and ``thaw()`` pause its processes (a network
that silently drops every packet).

PostgreSQL refuses to run as root. When the tests run as root (a container, CI), the
server's files belong to the unprivileged user ``nobody`` and every server program is run
as that user through ``runuser``.

The binaries are looked for in ``CLINIC_APP_PG_BIN``, then in the newest
``/usr/lib/postgresql/<version>/bin`` (version 15 or newer), then on ``PATH``.
``python3 dev.py test`` installs the ``postgresql`` package when it is missing.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MIN_VERSION = 15
SUPERUSER = "clinic_superuser"
UNPRIVILEGED = "nobody"
AUTH_DELAY_MS = 100  # auth_delay: a wrong password is answered this much later


def find_binaries() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres`` (15+), or None."""
    wanted = os.environ.get("CLINIC_APP_PG_BIN")
    if wanted:
        folder = Path(wanted)
        return folder if (folder / "pg_ctl").exists() else None
    versions = []
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        version = folder.parent.name
        if version.isdigit() and int(version) >= MIN_VERSION and (folder / "pg_ctl").exists():
            versions.append((int(version), folder))
    if versions:
        return max(versions)[1]
    on_path = shutil.which("pg_ctl")
    if on_path is None:
        return None
    folder = Path(on_path).parent
    if (folder / "initdb").exists() and _major(folder) >= MIN_VERSION:
        return folder
    return None


def _major(folder: Path) -> int:
    done = subprocess.run(
        [str(folder / "postgres"), "--version"], capture_output=True, text=True, check=False
    )
    match = re.search(r"(\d+)", done.stdout)
    return int(match.group(1)) if match else 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority and a server certificate for localhost signed by it.

    Returns (CA certificate, server certificate, server key).
    """
    folder.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=clinic-app test CA", "-keyout", "ca.key", "-out", "ca.crt",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    (folder / "server.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        "basicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "server.key", "-out", "server.csr", cwd=folder,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt",
        cwd=folder,
    )  # fmt: skip
    return folder / "ca.crt", folder / "server.crt", folder / "server.key"


@dataclass
class PgServer:
    """One running PostgreSQL server in a temporary folder."""

    bin: Path
    root: Path
    port: int
    superuser_password: str = field(repr=False)
    ca_file: Path
    host: str = "localhost"
    _as_root: bool = False

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self._as_root:
            command = ["runuser", "-u", UNPRIVILEGED, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}\n{tail}")
        return done

    @classmethod
    def start(cls, bin_dir: Path) -> PgServer:
        root = Path(tempfile.mkdtemp(prefix="clinic-app-pg-"))
        as_root = os.geteuid() == 0
        password = secrets.token_urlsafe(24)
        ca, cert, key = make_certificates(root / "tls")
        (root / "pwfile").write_text(password + "\n")
        server = cls(bin_dir, root, _free_port(), password, ca, _as_root=as_root)
        if as_root:
            shutil.chown(root, UNPRIVILEGED)
            for path in (root / "pwfile", root / "tls", cert, key):
                shutil.chown(path, UNPRIVILEGED)
        root.chmod(0o700)
        key.chmod(0o600)
        try:
            server._run(
                str(bin_dir / "initdb"), "-D", str(server.data), "-U", SUPERUSER,
                "--auth=scram-sha-256", f"--pwfile={root / 'pwfile'}",
                "-E", "UTF8", "--no-locale", "--no-sync",
            )  # fmt: skip
            (root / "pwfile").unlink()
            with (server.data / "postgresql.conf").open("a") as conf:
                conf.write(
                    f"\nlisten_addresses = '127.0.0.1'\nport = {server.port}\n"
                    f"unix_socket_directories = '{root}'\n"
                    "password_encryption = 'scram-sha-256'\n"
                    f"ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n"
                    f"ssl_ca_file = '{ca}'\nssl_min_protocol_version = 'TLSv1.2'\n"
                    # A test server: what it holds is thrown away, so it need not survive
                    # a power cut, and it should be small and quick.
                    "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
                    "shared_buffers = 32MB\nmax_connections = 60\n"
                    "log_min_messages = warning\n"
                    # As the IT guide advises: a pause after each failed sign-in.
                    "shared_preload_libraries = 'auth_delay'\n"
                    f"auth_delay.milliseconds = {AUTH_DELAY_MS}\n"
                )
            # TLS on the network, always; passwords by SCRAM; nothing else is let in.
            (server.data / "pg_hba.conf").write_text(
                "local all all scram-sha-256\n"
                "hostssl all all 127.0.0.1/32 scram-sha-256\n"
                "hostnossl all all 127.0.0.1/32 reject\n"
            )
            server._run(
                str(bin_dir / "pg_ctl"), "-D", str(server.data), "-l",
                str(root / "server.log"), "-w", "-t", "60", "start",
            )  # fmt: skip
        except BaseException:
            server._remove()
            raise
        return server

    def halt(self) -> None:
        """Stop the server (connections are cut at once), keeping its data for resume()."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start a halted server again, on the same port with the same data."""
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
            str(self.root / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def _server_pids(self) -> list[int]:
        """The postmaster of this server and its children (backends, workers)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    def freeze(self) -> None:
        """Stop this server's processes without closing anything (SIGSTOP): to a client it
        looks like a network that swallows every packet. thaw() lets them go on."""
        for pid in self._server_pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._server_pids():
            os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            self._remove()

    def _remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def dsn(
        self,
        user: str = SUPERUSER,
        password: str | None = None,
        dbname: str = "postgres",
        sslmode: str = "verify-full",
    ) -> str:
        """A libpq connection string over TCP with TLS checked against the test CA."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(
            host=self.host,
            port=self.port,
            dbname=dbname,
            user=user,
            password=self.superuser_password if password is None else password,
            sslmode=sslmode,
            sslrootcert=str(self.ca_file),
        )

    def superuser(self, dbname: str = "postgres"):  # type: ignore[no-untyped-def]
        """An autocommit psycopg connection as the cluster's superuser."""
        import psycopg

        return psycopg.connect(self.dsn(dbname=dbname), autocommit=True)
