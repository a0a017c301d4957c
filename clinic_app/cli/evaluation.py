"""``evaluation``: pseudonymised service-evaluation projects and their exports.

``evaluation project add NAME`` sets up a project (its pseudonym secret stays in the
database); ``evaluation project list`` lists them; ``evaluation export --project NAME
--from DATE --to DATE --out DIR`` writes the CSV files, their data dictionary, a README and
the outcome report into a new folder. The folder appears whole, and only once the export's
audit event is committed; a refused export writes nothing. The evaluation code (and the
PDF tools) load only when one of these commands runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy.orm import Session

from clinic_app.cli.common import (
    CommandError,
    Commands,
    Context,
    act_as_user,
    add_command,
    add_common_options,
    iso_date,
)
from clinic_app.services.common import StaffRef
from clinic_app.storage import files


def cmd_project_add(ctx: Context) -> None:
    from clinic_app.services import evaluation  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        row = evaluation.create_project(session, me, ctx.args.name, ctx.args.purpose or "")
        ctx.say(f"Set up the evaluation project '{row.name}' with its own pseudonym key.")

    act_as_user(ctx, work)


def cmd_project_list(ctx: Context) -> None:
    from clinic_app.services import evaluation  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        rows = evaluation.list_projects(session, me)
        if not rows:
            ctx.say("There are no evaluation projects yet.")
        for row in rows:
            ctx.say(f"{row.name}\tset up {row.created_at:%Y-%m-%d}\t{row.purpose}")

    act_as_user(ctx, work)


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CommandError(
            f"{out} already exists and is not an empty folder; give a new folder for the export."
        )


def _write_folder(out: Path, named: tuple[tuple[str, bytes], ...]) -> Path:
    """Write every file into a hidden folder beside ``out``; the caller renames it."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = files.temporary_name(out, "evaluation")
        partial.mkdir(mode=0o700)
        for name, data in named:
            files.write_atomically(partial / name, data)
    except OSError:
        raise CommandError(f"The export cannot be written to {out}; nothing was written.") from None
    return partial


def cmd_export(ctx: Context) -> None:
    from clinic_app.services import evaluation  # noqa: PLC0415 - loads the PDF tools

    out: Path = ctx.args.out
    _check_out(out)
    with ctx.database() as database, database.writing() as session:
        me = ctx.acting(session)
        made = evaluation.export_evaluation(
            session,
            me,
            project=ctx.args.project,
            start=ctx.args.start,
            end=ctx.args.end,
            include_demo=ctx.args.include_demo,
        )
        partial = _write_folder(out, made.files)
        try:
            session.commit()
            if out.exists():
                out.rmdir()  # empty, checked above
            partial.rename(out)
            files.sync_folder(out.parent)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    ctx.say(
        f"Exported {made.clients} clients and {made.events} events for the evaluation "
        f"'{made.project}' to {out}, with its data dictionary and outcome report."
    )


def register(commands: Commands) -> None:
    """Add ``evaluation project add|list`` and ``evaluation export``."""
    group = add_command(commands, "evaluation")
    actions = group.add_subparsers(dest="evaluation_command", metavar="ACTION", required=True)

    project = actions.add_parser("project", help="set up or list evaluation projects")
    project_actions = project.add_subparsers(
        dest="project_command", metavar="ACTION", required=True
    )
    add = project_actions.add_parser("add", help="set up a project with its own pseudonym key")
    add_common_options(add)
    add.add_argument("name", help="the project's name, e.g. 'MASIP outcomes 2026'")
    add.add_argument("--purpose", help="what the evaluation is for (printed on its report)")
    add.set_defaults(run=cmd_project_add)
    listing = project_actions.add_parser("list", help="list the evaluation projects")
    add_common_options(listing)
    listing.set_defaults(run=cmd_project_list)

    export = actions.add_parser(
        "export", help="write a project's pseudonymised CSV files, dictionary and report"
    )
    add_common_options(export)
    export.add_argument("--project", required=True, help="the evaluation project's name")
    export.add_argument(
        "--from", dest="start", type=iso_date, required=True, help="first day (YYYY-MM-DD)"
    )
    export.add_argument("--to", dest="end", type=iso_date, required=True, help="last day")
    export.add_argument("--out", type=Path, required=True, help="a new folder to write")
    export.add_argument(
        "--include-demo",
        action="store_true",
        help="include clearly marked demo clients (to try the export out)",
    )
    export.set_defaults(run=cmd_export)
