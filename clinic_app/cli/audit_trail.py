"""``audit verify``: check the audit trail's hash chain and say, in plain words, what is wrong."""

from __future__ import annotations

from clinic_app.cli.common import Commands, Context, add_command, add_common_options
from clinic_app.errors import ClinicError
from clinic_app.services import audit
from clinic_app.wording import counted


def cmd_audit_verify(ctx: Context) -> None:
    """Judge the trail as it stood before this check signed in (which appends to it).

    The end is read first, in the same unit of work as the sign-in, so an end cut off
    before the check cannot be papered over by the sign-in event moving the head on.
    """
    with ctx.database() as database, database.writing() as session:
        end = audit.chain_end(session)
        ctx.acting(session)
        report = audit.verify(session, as_of=end)
        if not report.ok:
            for finding in report.findings:
                ctx.say(f"  {finding}")
            raise ClinicError(
                f"The audit trail does not verify: {counted(len(report.findings), 'problem')} "
                f"in {report.events:,} events (listed above)."
            )
        session.commit()
    ctx.say(f"The audit trail verifies: {report.events:,} events, unbroken.")


def register(commands: Commands) -> None:
    """Add ``audit verify``."""
    aud = add_command(commands, "audit")
    auds = aud.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = auds.add_parser("verify", help="verify the hash chain of the audit trail")
    add_common_options(verify)
    verify.set_defaults(run=cmd_audit_verify)
