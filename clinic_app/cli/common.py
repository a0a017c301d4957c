"""What every command needs: the database, the acting account, one clear line, exit codes.

A command is a function of a :class:`Context`. It opens the database through the context,
signs in the account named by ``--user`` (the password from ``--password-stdin`` or a hidden
prompt), prints what it did with :meth:`Context.say`, and raises :class:`ClinicError` when it
cannot; :func:`run_command` turns that into one line on standard error and an exit status.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias, cast

from clinic_app import config
from clinic_app.cli.catalogue import help_for
from clinic_app.errors import AuthError, ClinicError, ValidationError

if TYPE_CHECKING:
    # Every command module imports this one, and so does ``clinic-app --help``: the
    # database, the accounts service and the key stores load when a command uses them.
    from sqlalchemy.orm import Session

    from clinic_app.services.common import StaffRef
    from clinic_app.storage import engine
    from clinic_app.storage.keys import KeyStore
    from clinic_app.storage.site import SiteDatabase, SiteSettings

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 70

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""Where a command group adds its commands (the top-level ``add_subparsers`` result)."""


class CommandError(ClinicError):
    """A problem with how a command was called."""


class _Input:
    """Lines of standard input, read in order (password first, then whatever follows)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def line(self, what: str) -> str:
        text = self.stream.readline()
        if not text:
            raise CommandError(f"Expected {what} on standard input, but there was none.")
        return text.rstrip("\r\n")


class Context:
    """One command's parsed arguments, standard input and output, and its database."""

    def __init__(self, args: argparse.Namespace, stdin: IO[str], stdout: IO[str]) -> None:
        self.args = args
        self.input = _Input(stdin)
        self.stdout = stdout
        self._password: str | None = None
        self._site: SiteSettings | bool | None = False  # False: not looked up yet
        self._at_site = False

    def site(self) -> SiteSettings | None:
        """The site this computer uses, unless ``--db`` names a workstation database."""
        if self._site is False:
            if getattr(self.args, "db", None) is not None:
                self._site = None
            else:
                from clinic_app.storage.site import configured_site  # noqa: PLC0415

                self._site = configured_site()
        assert not isinstance(self._site, bool)
        return self._site

    @property
    def at_site(self) -> bool:
        """Whether the open database is a site (accounts are then login roles)."""
        return self._at_site

    def password(self) -> str:
        """``--user``'s password, read once (stdin's next line or a hidden prompt)."""
        if self._password is None:
            self._password = self.secret(
                "the password", prompt=f"Password for {getattr(self.args, 'user', '')}: "
            )
        return self._password

    @property
    def db_path(self) -> Path:
        path: Path | None = self.args.db
        return path if path is not None else config.default_database_path()

    def key_store(self) -> KeyStore:
        from clinic_app.storage.keys import default_key_store  # noqa: PLC0415

        return default_key_store(self.args.key_file)

    def secret(self, what: str, *, prompt: str) -> str:
        """A password: the next stdin line with --password-stdin, else a hidden prompt."""
        if self.args.password_stdin:
            return self.input.line(what)
        if sys.stdin is not None and sys.stdin.isatty():
            return getpass.getpass(prompt)
        raise CommandError(f"Give {what} on standard input with --password-stdin.")

    def say(self, line: str) -> None:
        print(line, file=self.stdout)

    @contextmanager
    def database(self) -> Iterator[engine.Database]:
        """The database, opened with this computer's key store.

        Every opening passes the key store, so the integrity anchor kept beside the key
        moves on with each commit and records the file's digest at a clean close.
        """
        from clinic_app.storage import engine  # noqa: PLC0415

        site = self.site()
        if site is not None:
            with self._site_database(site) as at_site:
                # The same units of work as a workstation's database, on the person's role.
                yield cast("engine.Database", at_site)
            return
        store = self.key_store()
        key = store.get(self.db_path) if self.db_path.exists() else b""
        database = engine.open_database(
            self.db_path, key, backup_dir=self.backups_dir(), key_store=store
        )
        try:
            yield database
        finally:
            database.close()

    @contextmanager
    def _site_database(self, site: SiteSettings) -> Iterator[SiteDatabase]:
        """The site, connected as ``--user`` with their own password (their login role)."""
        from clinic_app.services.staff import normalise_username  # noqa: PLC0415
        from clinic_app.storage.site import open_site  # noqa: PLC0415

        user = getattr(self.args, "user", None)
        if not user:
            raise CommandError(
                f"This computer uses the site '{site.database}' on {site.host}, where every "
                "command signs in as a member of staff: say who with --user NAME."
            )
        database = open_site(site, normalise_username(user), self.password())
        self._at_site = True
        try:
            yield database
        finally:
            database.close()

    def backups_dir(self) -> Path:
        return self.db_path.parent / "backups"

    def sign_in(self, session: Session, password: str | None = None) -> StaffRef:
        """Sign in ``--user`` within the caller's unit of work, which the caller commits.

        A wrong password (or a locked or disabled account) is committed here before the
        refusal is raised: the failed attempt counts towards lockout. The password is read
        here unless the caller has read it already. Anything else the
        command then refuses rolls back with its work, the sign-in event included.
        """
        from clinic_app.services import staff  # noqa: PLC0415

        if not self.args.user:
            raise CommandError("Say which account is acting with --user NAME.")
        if self._at_site:
            # The server checked the password when the connection opened (through its
            # sign-in gate, which counts failures); it says who is signed in.
            from clinic_app.services import site  # noqa: PLC0415

            me = site.signed_in_staff(session)
            site.record_sign_in(session, me)
            return me
        if password is None:
            password = self.password()
        try:
            return staff.sign_in(session, self.args.user, password)
        except AuthError:
            session.commit()  # keep the failed attempt: it counts towards lockout
            raise

    def acting(self, session: Session) -> StaffRef:
        """Sign in for a command: refused until a password an administrator set is changed."""
        me = self.sign_in(session)
        if me.must_change_password:
            raise CommandError(
                f"The password of '{me.username}' was set by an administrator and must be "
                f"changed first: run 'clinic-app password change --user {me.username}'."
            )
        return me


