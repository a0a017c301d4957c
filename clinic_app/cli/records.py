"""Client records in and out: a demo caseload, and one record imported or exported as JSON.

The JSON Schema and the interchange code load only when ``import`` or ``export`` runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_app.cli.common import (
    Commands,
    Context,
    act_as_user,
    add_command,
    add_common_options,
)
from clinic_app.services.common import StaffRef, client_by_ref
from clinic_app.storage import files

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def cmd_demo(ctx: Context) -> None:
    from clinic_app.services import demo  # noqa: PLC0415 - only this command needs it

    def work(session: Session, me: StaffRef) -> None:
        result = demo.load_demo_caseload(session, me, ctx.args.clients)
        whose = "assigned to you" if me.is_clinical else "not assigned to anyone yet"
        ctx.say(
            f"Loaded {result.clients:,} demo clients ({result.first_ref} to {result.last_ref}, "
            f"{result.sessions:,} sessions), {whose}."
        )

    act_as_user(ctx, work)


def cmd_import(ctx: Context) -> None:
    from clinic_app.services import interchange  # noqa: PLC0415 - loads the JSON Schema

    # Read strictly: a file too large, not JSON, naming a field twice or holding what no
    # record may hold is refused whole, in one line, before anything is signed in.
    document = interchange.read_document(ctx.args.file)

    def work(session: Session, me: StaffRef) -> None:
        summary = interchange.import_client(session, me, document)
        ctx.say(f"Imported the record of client {summary.local_ref}.")

    act_as_user(ctx, work)


def cmd_export(ctx: Context) -> None:
    from clinic_app.services import interchange  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        client = client_by_ref(session, ctx.args.client)
        document = interchange.export_client(session, me, client.id)
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        out: Path | None = ctx.args.out
        if out is None:
            ctx.stdout.write(text)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            files.write_atomically(out, text.encode("utf-8"))
            ctx.say(f"Exported the record of client {client.local_ref} to {out}.")

    act_as_user(ctx, work)


def register(commands: Commands) -> None:
    """Add ``demo``, ``import`` and ``export``."""
    demo_cmd = add_command(commands, "demo")
    add_common_options(demo_cmd)
    demo_cmd.add_argument("--clients", type=int, default=25)
    demo_cmd.set_defaults(run=cmd_demo)

    imp = add_command(commands, "import")
    add_common_options(imp)
    imp.add_argument("file", type=Path)
    imp.set_defaults(run=cmd_import)

    exp = add_command(commands, "export")
    add_common_options(exp)
    exp.add_argument("--client", required=True, help="the client's local case reference")
    exp.add_argument("--out", type=Path, help="file to write (default: standard output)")
    exp.set_defaults(run=cmd_export)
