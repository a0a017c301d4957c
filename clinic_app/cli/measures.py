"""``measure``: self-report measure definitions (listed, imported) and their cut-offs.

The measure definitions load only when one of these commands runs.
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
from clinic_app.errors import ValidationError
from clinic_app.services.common import StaffRef

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def cmd_measure_list(ctx: Context) -> None:
    from clinic_app.services import measure_definitions  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        for row in measure_definitions.list_definitions(session, me):
            state = "offered" if row.active else "no longer offered"
            ctx.say(
                f"{row.measure_id}\tversion {row.version}\t{row.origin.value}\t{state}\t"
                f"{row.title}\t{row.licence}"
            )

    act_as_user(ctx, work)


def cmd_measure_import(ctx: Context) -> None:
    from clinic_app.services import measure_definitions  # noqa: PLC0415

    source: Path = ctx.args.file
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"There is no file at {source}.") from None
    except (OSError, UnicodeDecodeError):
        raise CommandError(f"{source} cannot be read as a UTF-8 text file.") from None

    def work(session: Session, me: StaffRef) -> None:
        row = measure_definitions.import_definition(session, me, text)
        ctx.say(
            f"Imported version {row.version} of '{row.measure_id}' ({row.title}, "
            f"{row.item_count} items); its SHA-256 is {row.content_sha256}."
        )

    act_as_user(ctx, work)


def cmd_measure_cutoff(ctx: Context) -> None:
    from clinic_app.services import measure_definitions  # noqa: PLC0415

    def show(row: measure_definitions.CutoffSetting) -> str:
        chosen = "set by an administrator" if row.overridden else "the definition's"
        return (
            f"{row.measure_id}\t{row.label}: {row.value:g} ({chosen}; allowed "
            f"{row.minimum:g} to {row.maximum:g}, default {row.default_value:g})"
        )

    def work(session: Session, me: StaffRef) -> None:
        if ctx.args.measure is None:
            for row in measure_definitions.cutoff_settings(session, me):
                ctx.say(show(row))
            return
        value: float | None = None
        if not ctx.args.default:
            if ctx.args.value is None:
                raise CommandError(
                    "Give the new cut-off, or --default to restore the definition's."
                )
            try:
                value = float(ctx.args.value)
            except ValueError:
                raise ValidationError(
                    f"'{ctx.args.value}' is not a number.", where="cutoff"
                ) from None
        ctx.say(show(measure_definitions.set_cutoff(session, me, ctx.args.measure, value)))

    act_as_user(ctx, work)


def register(commands: Commands) -> None:
    """Add ``measure list``, ``measure import`` and ``measure cutoff``."""
    measure = add_command(commands, "measure")
    measure_actions = measure.add_subparsers(
        dest="measure_command", metavar="ACTION", required=True
    )
    measure_list = measure_actions.add_parser("list", help="list every measure definition version")
    add_common_options(measure_list)
    measure_list.set_defaults(run=cmd_measure_list)
    measure_import = measure_actions.add_parser(
        "import", help="add a clinic-supplied measure definition file (administrators)"
    )
    add_common_options(measure_import)
    measure_import.add_argument("file", type=Path)
    measure_import.set_defaults(run=cmd_measure_import)
    measure_cutoff = measure_actions.add_parser(
        "cutoff", help="show, or choose within its allowed range, a measure's cut-off"
    )
    add_common_options(measure_cutoff)
    measure_cutoff.add_argument("measure", nargs="?", help="e.g. pcl-5 (omit to list them)")
    measure_cutoff.add_argument("value", nargs="?", help="the new cut-off")
    measure_cutoff.add_argument(
        "--default", action="store_true", help="restore the definition's own cut-off"
    )
    measure_cutoff.set_defaults(run=cmd_measure_cutoff)
