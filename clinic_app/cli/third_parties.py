"""``third-party`` and ``protective-measure``: the victims and others in a client's record.

A clinician with access to the client records a victim or another person (with their other
names, places, numbers and vehicles, which the wording check then looks for in every
document that leaves), lists who is recorded, ends a person's record, and records or
revokes the orders that protect them. People are named on the command line by their label
("Person 1"), never by name; ``list`` prints names and details only with ``--show-details``,
since a terminal's scrollback is not the record. Measures are numbered per person in the
order they start, as ``list`` shows them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from clinic_app.cli.common import (
    CommandError,
    Commands,
    Context,
    act_as_user,
    add_command,
    add_common_options,
    iso_date,
)
from clinic_app.errors import Problem, ValidationError
from clinic_app.services.common import StaffRef, client_by_ref
from clinic_app.wording import counted

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The service names a problem by its field; the command line by the option that set it.
_OPTION_FOR = {
    "name": "--name",
    "aliases": "--alias",
    "addresses": "--address",
    "phones": "--phone",
    "emails": "--email",
    "vehicles": "--vehicle",
    "advocate_service": "--advocate-service",
    "advocate_contact": "--advocate-contact",
    "wishes_and_concerns": "--wishes",
    "details": "--details",
    "ended_on": "--on",
    "reason": "--reason",
    "starts_on": "--from",
    "ends_on": "--to",
    "forbids": "--forbids",
    "reference": "--reference",
    "revoked_on": "--on",
}


@contextmanager
def _options_named() -> Iterator[None]:
    """Say each problem the service finds against the option that set the value."""
    try:
        yield
    except ValidationError as error:
        raise ValidationError(
            [Problem(_OPTION_FOR.get(p.where, p.where), p.message) for p in error.problems]
        ) from None


def _person(session: Session, me: StaffRef, client_id: int, ref: str, label: str) -> Any:
    from clinic_app.services import third_parties  # noqa: PLC0415

    wanted = " ".join(label.split()).casefold()
    for row in third_parties.third_parties_for_client(session, me, client_id):
        if row.label.casefold() == wanted:
            return row
    raise CommandError(
        f"There is no '{label.strip()}' recorded for {ref}; "
        f"'clinic-app third-party list --client {ref}' shows who is."
    )


def _in_client(ctx: Context, work: Callable[[Session, StaffRef, int, str], None]) -> None:
    """Sign in, find ``--client``, and do the work in one transaction (all of it, or nothing)."""

    def run(session: Session, me: StaffRef) -> None:
        client = client_by_ref(session, ctx.args.client)
        with _options_named():
            work(session, me, client.id, client.local_ref)

    act_as_user(ctx, run)


def _until(ends_on: Any) -> str:
    return f"until {ends_on.isoformat()}" if ends_on else "no end date"


# -- third-party --------------------------------------------------------------------------------


def cmd_third_party_add(ctx: Context) -> None:
    from clinic_app.models.enums import ThirdPartyRelation  # noqa: PLC0415
    from clinic_app.services import third_parties  # noqa: PLC0415

    args = ctx.args
    data = third_parties.ThirdPartyInput(
        relation=ThirdPartyRelation(args.relation),
        name=args.name,
        aliases=tuple(args.alias or ()),
        addresses=tuple(args.address or ()),
        phones=tuple(args.phone or ()),
        emails=tuple(args.email or ()),
        vehicles=tuple(args.vehicle or ()),
        advocate_service=args.advocate_service or "",
        advocate_contact=args.advocate_contact or "",
        wishes_and_concerns=args.wishes or "",
        details=args.details or "",
    )

    def work(session: Session, me: StaffRef, client_id: int, ref: str) -> None:
        row = third_parties.add_third_party(session, me, client_id, data)
        ctx.say(f"Recorded {row.label} ({row.relation_words.lower()}) for {ref}.")

    _in_client(ctx, work)


_LISTS: Final = {
    "aliases": "alias",
    "addresses": "address",
    "phones": "phone",
    "emails": "email",
    "vehicles": "vehicle",
}
_TEXTS: Final = {
    "advocate_service": "advocate_service",
    "advocate_contact": "advocate_contact",
    "wishes_and_concerns": "wishes",
    "details": "details",
}
CLEARABLE: Final = (*_LISTS, *_TEXTS)


def cmd_third_party_update(ctx: Context) -> None:
    """Change what is recorded about a person: given options replace, --clear empties."""
    from dataclasses import replace  # noqa: PLC0415

    from clinic_app.models.enums import ThirdPartyRelation  # noqa: PLC0415
    from clinic_app.services import third_parties  # noqa: PLC0415

    args = ctx.args
    cleared = set(args.clear or ())

    def work(session: Session, me: StaffRef, client_id: int, ref: str) -> None:
        row = _person(session, me, client_id, ref, args.person)
        changes: dict[str, Any] = {}
        if args.relation:
            changes["relation"] = ThirdPartyRelation(args.relation)
        if args.name is not None:
            changes["name"] = args.name
        for field, option in _LISTS.items():
            given = getattr(args, option)
            if field in cleared:
                changes[field] = ()
            elif given:
                changes[field] = tuple(given)
        for field, option in _TEXTS.items():
            given = getattr(args, option)
            if field in cleared:
                changes[field] = ""
            elif given is not None:
                changes[field] = given
        if not changes:
            raise CommandError("Nothing to change: give the details to record, or --clear.")
        updated = third_parties.update_third_party(
            session, me, row.id, replace(row.as_input(), **changes)
        )
        ctx.say(f"Updated {updated.label} for {ref}: {', '.join(sorted(changes))}.")

    _in_client(ctx, work)


def cmd_third_party_list(ctx: Context) -> None:
    from clinic_app.services import third_parties  # noqa: PLC0415

    today = date.today()

    def work(session: Session, me: StaffRef, client_id: int, ref: str) -> None:
        rows = third_parties.third_parties_for_client(session, me, client_id)
        if not rows:
            ctx.say(f"No victims or other people are recorded for {ref}.")
        for row in rows:
            record = f"ended {row.ended_on.isoformat()}" if row.ended_on else "current"
            states = [m.state(today) for m in row.measures]
            in_force = sum(
                s in (third_parties.MeasureState.IN_FORCE, third_parties.MeasureState.EXPIRING)
                for s in states
            )
            expiring = states.count(third_parties.MeasureState.EXPIRING)
            protection = f"{counted(in_force, 'measure')} in force" + (
                f", {expiring} EXPIRING" if expiring else ""
            )
            ctx.say(f"{row.label}\t{row.relation_words}\t{record}\t{protection}")
            if ctx.args.show_details:
                _say_details(ctx, row)
            for number, measure in enumerate(row.measures, start=1):
                state = third_parties.MEASURE_STATE_WORDS[measure.state(today)]
                ctx.say(
                    f"{row.label}\tmeasure {number}\t{measure.title}\t"
                    f"from {measure.starts_on.isoformat()}\t{_until(measure.ends_on)}\t{state}"
                    + (f"\trevoked {measure.revoked_on.isoformat()}" if measure.revoked_on else "")
                )
                if ctx.args.show_details:
                    ctx.say(f"{row.label}\tmeasure {number}\tforbids\t{_one_line(measure.forbids)}")
                    if measure.reference:
                        ctx.say(f"{row.label}\tmeasure {number}\treference\t{measure.reference}")

    _in_client(ctx, work)


def _one_line(text: str) -> str:
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def _say_details(ctx: Context, row: Any) -> None:
    fields: list[tuple[str, tuple[str, ...] | str]] = [
        ("name", row.name),
        ("other names", row.aliases),
        ("addresses and places", row.addresses),
        ("phones", row.phones),
        ("emails", row.emails),
        ("vehicles", row.vehicles),
        ("advocate's service", row.advocate_service),
        ("advocate's contact", row.advocate_contact),
        ("wishes and concerns", row.wishes_and_concerns),
        ("other details", row.details),
        ("reason ended", row.ended_reason),
    ]
    for title, value in fields:
        text = "; ".join(value) if isinstance(value, tuple) else _one_line(value)
        if text:
            ctx.say(f"{row.label}\t{title}\t{text}")


def cmd_third_party_end(ctx: Context) -> None:
    from clinic_app.services import third_parties  # noqa: PLC0415

    def work(session: Session, me: StaffRef, client_id: int, ref: str) -> None:
        person = _person(session, me, client_id, ref, ctx.args.person)
        row = third_parties.end_third_party(
            session, me, person.id, ended_on=ctx.args.on, reason=ctx.args.reason
        )
        ctx.say(
            f"The record of {row.label} for {ref} ended on {ctx.args.on.isoformat()}; "
            "nothing was deleted."
        )

    _in_client(ctx, work)


# -- protective-measure -------------------------------------------------------------------------


def cmd_measure_add(ctx: Context) -> None:
    from clinic_app.models.enums import ProtectiveMeasureKind  # noqa: PLC0415
    from clinic_app.services import third_parties  # noqa: PLC0415

    args = ctx.args
    data = third_parties.ProtectiveMeasureInput(
        kind=ProtectiveMeasureKind(args.kind),
        starts_on=args.starts_on,
        forbids=args.forbids,
        ends_on=args.ends_on,
        reference=args.reference or "",
    )

    def work(session: Session, me: StaffRef, client_id: int, ref: str) -> None:
        person = _person(session, me, client_id, ref, args.person)
        row = third_parties.add_protective_measure(session, me, person.id, data)
        # Measures are numbered by when they start, so an older order recorded late
        # takes its place among them (and the numbers after it move on by one).
        again = _person(session, me, client_id, ref, args.person)
        number = 1 + [m.id for m in again.measures].index(row.id)
        ctx.say(
            f"Recorded {row.title.lower()} for {person.label} of {ref} as measure {number}, "
            f"from {row.starts_on.isoformat()}, {_until(row.ends_on)}."
        )

    _in_client(ctx, work)


def cmd_measure_revoke(ctx: Context) -> None:
    from clinic_app.services import third_parties  # noqa: PLC0415

    args = ctx.args

    def work(session: Session, me: StaffRef, client_id: int, ref: str) -> None:
        person = _person(session, me, client_id, ref, args.person)
        if not 1 <= args.measure <= len(person.measures):
            have = counted(len(person.measures), "protective measure")
            raise CommandError(
                f"{person.label} of {ref} has {have}; there is no measure {args.measure}. "
                f"'clinic-app third-party list --client {ref}' numbers them."
            )
        measure = person.measures[args.measure - 1]
        row = third_parties.revoke_protective_measure(session, me, measure.id, revoked_on=args.on)
        ctx.say(
            f"Recorded {row.title.lower()} (measure {args.measure} of {person.label}, {ref}) "
            f"as revoked on {args.on.isoformat()}."
        )

    _in_client(ctx, work)


# -- the parsers ----------------------------------------------------------------------------------


def _client_and_person(parser: argparse.ArgumentParser, *, person: bool = True) -> None:
    parser.add_argument("--client", required=True, help="the client's local case reference")
    if person:
        parser.add_argument(
            "--person", required=True, metavar="LABEL", help="the person's label, e.g. 'Person 1'"
        )


def register(commands: Commands) -> None:
    """Add ``third-party add|update|list|end`` and ``protective-measure add|revoke``."""
    from clinic_app.models.enums import ProtectiveMeasureKind, ThirdPartyRelation  # noqa: PLC0415

    third_party = add_command(commands, "third-party")
    actions = third_party.add_subparsers(
        dest="third_party_command", metavar="ACTION", required=True
    )

    add = actions.add_parser(
        "add",
        help="record a victim or another person",
        description="Record a victim or another person. Repeat --alias, --address, --phone, "
        "--email and --vehicle for each entry.",
    )
    add_common_options(add)
    _client_and_person(add, person=False)
    add.add_argument("--relation", required=True, choices=[r.value for r in ThirdPartyRelation])
    add.add_argument("--name", required=True, help="their name as they use it")
    for option, what in (
        ("--alias", "another name: previous name, nickname, online username"),
        ("--address", "an address or place: home, work, school, somewhere they go"),
        ("--phone", "a phone number"),
        ("--email", "an email address"),
        ("--vehicle", "a vehicle registration"),
    ):
        add.add_argument(option, action="append", metavar="TEXT", help=f"{what} (repeatable)")
    add.add_argument("--advocate-service", metavar="TEXT", help="the victim advocate's service")
    add.add_argument("--advocate-contact", metavar="TEXT", help="who the advocate is and how")
    add.add_argument("--wishes", metavar="TEXT", help="their wishes and safety concerns")
    add.add_argument("--details", metavar="TEXT", help="anything else the team should know")
    add.set_defaults(run=cmd_third_party_add)

    update = actions.add_parser(
        "update",
        help="change what is recorded about a person",
        description="Change what is recorded about a person. A list given (--alias, "
        "--address, --phone, --email, --vehicle, repeated for each entry) replaces that "
        "list; --clear FIELD empties one.",
    )
    add_common_options(update)
    _client_and_person(update)
    update.add_argument("--relation", choices=[r.value for r in ThirdPartyRelation])
    update.add_argument("--name", help="their name as they use it")
    for option, what in (
        ("--alias", "another name"),
        ("--address", "an address or place"),
        ("--phone", "a phone number"),
        ("--email", "an email address"),
        ("--vehicle", "a vehicle registration"),
    ):
        update.add_argument(option, action="append", metavar="TEXT", help=f"{what} (repeatable)")
    update.add_argument("--advocate-service", metavar="TEXT")
    update.add_argument("--advocate-contact", metavar="TEXT")
    update.add_argument("--wishes", metavar="TEXT", help="their wishes and safety concerns")
    update.add_argument("--details", metavar="TEXT")
    update.add_argument(
        "--clear",
        action="append",
        choices=CLEARABLE,
        metavar="FIELD",
        help="empty a field: " + ", ".join(CLEARABLE),
    )
    update.set_defaults(run=cmd_third_party_update)

    listing = actions.add_parser(
        "list",
        help="list the people recorded and their protective measures",
        description="Labels, relationships and protective measures. Names and details only "
        "with --show-details: a terminal's scrollback is not the record.",
    )
    add_common_options(listing)
    _client_and_person(listing, person=False)
    listing.add_argument(
        "--show-details", action="store_true", help="also print names, places and numbers"
    )
    listing.set_defaults(run=cmd_third_party_list)

    end = actions.add_parser("end", help="end a person's record (nothing is deleted)")
    add_common_options(end)
    _client_and_person(end)
    end.add_argument("--on", required=True, type=iso_date, metavar="YYYY-MM-DD")
    end.add_argument("--reason", required=True, help="why their record ends")
    end.set_defaults(run=cmd_third_party_end)

    measure = add_command(commands, "protective-measure")
    measure_actions = measure.add_subparsers(
        dest="measure_command", metavar="ACTION", required=True
    )
    measure_add = measure_actions.add_parser(
        "add", help="record an order or condition protecting a person"
    )
    add_common_options(measure_add)
    _client_and_person(measure_add)
    measure_add.add_argument(
        "--kind", required=True, choices=[k.value for k in ProtectiveMeasureKind]
    )
    measure_add.add_argument(
        "--from", dest="starts_on", required=True, type=iso_date, metavar="YYYY-MM-DD"
    )
    measure_add.add_argument(
        "--to", dest="ends_on", type=iso_date, metavar="YYYY-MM-DD", help="leave out if open-ended"
    )
    measure_add.add_argument("--forbids", required=True, help="what it forbids, as worded")
    measure_add.add_argument("--reference", help="court or police reference")
    measure_add.set_defaults(run=cmd_measure_add)

    revoke = measure_actions.add_parser(
        "revoke", help="record that an order or condition was revoked or discharged"
    )
    add_common_options(revoke)
    _client_and_person(revoke)
    revoke.add_argument(
        "--measure", required=True, type=int, metavar="N", help="its number in 'third-party list'"
    )
    revoke.add_argument("--on", required=True, type=iso_date, metavar="YYYY-MM-DD")
    revoke.set_defaults(run=cmd_measure_revoke)
