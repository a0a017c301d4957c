"""``fhir export``: a client's self-report measures as a FHIR R4 Bundle (JSON).

The FHIR and measure code loads only when the command runs. The file is written only when
the export (and its audit event) is committed; a refused export writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from clinic_app.cli.common import (
    CommandError,
    Commands,
    Context,
    add_command,
    add_common_options,
)
from clinic_app.services.common import StaffRef, client_by_ref
from clinic_app.storage import files


def cmd_fhir_export(ctx: Context) -> None:
    from clinic_app.services import fhir  # noqa: PLC0415 - loads the measure definitions

    out: Path = ctx.args.out
    if out.exists() and out.is_dir():
        raise CommandError(f"{out} is a folder; give the name of the file to write.")
    with ctx.database() as database, database.writing() as session:
        me: StaffRef = ctx.acting(session)
        client = client_by_ref(session, ctx.args.client)
        bundle = fhir.measures_bundle(session, me, client.id)
        _write(out, bundle.text)
        try:
            session.commit()
        except BaseException:
            out.unlink(missing_ok=True)
            raise
    ctx.say(
        f"Exported {bundle.responses} measure administrations of client {client.local_ref} "
        f"as FHIR R4 to {out} (SHA-256 {bundle.sha256})."
    )


def _write(out: Path, text: str) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomically(out, text.encode("utf-8"))
    except OSError:
        raise CommandError(f"{out} cannot be written; nothing was exported.") from None


def register(commands: Commands) -> None:
    """Add ``fhir export``."""
    fhir_cmd = add_command(commands, "fhir")
    actions = fhir_cmd.add_subparsers(dest="fhir_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export", help="a client's measure administrations and scores as a FHIR R4 Bundle"
    )
    add_common_options(export)
    export.add_argument("--client", required=True, help="the client's local case reference")
    export.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    export.set_defaults(run=cmd_fhir_export)
