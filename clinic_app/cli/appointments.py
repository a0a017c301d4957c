"""``appointments book|list|cancel|attended|dna|ics``: a clinician's diary from the command line.

Appointments are named by their number, as ``list`` prints it. ``list`` prints case
references and times, never names or places: a terminal's scrollback is not the record.
``ics`` writes a clinician's diary as an iCalendar file for Outlook that carries the case
reference and the time only; the file is written only when its audit event is committed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

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
from clinic_app.errors import Problem, ValidationError
from clinic_app.services.common import StaffRef, client_by_ref
from clinic_app.storage import files

_OPTION_FOR = {
    "day": "--date",
    "start_time": "--time",
    "duration_minutes": "--minutes",
    "place": "--place",
    "video_link": "--video-link",
    "clinicians": "--with",
    "occurrences": "--times",
    "reason": "--reason",
}


@contextmanager
def _options_named() -> Iterator[None]:
    """Say each problem the service finds against the option that set the value."""
    try:
        yield
    except ValidationError as error:
        raise type(error)(
            [Problem(_OPTION_FOR.get(p.where, p.where), p.message) for p in error.problems]
        ) from None


def clock(text: str) -> time:
    """An argparse type for a time of day written as HH:MM (24-hour clock)."""
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a time; write it as HH:MM on the 24-hour clock (e.g. 14:30)"
        ) from None


def _when(row: Any) -> str:
    return f"{row.day:%A} {row.day.day} {row.day:%B %Y} at {row.start_time:%H:%M}"


def _line(row: Any) -> str:
    from clinic_app.wording import APPOINTMENT_STATUS_WORDS, CANCELLED_BY_WORDS, MODALITY_WORDS  # noqa: PLC0415

    if row.is_busy_only:
        return f"{row.day.isoformat()} {row.starts:%H:%M}-{row.ends:%H:%M}  busy (another client)"
    status = APPOINTMENT_STATUS_WORDS[row.status].lower()
    if row.cancelled_by is not None:
        status = CANCELLED_BY_WORDS[row.cancelled_by].lower()
    note = "" if row.note_id is None else ("; note signed" if row.note_signed else "; note draft")
    return (
        f"#{row.id}  {row.day.isoformat()} {row.starts:%H:%M}-{row.ends:%H:%M}  "
        f"{row.local_ref}  {MODALITY_WORDS[row.modality].lower()}, {status}{note}"
    )


def cmd_book(ctx: Context) -> None:
    from clinic_app.models.enums import Modality, Repeat  # noqa: PLC0415
    from clinic_app.services import appointments  # noqa: PLC0415

    args = ctx.args
    repeat = Repeat(args.repeat) if args.repeat else Repeat.NONE
    if args.times is not None and repeat is Repeat.NONE:
        raise CommandError("Give --repeat weekly, fortnightly or monthly with --times.")

    def work(session: Session, me: StaffRef) -> None:
        client = client_by_ref(session, args.client)
        attending = [appointments.clinician_id(session, me, name) for name in args.with_ or ()]
        with _options_named():
            rows = appointments.book(
                session,
                me,
                client.id,
                day=args.date,
                start_time=args.time,
                duration_minutes=args.minutes,
                modality=Modality(args.modality),
                clinician_ids=attending,
                place=args.place or "",
                video_link=args.video_link or "",
                repeat=repeat,
                occurrences=args.times if args.times is not None else 1,
                allow_overlap=args.allow_overlap,
            )
        first = rows[0]
        if len(rows) == 1:
            ctx.say(
                f"Booked appointment #{first.id} for {client.local_ref} on {_when(first)} "
                f"({first.duration_minutes} minutes)."
            )
        else:
            ctx.say(
                f"Booked {len(rows)} {repeat.value} appointments (#{first.id} to #{rows[-1].id}) "
                f"for {client.local_ref} from {_when(first)} ({first.duration_minutes} minutes)."
            )

    act_as_user(ctx, work)


def cmd_list(ctx: Context) -> None:
    from clinic_app.services import appointments  # noqa: PLC0415

    args = ctx.args
    day: date = args.date or date.today()

    def work(session: Session, me: StaffRef) -> None:
        staff_id = (
            appointments.clinician_id(session, me, args.clinician) if args.clinician else me.id
        )
        if args.week:
            diary = appointments.week_diary(session, me, staff_id, day)
        else:
            diary = appointments.day_diary(session, me, staff_id, day)
        span = (
            f"{diary.start.isoformat()}"
            if diary.start == diary.end
            else f"{diary.start.isoformat()} to {diary.end.isoformat()}"
        )
        if not diary.rows:
            ctx.say(f"{diary.staff_name} has no appointments on {span}.")
            return
        ctx.say(f"{diary.staff_name}: {len(diary.rows)} appointment(s), {span}")
        for row in diary.rows:
            ctx.say(_line(row))

    act_as_user(ctx, work)


def _change(ctx: Context, change: Callable[[Session, StaffRef, int], Any], done: str) -> None:
    def work(session: Session, me: StaffRef) -> None:
        with _options_named():
            row = change(session, me, ctx.args.appointment)
        ctx.say(f"Appointment #{row.id} ({row.local_ref}, {_when(row)}) {done}.")

    act_as_user(ctx, work)


def cmd_cancel(ctx: Context) -> None:
    from clinic_app.models.enums import CancelledBy  # noqa: PLC0415
    from clinic_app.services import appointments  # noqa: PLC0415

    by_whom = CancelledBy(ctx.args.by)
    _change(
        ctx,
        lambda s, me, ident: appointments.cancel(
            s, me, ident, cancelled_by=by_whom, reason=ctx.args.reason
        ),
        f"is cancelled by the {by_whom.value}",
    )


def cmd_attended(ctx: Context) -> None:
    from clinic_app.services import appointments  # noqa: PLC0415

    _change(ctx, appointments.mark_attended, "is marked attended")


def cmd_dna(ctx: Context) -> None:
    from clinic_app.services import appointments  # noqa: PLC0415

    _change(ctx, appointments.mark_did_not_attend, "is marked did not attend")


def cmd_ics(ctx: Context) -> None:
    from clinic_app.services import appointments  # noqa: PLC0415

    args = ctx.args
    out: Path = args.out
    if out.exists() and out.is_dir():
        raise CommandError(f"{out} is a folder; give the name of the file to write.")
    start: date = args.from_ or date.today()
    end: date = args.to or start + timedelta(days=27)
    with ctx.database() as database, database.writing() as session:
        me = ctx.acting(session)
        staff_id = (
            appointments.clinician_id(session, me, args.clinician) if args.clinician else me.id
        )
        data = appointments.diary_ics(session, me, staff_id, start, end)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            files.write_atomically(out, data)
        except OSError:
            raise CommandError(f"{out} cannot be written; nothing was exported.") from None
        try:
            session.commit()
        except BaseException:
            out.unlink(missing_ok=True)
            raise
    events = data.count(b"BEGIN:VEVENT")
    ctx.say(
        f"Wrote {events} appointment(s) from {start.isoformat()} to {end.isoformat()} to {out} "
        "(case references and times only)."
    )


def register(commands: Commands) -> None:
    """Add ``appointments book|list|cancel|attended|dna|ics``."""
    from clinic_app.models.enums import CancelledBy, Modality, Repeat  # noqa: PLC0415

    group = add_command(commands, "appointments")
    actions = group.add_subparsers(dest="appointments_command", metavar="ACTION", required=True)

    book = actions.add_parser(
        "book",
        help="book an appointment, once or repeating",
        description="Book an appointment with a client. --repeat with --times books a series, "
        "each occurrence its own appointment.",
    )
    add_common_options(book)
    book.add_argument("--client", required=True, help="the client's local case reference")
    book.add_argument("--date", required=True, type=iso_date, metavar="YYYY-MM-DD")
    book.add_argument("--time", required=True, type=clock, metavar="HH:MM")
    book.add_argument("--minutes", required=True, type=int, help="how long it lasts")
    book.add_argument("--modality", required=True, choices=[m.value for m in Modality])
    book.add_argument("--place", help="where (a room; never a victim's address)")
    book.add_argument("--video-link", help="the https:// link of a video appointment")
    book.add_argument(
        "--with",
        dest="with_",
        action="append",
        metavar="USERNAME",
        help="a clinician attending (repeatable; default: you)",
    )
    book.add_argument(
        "--repeat", choices=[r.value for r in Repeat if r is not Repeat.NONE], help="how it repeats"
    )
    book.add_argument("--times", type=int, help="how many appointments in the series")
    book.add_argument(
        "--allow-overlap",
        action="store_true",
        help="book even though a clinician already has an appointment at that time",
    )
    book.set_defaults(run=cmd_book)

    listing = actions.add_parser("list", help="a clinician's day or week of appointments")
    add_common_options(listing)
    listing.add_argument("--date", type=iso_date, metavar="YYYY-MM-DD", help="default: today")
    listing.add_argument("--week", action="store_true", help="the whole week (Monday to Sunday)")
    listing.add_argument("--clinician", metavar="USERNAME", help="whose diary (default: yours)")
    listing.set_defaults(run=cmd_list)

    cancel = actions.add_parser("cancel", help="cancel an appointment, saying who and why")
    add_common_options(cancel)
    cancel.add_argument("--appointment", required=True, type=int, metavar="N")
    cancel.add_argument("--by", required=True, choices=[c.value for c in CancelledBy])
    cancel.add_argument("--reason", required=True, help="why it was cancelled")
    cancel.set_defaults(run=cmd_cancel)

    for name, run, what in (
        ("attended", cmd_attended, "record that the client came"),
        ("dna", cmd_dna, "record that the client did not attend"),
    ):
        mark = actions.add_parser(name, help=what)
        add_common_options(mark)
        mark.add_argument("--appointment", required=True, type=int, metavar="N")
        mark.set_defaults(run=run)

    ics = actions.add_parser(
        "ics",
        help="a clinician's diary as an iCalendar file (case reference and time only)",
    )
    add_common_options(ics)
    ics.add_argument("--out", type=Path, required=True, help="the .ics file to write")
    ics.add_argument("--from", dest="from_", type=iso_date, metavar="YYYY-MM-DD")
    ics.add_argument("--to", type=iso_date, metavar="YYYY-MM-DD", help="default: 4 weeks on")
    ics.add_argument("--clinician", metavar="USERNAME", help="whose diary (default: yours)")
    ics.set_defaults(run=cmd_ics)
