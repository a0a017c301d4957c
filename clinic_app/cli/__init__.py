"""The command line for administrators and automation.

Each subcommand takes ``--db PATH`` (default: the per-user database) and, where it acts
as a member of staff, ``--user NAME --password-stdin`` (the password is the first line of
standard input; without the flag, it is asked for when there is a terminal). A command
prints one clear line, exits non-zero on error and writes nothing when it fails.

Each command group lives in its own module with a ``register(commands)`` that adds its
commands; :data:`GROUPS` lists them in the order ``clinic-app --help`` shows them. What
every command shares (the database, signing in, output and exit codes) is in ``common``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import IO

from clinic_app import __version__, config
from clinic_app.cli import (
    accounts,
    appointments,
    audit_trail,
    evaluation,
    fhir,
    installation,
    measures,
    records,
    safekeeping,
    service_directory,
    settings,
    sharing,
    third_parties,
)
from clinic_app.cli.common import EXIT_USAGE, Commands, Context, run_command

GROUPS: tuple[Callable[[Commands], None], ...] = (
    accounts.register,  # init, user
    records.register,  # demo, import, export
    audit_trail.register,  # audit
    settings.register,  # setting
    measures.register,  # measure
    safekeeping.register,  # backup, restore, recover
    installation.register,  # self-test
    sharing.register,  # summary, risk-notice, register, audience
    service_directory.register,  # service
    third_parties.register,  # third-party, protective-measure
    fhir.register,  # fhir export
    evaluation.register,  # evaluation project, evaluation export
    appointments.register,  # appointments book, list, cancel, attended, dna, ics
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinic-app",
        description="Clinical records and partner-safe summaries for stalking intervention "
        "programmes. With no command, opens the application.",
    )
    parser.add_argument("--version", action="version", version=f"clinic-app {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in GROUPS:
        register(commands)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run one command; returns the exit status."""
    config.configure_logging()  # log lines to the log file, never onto the terminal
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(stdout)
        return EXIT_USAGE
    return run_command(Context(args, stdin, stdout), stderr)
