"""``letter-template``: the wording of each kind of letter, kept by administrators.

``list`` names each kind and whether the service changed its wording; ``show KIND`` prints
it; ``set KIND`` saves new wording (an unknown placeholder is refused, naming the ones that
exist; nothing changes); ``restore KIND`` goes back to the built-in wording. The same
services as the Letters page of the administration screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clinic_app.cli.common import (
    CommandError,
    Commands,
    Context,
    act_as_user,
    add_command,
    add_common_options,
)
from clinic_app.services.common import StaffRef

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

KINDS = ("referral", "gp_update", "did_not_attend")


def cmd_list(ctx: Context) -> None:
    from clinic_app.services.sharing import letter_templates  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        for row in letter_templates.list_templates(session, me):
            whose = "changed by the service" if row.changed else "built-in wording"
            ctx.say(f"{row.kind.value}\t{row.title}\t{whose}")

    act_as_user(ctx, work)


def cmd_show(ctx: Context) -> None:
    from clinic_app.models.enums import LetterKind  # noqa: PLC0415
    from clinic_app.services.sharing import letter_templates  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        kind = LetterKind(ctx.args.kind)
        row = next(r for r in letter_templates.list_templates(session, me) if r.kind is kind)
        ctx.say(f"Salutation: {row.salutation}")
        ctx.say("Body:")
        ctx.say(row.body)
        ctx.say(f"Sign-off: {row.sign_off}")

    act_as_user(ctx, work)


def _body(ctx: Context) -> str:
    if ctx.args.body_file is None:
        return str(ctx.args.body)
    try:
        return Path(ctx.args.body_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise CommandError(
            f"The body could not be read from {ctx.args.body_file} (a UTF-8 text file)."
        ) from None


def cmd_set(ctx: Context) -> None:
    from clinic_app.models.enums import LetterKind  # noqa: PLC0415
    from clinic_app.services.sharing import letter_templates  # noqa: PLC0415

    body = _body(ctx)

    def work(session: Session, me: StaffRef) -> None:
        row = letter_templates.set_template(
            session,
            me,
            LetterKind(ctx.args.kind),
            salutation=ctx.args.salutation,
            body=body,
            sign_off=ctx.args.sign_off,
        )
        ctx.say(f"Saved the wording of the {row.title.lower()}.")

    act_as_user(ctx, work)


def cmd_restore(ctx: Context) -> None:
    from clinic_app.models.enums import LetterKind  # noqa: PLC0415
    from clinic_app.services.sharing import letter_templates  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        row = letter_templates.restore_built_in(session, me, LetterKind(ctx.args.kind))
        ctx.say(f"The {row.title.lower()} has the built-in wording again.")

    act_as_user(ctx, work)


def register(commands: Commands) -> None:
    """Add ``letter-template list``, ``show``, ``set`` and ``restore``."""
    command = add_command(commands, "letter-template")
    actions = command.add_subparsers(dest="letter_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="each kind of letter and whose wording it has")
    add_common_options(listing)
    listing.set_defaults(run=cmd_list)
    show = actions.add_parser("show", help="print one kind's wording")
    add_common_options(show)
    show.add_argument("kind", choices=KINDS)
    show.set_defaults(run=cmd_show)
    change = actions.add_parser("set", help="save new wording for one kind of letter")
    add_common_options(change)
    change.add_argument("kind", choices=KINDS)
    change.add_argument("--salutation", required=True, help='e.g. "Dear {client_name},"')
    body = change.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", help="the body, with placeholders such as {case_reference}")
    body.add_argument("--body-file", type=Path, help="read the body from this UTF-8 file")
    change.add_argument("--sign-off", required=True, help='e.g. "Yours sincerely,"')
    change.set_defaults(run=cmd_set)
    restore = actions.add_parser("restore", help="go back to the built-in wording")
    add_common_options(restore)
    restore.add_argument("kind", choices=KINDS)
    restore.set_defaults(run=cmd_restore)
