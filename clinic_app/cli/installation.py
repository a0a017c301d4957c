"""``self-test``: check that this installation has everything it needs, and say what is missing."""

from __future__ import annotations

from clinic_app.cli.common import Commands, Context, add_command
from clinic_app.errors import ClinicError


def cmd_self_test(ctx: Context) -> None:
    from clinic_app import selftest  # noqa: PLC0415 - Qt is loaded only in its child process

    report = selftest.run()
    for line in report.lines():
        ctx.say(line)
    if not report.ok:
        names = ", ".join(check.name for check in report.failed)
        raise ClinicError(f"this installation is not complete: {names} (see the report above).")


def register(commands: Commands) -> None:
    """Add ``self-test`` (it takes no database, account or password)."""
    self_test = add_command(commands, "self-test")
    self_test.set_defaults(run=cmd_self_test)
