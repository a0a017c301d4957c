"""``service``: the directory of specialist services that clients are referred to.

Administrators keep it: add a service, change it, or take it out of use (its past referrals
are kept). The directory code loads only when one of these commands runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clinic_app.cli.common import (
    CommandError,
    Commands,
    Context,
    act_as_user,
    add_command,
    add_common_options,
)
from clinic_app.services.common import StaffRef
from clinic_app.wording import SERVICE_KIND_WORDS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _service_named(session: Session, me: StaffRef, name: str) -> Any:
    from clinic_app.services import service_directory  # noqa: PLC0415

    wanted = name.strip().casefold()
    for row in service_directory.service_directory(session, me):
        if row.name.casefold() == wanted:
            return row
    raise CommandError(f"There is no service called '{name.strip()}' in the directory.")


def cmd_service_list(ctx: Context) -> None:
    from clinic_app.services import service_directory  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        rows = service_directory.service_directory(session, me)
        if not rows:
            ctx.say("The service directory is empty.")
        for row in rows:
            state = "in use" if row.active else "out of use"
            kind = SERVICE_KIND_WORDS[row.kind]
            days = f"{row.expected_response_days} days"
            ctx.say(f"{row.name}\t{kind}\t{days}\t{state}\t{row.snomed_concept_id or '-'}")

    act_as_user(ctx, work)


def cmd_service_add(ctx: Context) -> None:
    from clinic_app.models.enums import ServiceKind  # noqa: PLC0415
    from clinic_app.services import service_directory  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        row = service_directory.add_service(
            session,
            me,
            name=ctx.args.name,
            kind=ServiceKind(ctx.args.kind),
            contact=ctx.args.contact or "",
            expected_response_days=ctx.args.response_days,
            snomed_concept_id=ctx.args.snomed,
        )
        ctx.say(f"Added '{row.name}' to the service directory.")

    act_as_user(ctx, work)


def cmd_service_update(ctx: Context) -> None:
    from clinic_app.models.enums import ServiceKind  # noqa: PLC0415
    from clinic_app.services import service_directory  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        old = _service_named(session, me, ctx.args.name)
        args = ctx.args
        row = service_directory.update_service(
            session,
            me,
            old.id,
            name=old.name if args.new_name is None else args.new_name,
            kind=old.kind if args.kind is None else ServiceKind(args.kind),
            contact=old.contact if args.contact is None else args.contact,
            expected_response_days=(
                old.expected_response_days if args.response_days is None else args.response_days
            ),
            snomed_concept_id=old.snomed_concept_id if args.snomed is None else args.snomed,
        )
        if args.in_use is not None:
            row = service_directory.set_service_active(
                session, me, row.id, active=args.in_use == "yes"
            )
        state = "in use" if row.active else "out of use (its past referrals are kept)"
        ctx.say(f"Updated '{row.name}' in the service directory; it is {state}.")

    act_as_user(ctx, work)


def register(commands: Commands) -> None:
    """Add ``service list``, ``service add`` and ``service update``."""
    from clinic_app.models.enums import ServiceKind  # noqa: PLC0415

    kinds = [k.value for k in ServiceKind]
    service = add_command(commands, "service")
    service_actions = service.add_subparsers(
        dest="service_command", metavar="ACTION", required=True
    )
    service_list = service_actions.add_parser("list", help="list the services")
    add_common_options(service_list)
    service_list.set_defaults(run=cmd_service_list)
    service_add = service_actions.add_parser("add", help="add a service")
    add_common_options(service_add)
    service_add.add_argument("name", help="the service's name")
    service_add.add_argument("--kind", required=True, choices=kinds)
    service_add.add_argument("--contact", help="address, telephone, secure email")
    service_add.add_argument(
        "--response-days", type=int, default=28, help="how long it usually takes to respond"
    )
    service_add.add_argument("--snomed", help="SNOMED CT concept id for the referral type")
    service_add.set_defaults(run=cmd_service_add)
    service_update = service_actions.add_parser(
        "update", help="change a service, or take it out of (or back into) use"
    )
    add_common_options(service_update)
    service_update.add_argument("name", help="the service's current name")
    service_update.add_argument("--new-name")
    service_update.add_argument("--kind", choices=kinds)
    service_update.add_argument("--contact")
    service_update.add_argument("--response-days", type=int)
    service_update.add_argument("--snomed", help="the concept id ('' to remove it)")
    service_update.add_argument(
        "--in-use", choices=("yes", "no"), help="no: no new referrals (nothing is deleted)"
    )
    service_update.set_defaults(run=cmd_service_update)