class LoadingMeanwhile:
    """Steps that load what a command will need, run on a second thread meanwhile.

    Checking the password takes a deliberate fifth of a second, which the password
    hasher spends outside Python; what the command needs next (a renderer, its fonts,
    word lists) can load on the other processor then. Steps only load: they read no
    database and sign no one in. A step that fails is left for the command to meet and
    report when it loads the same thing itself.
    """

    def __init__(self, *steps: Callable[[], object]) -> None:
        self._steps = steps
        self._thread = threading.Thread(target=self._run, name="clinic-app-loading")
        self._thread.start()

    def _run(self) -> None:
        try:
            for step in self._steps:
                step()
        except Exception:  # noqa: S110 - met and reported by the command itself
            pass

    def wait(self) -> None:
        """Return when every step has run (at once if they all have)."""
        self._thread.join()


def iso_date(text: str) -> date:
    """An argparse type for a date written as YYYY-MM-DD, refused in plain words otherwise."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date; write it as YYYY-MM-DD (e.g. 2026-03-31)"
        ) from None


def act_as_user(
    ctx: Context,
    work: Callable[[Session, StaffRef], None],
    *,
    loading: Callable[[], object] | None = None,
) -> None:
    """Sign in as ``--user`` and do the work in one unit of work (all of it, or nothing).

    The sign-in and the work commit together: a command refused after signing in writes
    nothing, its sign-in event included. Only a failed sign-in is kept (see ``sign_in``).

    ``loading`` (a step that only loads, see :class:`LoadingMeanwhile`) runs on a second
    thread while the password is checked, and ends before ``work`` starts. On a
    workstation it starts once the database is open, not before: opening checks the whole
    file against its integrity anchor in a loop that would share the interpreter with the
    loading (measured: 0.2 s for a 180 MB file, against 40 ms alone), and the password is
    checked after. At a site the server checks the password as the connection opens, so
    the loading starts before that.
    """
    meanwhile: LoadingMeanwhile | None = None
    try:
        if loading is not None and ctx.site() is not None:
            meanwhile = LoadingMeanwhile(loading)
        with ctx.database() as database, database.writing() as session:
            if loading is not None and meanwhile is None:
                meanwhile = LoadingMeanwhile(loading)
            me = ctx.acting(session)
            if meanwhile is not None:
                meanwhile.wait()
            work(session, me)
            session.commit()
    finally:
        if meanwhile is not None:
            meanwhile.wait()  # a refused command ends with the thread, not before it


def add_command(commands: Commands, name: str, **options: Any) -> argparse.ArgumentParser:
    """Add the command ``name`` with its help from the catalogue (what ``--help`` lists)."""
    return commands.add_parser(name, help=help_for(name), **options)


def add_common_options(parser: argparse.ArgumentParser, *, acting: bool = True) -> None:
    """The options every command takes: the database, its key, the account and password."""
    parser.add_argument("--db", type=Path, help="database file (default: the per-user database)")
    parser.add_argument(
        "--key-file",
        type=Path,
        help="keep the database key in this file instead of the credential store",
    )
    if acting:
        parser.add_argument("--user", help="the staff account acting")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password(s) from standard input, one per line",
    )


def run_command(ctx: Context, stderr: IO[str]) -> int:
    """Run the parsed command; any failure becomes one line on stderr and an exit status."""
    try:
        ctx.args.run(ctx)
    except ValidationError as exc:
        print(f"clinic-app: {exc.message}", file=stderr)
        return EXIT_ERROR
    except ClinicError as exc:
        print(f"clinic-app: {exc.message}", file=stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("clinic-app: stopped; nothing was changed.", file=stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The program reading the output (e.g. `| head`) stopped early. The command did
        # its work; only what it printed was cut short.
        print(
            "clinic-app: the output was cut short because the program reading it stopped; "
            "the command itself ran to its end (its output may be incomplete).",
            file=stderr,
        )
        _quiet_stdout()
        return EXIT_ERROR
    except Exception:
        where = _log_crash()
        print(
            "clinic-app: something unexpected went wrong and nothing was changed. "
            f"Details for support are in {where}.",
            file=stderr,
        )
        return EXIT_BUG
    return 0


def _quiet_stdout() -> None:
    """Send what is still buffered for a closed pipe nowhere, so exiting does not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file descriptor (tests pass a StringIO): nothing to quiet


def _log_crash() -> Path:
    """Log the traceback (which holds no patient data: messages carry ids only)."""
    directory = config.log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "clinic-app.log"
    kind, _value, tb = sys.exc_info()
    frames = traceback.extract_tb(tb)
    where = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in frames)
    name = "unknown" if kind is None else f"{kind.__module__}.{kind.__qualname__}"
    # The message itself is left out: it may quote clinical text.
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{datetime.now(UTC).isoformat()} unexpected error {name}\n{where}\n")
    return path
