"""``sar``: subject access requests, from registering one to releasing the pack.

``register`` records a request (received when, from whom, how their identity was checked
and by whom) and says when it is due; ``list`` shows open requests (or a client's);
``extend`` extends one with a reason; ``items`` lists what the pack holds, by key, for the
reviewer; ``preview`` writes the pack as it stands, marked as a draft; ``review`` records
the health professional's serious-harm opinion with any items withheld; ``release``
writes the PDF and the JSON file and enters the release in the disclosure register;
``consent`` records that a third party agreed to be named in the client's pack. Each
prints one clear line (``list`` and ``items`` one a row), exits non-zero on error and
writes nothing when it fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

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
from clinic_app.services.common import StaffRef, client_by_ref
from clinic_app.wording import counted, long_date

EXEMPTIONS: Final = {
    "serious-harm": "dpa-sch3-pt2-para5",
    "third-party": "dpa-sch2-pt3-para16",
    "crime": "dpa-sch2-pt1-para2",
    "legal-privilege": "dpa-sch2-pt4-para19",
}
"""The exemptions a reviewer may cite, by their short names on the command line."""

DECISIONS: Final = {
    "release-in-full": "release_in_full",
    "release-with-items-withheld": "release_with_items_withheld",
    "do-not-release": "do_not_release",
}


def _refuse_existing(*paths: Path) -> None:
    for out in paths:
        if out.exists():
            raise CommandError(
                f"{out} already exists; choose a new file name. Nothing was written."
            )
        if not out.parent.is_dir():
            raise CommandError(f"There is no folder {out.parent}. Nothing was written.")


def cmd_register(ctx: Context) -> None:
    from clinic_app.models.subject_access import RequesterKind  # noqa: PLC0415
    from clinic_app.services import staff, subject_access  # noqa: PLC0415

    args = ctx.args

    def work(session: Session, me: StaffRef) -> None:
        client = client_by_ref(session, args.client)
        checker = None
        if args.identity_checked_by:
            ids = staff.staff_ids_by_username(session)
            checker = ids.get(staff.normalise_username(args.identity_checked_by))
            if checker is None:
                raise CommandError(
                    f"There is no account '{args.identity_checked_by}'. Nothing was recorded."
                )
        row = subject_access.register_request(
            session,
            me,
            client.id,
            received_on=args.received,
            requester_kind=RequesterKind.REPRESENTATIVE
            if args.representative
            else RequesterKind.CLIENT,
            requester_name=args.requester,
            identity_method=args.identity_method,
            identity_checked_on=args.identity_checked_on or args.received,
            identity_checked_by=checker,
        )
        ctx.say(
            f"Registered subject access request {row.id} for {row.local_ref}, received "
            f"{long_date(row.received_on)}; due {long_date(row.due_on)}."
        )

    act_as_user(ctx, work)


def cmd_list(ctx: Context) -> None:
    from datetime import date  # noqa: PLC0415

    from clinic_app.services import subject_access  # noqa: PLC0415

    today = date.today()

    def work(session: Session, me: StaffRef) -> None:
        if ctx.args.client:
            client = client_by_ref(session, ctx.args.client)
            rows = subject_access.requests_for_client(session, me, client.id)
            if not rows:
                ctx.say(f"No subject access requests are recorded for {client.local_ref}.")
            for r in rows:
                ctx.say(
                    f"{r.id}\t{r.local_ref}\treceived {r.received_on.isoformat()}\t"
                    f"due {r.deadline.isoformat()}\t{r.state(today)}"
                )
            return
        found = subject_access.open_subject_access_requests(session, me, today=today)
        if not found:
            ctx.say("No open subject access requests for your clients.")
        for o in found:
            flag = "OVERDUE" if o.overdue else ("extended" if o.extended else "")
            ctx.say(
                f"{o.request_id}\t{o.local_ref}\treceived {o.received_on.isoformat()}\t"
                f"due {o.due_on.isoformat()}\t{o.what}" + (f"\t{flag}" if flag else "")
            )

    act_as_user(ctx, work)


def cmd_extend(ctx: Context) -> None:
    from clinic_app.services import subject_access  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        row = subject_access.extend_request(
            session, me, ctx.args.request, reason=ctx.args.reason, extended_to=ctx.args.to
        )
        assert row.extended_to is not None
        ctx.say(
            f"Extended subject access request {row.id} for {row.local_ref} to "
            f"{long_date(row.extended_to)}. Tell the requester, with the reason."
        )

    act_as_user(ctx, work)


def cmd_items(ctx: Context) -> None:
    from clinic_app.services.sharing import subject_access as packs  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        prepared = packs.prepare_pack(session, me, ctx.args.request)
        for section in prepared.pack.sections:
            for item in section.items:
                ctx.say(f"{item.key}\t{section.title}\t{item.heading}")
        ctx.say(
            f"{counted(len(prepared.pack.items()), 'item')}; "
            f"{counted(len(prepared.pack.removals), 'removal')} about third parties."
        )

    act_as_user(ctx, work)


def cmd_preview(ctx: Context) -> None:
    from clinic_app.services.sharing import subject_access as packs  # noqa: PLC0415
    from clinic_app.storage.files import write_atomically  # noqa: PLC0415

    out: Path = ctx.args.out
    _refuse_existing(out)

    def work(session: Session, me: StaffRef) -> None:
        data = packs.preview_pack(session, me, ctx.args.request)
        write_atomically(out, data)
        ctx.say(f"Wrote the draft pack for review to {out}; it is not for release.")

    act_as_user(ctx, work)


def _withheld(values: list[str] | None) -> list[tuple[str, object]]:
    from clinic_app.models.subject_access import Exemption  # noqa: PLC0415

    out: list[tuple[str, object]] = []
    for value in values or ():
        key, sep, name = value.rpartition("=")
        if not sep or not key.strip() or name.strip() not in EXEMPTIONS:
            raise CommandError(
                f"--withhold takes ITEM=EXEMPTION (e.g. session_note:12=serious-harm), with "
                f"an exemption of {', '.join(EXEMPTIONS)}; not '{value}'. Nothing was recorded."
            )
        out.append((key.strip(), Exemption(EXEMPTIONS[name.strip()])))
    return out


def cmd_review(ctx: Context) -> None:
    from clinic_app.models.subject_access import HarmDecision  # noqa: PLC0415
    from clinic_app.services.sharing import subject_access as packs  # noqa: PLC0415

    withheld = _withheld(ctx.args.withhold)

    def work(session: Session, me: StaffRef) -> None:
        review = packs.record_review(
            session,
            me,
            ctx.args.request,
            decision=HarmDecision(DECISIONS[ctx.args.decision]),
            rationale=ctx.args.reason,
            withheld=withheld,  # type: ignore[arg-type]
        )
        ctx.say(
            f"Recorded the serious-harm review of request {review.request_id}: "
            f"{ctx.args.decision.replace('-', ' ')}, "
            f"{counted(len(review.withheld), 'item')} withheld."
        )

    act_as_user(ctx, work)


def cmd_release(ctx: Context) -> None:
    from clinic_app.services.sharing import subject_access as packs  # noqa: PLC0415

    out: Path = ctx.args.out
    json_out: Path = ctx.args.json or out.with_suffix(".json")
    if out.resolve() == json_out.resolve():
        raise CommandError("The PDF and the JSON file need different names. Nothing was written.")
    _refuse_existing(out, json_out)

    def work(session: Session, me: StaffRef) -> None:
        released = packs.release_pack(session, me, ctx.args.request, out, json_out)
        ctx.say(
            f"Released the subject access pack to {out} and {json_out} "
            f"({counted(released.removals, 'removal')} listed); register entry "
            f"{released.disclosure.document_id}, SHA-256 {released.sha256}."
        )

    act_as_user(ctx, work)


def cmd_consent(ctx: Context) -> None:
    from clinic_app.services import third_parties  # noqa: PLC0415

    args = ctx.args
    if bool(args.on) == bool(args.withdrawn):
        raise CommandError("Give --on YYYY-MM-DD (consent given) or --withdrawn. Nothing changed.")

    def work(session: Session, me: StaffRef) -> None:
        client = client_by_ref(session, args.client)
        wanted = " ".join(args.person.split()).casefold()
        person = next(
            (
                p
                for p in third_parties.third_parties_for_client(session, me, client.id)
                if p.label.casefold() == wanted
            ),
            None,
        )
        if person is None:
            raise CommandError(
                f"There is no '{args.person.strip()}' recorded for {client.local_ref}; "
                f"'clinic-app third-party list --client {client.local_ref}' shows who is."
            )
        row = third_parties.record_disclosure_consent(session, me, person.id, given_on=args.on)
        if row.disclosure_consent_on is None:
            ctx.say(f"Recorded that {row.label} of {client.local_ref} has no consent standing.")
        else:
            ctx.say(
                f"Recorded that {row.label} of {client.local_ref} agreed on "
                f"{long_date(row.disclosure_consent_on)} to be named in the client's records."
            )

    act_as_user(ctx, work)


def register(commands: Commands) -> None:
    """Add ``sar register|list|extend|items|preview|review|release|consent``."""
    sar = add_command(commands, "sar")
    actions = sar.add_subparsers(dest="sar_command", metavar="ACTION", required=True)

    reg = actions.add_parser(
        "register",
        help="register a request; it is due one calendar month after receipt",
    )
    add_common_options(reg)
    reg.add_argument("--client", required=True, help="the client's local case reference")
    reg.add_argument("--received", required=True, type=iso_date, metavar="YYYY-MM-DD")
    reg.add_argument("--requester", required=True, metavar="NAME", help="who asked")
    reg.add_argument(
        "--representative",
        action="store_true",
        help="the requester acts for the client (with their authority)",
    )
    reg.add_argument(
        "--identity-method",
        required=True,
        metavar="TEXT",
        help="how identity (and a representative's authority) was checked",
    )
    reg.add_argument(
        "--identity-checked-on",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="when (default: the day received)",
    )
    reg.add_argument("--identity-checked-by", metavar="USERNAME", help="who checked (default: you)")
    reg.set_defaults(run=cmd_register)

    listing = actions.add_parser("list", help="open requests of your clients, or one client's")
    add_common_options(listing)
    listing.add_argument("--client", help="every request of this client")
    listing.set_defaults(run=cmd_list)

    extend = actions.add_parser(
        "extend", help="extend a request by up to two further months, with the reason"
    )
    add_common_options(extend)
    extend.add_argument("--request", required=True, type=int, metavar="N")
    extend.add_argument("--reason", required=True, help="why (the requester is told)")
    extend.add_argument(
        "--to", type=iso_date, metavar="YYYY-MM-DD", help="the new deadline (default: the latest)"
    )
    extend.set_defaults(run=cmd_extend)

    items = actions.add_parser("items", help="list the items of the pack, by key, for the review")
    add_common_options(items)
    items.add_argument("--request", required=True, type=int, metavar="N")
    items.set_defaults(run=cmd_items)

    preview = actions.add_parser("preview", help="write the pack as it stands, marked as a draft")
    add_common_options(preview)
    preview.add_argument("--request", required=True, type=int, metavar="N")
    preview.add_argument("--out", required=True, type=Path, help="the draft PDF to write")
    preview.set_defaults(run=cmd_preview)

    review = actions.add_parser(
        "review", help="record the health professional's serious-harm review"
    )
    add_common_options(review)
    review.add_argument("--request", required=True, type=int, metavar="N")
    review.add_argument("--decision", required=True, choices=list(DECISIONS))
    review.add_argument("--reason", required=True, help="the reasons for the decision")
    review.add_argument(
        "--withhold",
        action="append",
        metavar="ITEM=EXEMPTION",
        help="an item (or ITEM/field) to withhold and the exemption: "
        + ", ".join(EXEMPTIONS)
        + " (repeatable)",
    )
    review.set_defaults(run=cmd_review)

    release = actions.add_parser(
        "release", help="write the reviewed pack (PDF and JSON) and record the release"
    )
    add_common_options(release)
    release.add_argument("--request", required=True, type=int, metavar="N")
    release.add_argument("--out", required=True, type=Path, help="the PDF to write")
    release.add_argument(
        "--json", type=Path, help="the JSON file to write (default: the PDF's name, .json)"
    )
    release.set_defaults(run=cmd_release)

    consent = actions.add_parser(
        "consent", help="record that a third party agreed to be named in the client's pack"
    )
    add_common_options(consent)
    consent.add_argument("--client", required=True, help="the client's local case reference")
    consent.add_argument("--person", required=True, metavar="LABEL", help="e.g. 'Person 1'")
    consent.add_argument("--on", type=iso_date, metavar="YYYY-MM-DD", help="when they agreed")
    consent.add_argument("--withdrawn", action="store_true", help="their consent no longer stands")
    consent.set_defaults(run=cmd_consent)
