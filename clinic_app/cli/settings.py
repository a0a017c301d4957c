"""``setting``: the administrators' settings (such as the idle lock), each within its limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clinic_app.cli.common import Commands, Context, act_as_user, add_command, add_common_options
from clinic_app.services import settings
from clinic_app.services.common import StaffRef

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def cmd_setting_list(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        for row in settings.list_settings(session, me):
            ctx.say(
                f"{row.key}\t{row.value}\t({row.minimum}-{row.maximum}, default "
                f"{row.default})\t{row.title}"
            )
        for text_row in settings.list_text_settings(session, me):
            ctx.say(
                f"{text_row.key}\t{text_row.value}\t(text, default "
                f"{text_row.default!r})\t{text_row.title}"
            )

    act_as_user(ctx, work)


def cmd_setting_set(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        row = settings.change_setting(session, me, ctx.args.key, ctx.args.value)
        ctx.say(f"{row.title}: now {row.value}.")

    act_as_user(ctx, work)


def register(commands: Commands) -> None:
    """Add ``setting list`` and ``setting set``."""
    setting = add_command(commands, "setting")
    setting_actions = setting.add_subparsers(
        dest="setting_command", metavar="ACTION", required=True
    )
    setting_list = setting_actions.add_parser("list", help="show every setting and its limits")
    add_common_options(setting_list)
    setting_list.set_defaults(run=cmd_setting_list)
    setting_set = setting_actions.add_parser("set", help="change a setting within its limits")
    add_common_options(setting_set)
    setting_set.add_argument("key", help="e.g. idle_lock_minutes")
    setting_set.add_argument("value")
    setting_set.set_defaults(run=cmd_setting_set)
