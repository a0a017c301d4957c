"""``audit verify``: check the audit trail's hash chain and say, in plain words, what is wrong."""

from __future__ import annotations

from sqlalchemy.orm import Session

from clinic_app.cli.common import Commands, Context, act_as_user, add_common_options
from clinic_app.errors import ClinicError
from clinic_app.services import audit
from clinic_app.services.common import StaffRef
from clinic_app.wording import counted


def cmd_audit_verify(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        report = audit.verify(session)
        if not report.ok:
            for finding in report.findings:
                ctx.say(f"  {finding}")
            raise ClinicError(
                f"The audit trail does not verify: {counted(len(report.findings), 'problem')} "
                f"in {report.events:,} events (listed above)."
            )
        ctx.say(f"The audit trail verifies: {report.events:,} events, unbroken.")

    act_as_user(ctx, work)


def register(commands: Commands) -> None:
    """Add ``audit verify``."""
    aud = commands.add_parser("audit", help="check the audit trail")
    auds = aud.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = auds.add_parser("verify", help="verify the hash chain of the audit trail")
    add_common_options(verify)
    verify.set_defaults(run=cmd_audit_verify)
