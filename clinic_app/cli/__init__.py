"""The command line for administrators and automation.

Each subcommand takes ``--db PATH`` (default: the per-user database) and, where it acts
as a member of staff, ``--user NAME --password-stdin`` (the password is the first line of
standard input; without the flag, it is asked for when there is a terminal). A command
prints one clear line, exits non-zero on error and writes nothing when it fails.

Each command group lives in its own module with a ``register(commands)`` that adds its
commands; :data:`~clinic_app.cli.catalogue.GROUPS` lists them, with each command's help, in
the order ``clinic-app --help`` shows them. Only the group of the command being run is
imported (and with it the database, services and renderers that group needs): the others
are listed from the catalogue by name and help alone, so ``clinic-app --help`` starts
without SQLAlchemy, and no command pays for the imports of another. What every command
shares (the database, signing in, output and exit codes) is in ``common``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import IO

from clinic_app import __version__, config
from clinic_app.cli.catalogue import GROUPS, Group, group_of
from clinic_app.cli.common import EXIT_USAGE, Commands, Context, run_command


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with ``command``'s group added in full (its module imported).

    Every other command is listed by name and help only, which is all ``--help`` shows;
    without ``command``, none is added in full.
    """
    parser = argparse.ArgumentParser(
        prog="clinic-app",
        description="Clinical records and partner-safe summaries for stalking intervention "
        "programmes. With no command, opens the application.",
    )
    parser.add_argument("--version", action="version", version=f"clinic-app {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    running = group_of(command)
    for group in GROUPS:
        if group is running:
            register_group(group)(commands)
        else:
            for name, text in group.commands:
                commands.add_parser(name, help=text)
    return parser


def register_group(group: Group) -> Callable[[Commands], None]:
    """The ``register`` of the group's module (importing the module, and what it needs)."""
    module = importlib.import_module(f"{__name__}.{group.module}")
    register: Callable[[Commands], None] = module.register
    return register


def command_word(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: the first word that is not an option, if any.

    The top-level options (``--help``, ``--version``) take no value, so the first other
    word is always the command.
    """
    return next((word for word in argv if not word.startswith("-")), None)


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
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_word(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(stdout)
        return EXIT_USAGE
    return run_command(Context(args, stdin, stdout), stderr)
