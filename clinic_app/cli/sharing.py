"""Sharing with partners: partner summaries, risk notices, the disclosure register, audiences.

``summary`` and ``risk-notice`` write a partner-safe PDF only when every Caldicott question
is confirmed and the client's being told (or not, and why) is said, and log it in the
disclosure register; ``register`` lists or exports that register; ``audience`` shows what
each partner audience receives (administrators change it). The renderers load only when a
document is written, on a second thread while the password is checked.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_app.cli.common import (
    CommandError,
    Commands,
    Context,
    act_as_user,
    add_command,
    add_common_options,
)
from clinic_app.services.common import StaffRef, client_by_ref
from clinic_app.wording import GATEWAY_WORDS, counted

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CALDICOTT_QUESTIONS = ("necessary", "minimum", "relevant", "accurate")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date; write it as YYYY-MM-DD (e.g. 2026-03-31)"
        ) from None


def _sharing_decision(ctx: Context) -> Any:
    """The sharing decision from the flags; every Caldicott question must be named."""
    from clinic_app.models.enums import Gateway  # noqa: PLC0415
    from clinic_app.services.sharing.disclosures import (  # noqa: PLC0415
        CaldicottConfirmation,
        SharingDecision,
    )

    confirmed = {
        part.strip().lower()
        for value in (ctx.args.caldicott or [])
        for part in value.split(",")
        if part.strip()
    }
    unknown = sorted(confirmed - set(CALDICOTT_QUESTIONS))
    if unknown:
        raise CommandError(
            f"--caldicott takes {', '.join(CALDICOTT_QUESTIONS)}; not {', '.join(unknown)}."
        )
    missing = [q for q in CALDICOTT_QUESTIONS if q not in confirmed]
    if missing:
        raise CommandError(
            "Confirm every Caldicott question before sharing (necessary, minimum, relevant, "
            f"accurate) with --caldicott; not yet confirmed: {', '.join(missing)}. Nothing "
            "was written or logged."
        )
    if ctx.args.client_informed == (ctx.args.client_not_informed_reason is not None):
        raise CommandError(
            "Say whether the client was told: --client-informed, or "
            "--client-not-informed-reason TEXT. Nothing was written or logged."
        )
    return SharingDecision(
        recipient_agency=ctx.args.recipient,
        recipient_person=ctx.args.recipient_person,
        purpose=ctx.args.purpose,
        gateway=Gateway(ctx.args.gateway),
        client_informed=bool(ctx.args.client_informed),
        client_not_informed_reason=ctx.args.client_not_informed_reason or "",
        caldicott=CaldicottConfirmation(True, True, True, True),
    )


def _refuse_existing(out: Path) -> None:
    if out.exists():
        raise CommandError(f"{out} already exists; choose a new file name. Nothing was written.")
    if not out.parent.is_dir():
        raise CommandError(f"There is no folder {out.parent}. Nothing was written.")


def _show_hits(ctx: Context, draft: Any) -> None:
    # Never a third party's detail, not even in the words around another warning: a
    # terminal's scrollback and logs are not the record.
    details = {h.term for h in draft.hits if h.category.is_third_party}

    def masked(text: str) -> str:
        for term in sorted(details, key=len, reverse=True):
            text = text.replace(term, "[a third party]")
        return text

    for hit in draft.unresolved:
        if hit.category.is_third_party:
            ctx.say(f"warning: {hit.explanation}")
        elif hit.before or hit.after:
            context = f"...{masked(hit.before)}[{hit.term}]{masked(hit.after)}"
            ctx.say(f"warning: {hit.explanation} {context}")
        else:
            ctx.say(f"warning: {hit.explanation}")
    for note in draft.notes:
        ctx.say(f"note: {note}")


def _resolve(ctx: Context, draft: Any) -> Any:
    """Keep what the flags allow; refuse, before anything is written, what stays unresolved.

    ``--accept-warnings`` keeps clinical-term warnings only; a third party's detail needs
    ``--keep-third-party-details REASON`` (the reason goes into the register).
    """
    from clinic_app.services.sharing import drafts  # noqa: PLC0415

    _show_hits(ctx, draft)
    reason = ctx.args.keep_third_party_details
    if reason is not None:
        draft = drafts.keep_third_party_details(draft, reason)
    details = [h for h in draft.unresolved if h.category.is_third_party]
    clinical = [h for h in draft.unresolved if not h.category.is_third_party]
    if details:
        raise CommandError(
            f"The wording check found {counted(len(details), 'detail')} of a third party "
            "recorded on this client (listed above, not shown). Edit the wording in the "
            "record, or give --keep-third-party-details with the reason each is needed. "
            "Nothing was written or logged."
        )
    if clinical and not ctx.args.accept_warnings:
        raise CommandError(
            f"The wording check found {counted(len(clinical), 'term')} that may be clinical "
            "(listed above). Edit the wording in the record, or give --accept-warnings if "
            "each is needed and fine to share. Nothing was written or logged."
        )
    return draft


def _load_for_export() -> None:
    from clinic_app.services.sharing import documents  # noqa: PLC0415 - reportlab, fonts

    documents.load_for_export()


def cmd_summary(ctx: Context) -> None:
    out: Path = ctx.args.out
    _refuse_existing(out)
    decision = _sharing_decision(ctx)

    def work(session: Session, me: StaffRef) -> None:
        from clinic_app.services.sharing import documents, drafts  # noqa: PLC0415

        client = client_by_ref(session, ctx.args.client)
        draft = drafts.prepare_partner_summary(
            session,
            me,
            client.id,
            audience=ctx.args.audience,
            period_from=ctx.args.period_from,
            period_to=ctx.args.period_to,
        )
        draft = _resolve(ctx, draft)
        result = documents.export_partner_summary(
            session, me, draft, decision, out, accept_warnings=ctx.args.accept_warnings
        )
        accepted = (
            f" Accepted as they were: {counted(result.warnings_accepted, 'wording warning')};"
            " this is recorded."
            if result.warnings_accepted
            else ""
        )
        ctx.say(
            f"Wrote the {draft.content.audience_title} summary for {client.local_ref} to {out} "
            f"(document {result.disclosure.document_id}, SHA-256 {result.sha256}); it is in "
            f"the disclosure register.{accepted}"
        )

    # The renderer and its fonts load while the password is checked.
    act_as_user(ctx, work, loading=_load_for_export)


def cmd_risk_notice(ctx: Context) -> None:
    out: Path = ctx.args.out
    _refuse_existing(out)
    decision = _sharing_decision(ctx)

    def work(session: Session, me: StaffRef) -> None:
        from clinic_app.services.sharing import documents, drafts  # noqa: PLC0415

        draft = drafts.prepare_risk_notice(session, me, ctx.args.event, audience=ctx.args.audience)
        draft = _resolve(ctx, draft)
        result = documents.export_risk_notice(
            session, me, draft, decision, out, accept_warnings=ctx.args.accept_warnings
        )
        accepted = (
            f" Accepted as they were: {counted(result.warnings_accepted, 'wording warning')};"
            " this is recorded."
            if result.warnings_accepted
            else ""
        )
        ctx.say(
            f"Wrote the urgent risk notification to {out} (document "
            f"{result.disclosure.document_id}, SHA-256 {result.sha256}); it is in the "
            f"disclosure register.{accepted}"
        )

    # The renderer and its fonts load while the password is checked.
    act_as_user(ctx, work, loading=_load_for_export)


def cmd_register_list(ctx: Context) -> None:
    from clinic_app.services.sharing import disclosures  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        if ctx.args.client:
            rows = disclosures.register_for_client(
                session, me, client_by_ref(session, ctx.args.client).id
            )
        else:
            rows = disclosures.register_for_service(session, me)
        if not rows:
            ctx.say("The register has no entries yet.")
        for r in rows:
            recipient = r.recipient_agency + (
                f" ({r.recipient_person})" if r.recipient_person else ""
            )
            ctx.say(
                f"{r.recorded_at:%Y-%m-%d %H:%M}\t{r.client_ref or '-'}\t{r.kind_words}\t"
                f"{r.audience}\t{recipient}\t{r.gateway.value if r.gateway else '-'}\t"
                f"{r.decided_by_name}\t{r.document_id}\t{r.document_sha256 or '-'}"
            )

    act_as_user(ctx, work)


def cmd_register_export(ctx: Context) -> None:
    from clinic_app.services.sharing import disclosures  # noqa: PLC0415
    from clinic_app.storage.files import write_atomically  # noqa: PLC0415

    out: Path = ctx.args.out
    _refuse_existing(out)

    def work(session: Session, me: StaffRef) -> None:
        client_id = client_by_ref(session, ctx.args.client).id if ctx.args.client else None
        text = disclosures.register_csv(session, me, client_id=client_id)
        write_atomically(out, text.encode("utf-8-sig"))
        rows = text.count("\r\n") - 1
        ctx.say(f"Wrote {rows} register entr{'y' if rows == 1 else 'ies'} to {out}.")

    act_as_user(ctx, work)


def _say_policy(ctx: Context, policy: Any) -> None:
    source = "built in" if policy.built_in else "changed by an administrator"
    ctx.say(f"{policy.name}\t{policy.title}\t({source})")
    ctx.say(f"  sections: {', '.join(s.value for s in policy.sections) or 'none'}")
    ctx.say(f"  identifying fields: {', '.join(policy.identifying) or 'none'}")


def cmd_audience_list(ctx: Context) -> None:
    from clinic_app.services.sharing import audiences  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        for policy in audiences.list_audiences(session, me):
            _say_policy(ctx, policy)

    act_as_user(ctx, work)


def cmd_audience_show(ctx: Context) -> None:
    from clinic_app.services.sharing import audiences  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        _say_policy(ctx, audiences.audience_policy(session, me, ctx.args.name))

    act_as_user(ctx, work)


def cmd_audience_set(ctx: Context) -> None:
    from clinic_app.services.sharing import audiences  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        policy = audiences.set_audience_policy(
            session,
            me,
            ctx.args.name,
            sections=ctx.args.sections.split(","),
            fields=ctx.args.fields.split(","),
            title=ctx.args.title,
        )
        ctx.say(f"The {policy.title} audience now receives:")
        _say_policy(ctx, policy)

    act_as_user(ctx, work)


def cmd_audience_reset(ctx: Context) -> None:
    from clinic_app.services.sharing import audiences  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        policy = audiences.reset_audience_policy(session, me, ctx.args.name)
        ctx.say(f"The {policy.title} audience is back to its built-in policy.")

    act_as_user(ctx, work)


def _sharing_arguments(parser: argparse.ArgumentParser) -> None:
    from clinic_app.models.enums import Gateway  # noqa: PLC0415
    from clinic_app.services.sharing.audiences import AUDIENCE_NAMES  # noqa: PLC0415

    parser.add_argument(
        "--audience",
        required=parser.prog.endswith("summary"),
        default="police",
        choices=AUDIENCE_NAMES,
        help="who receives it: " + ", ".join(AUDIENCE_NAMES),
    )
    parser.add_argument("--recipient", required=True, help="the recipient agency")
    parser.add_argument("--recipient-person", default="", help="the person it is addressed to")
    parser.add_argument("--purpose", required=True, help="why it is shared")
    parser.add_argument(
        "--gateway",
        required=True,
        choices=[g.value for g in Gateway],
        help="the legal gateway: " + ", ".join(g.value for g in Gateway),
    )
    told = parser.add_mutually_exclusive_group()
    told.add_argument("--client-informed", action="store_true", help="the client was told")
    told.add_argument(
        "--client-not-informed-reason", metavar="TEXT", help="why the client was not told"
    )
    parser.add_argument(
        "--caldicott",
        action="append",
        metavar="QUESTIONS",
        help="confirm the Caldicott questions, all four: necessary,minimum,relevant,accurate",
    )
    parser.add_argument(
        "--accept-warnings",
        action="store_true",
        help="share even though the wording check flagged clinical terms (recorded in the "
        "register); never keeps a third party's detail",
    )
    parser.add_argument(
        "--keep-third-party-details",
        metavar="REASON",
        help="keep the third parties' details the wording check flagged, for this reason "
        "(recorded in the register with each one)",
    )
    parser.add_argument("--out", type=Path, required=True, help="the PDF file to write")


def register(commands: Commands) -> None:
    """Add ``summary``, ``risk-notice``, ``register`` and ``audience``."""
    from clinic_app.models.enums import Gateway, Section  # noqa: PLC0415
    from clinic_app.services.sharing.audiences import AUDIENCE_NAMES  # noqa: PLC0415

    gateways = "\n".join(f"  {g.value:<16} {GATEWAY_WORDS[g]}" for g in Gateway)
    epilog = f"audiences: {', '.join(AUDIENCE_NAMES)}\n\ngateways:\n{gateways}"
    summary = add_command(
        commands,
        "summary",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_options(summary)
    summary.add_argument("--client", required=True, help="the client's local case reference")
    summary.add_argument("--from", dest="period_from", type=_iso_date, required=True)
    summary.add_argument("--to", dest="period_to", type=_iso_date, required=True)
    _sharing_arguments(summary)
    summary.set_defaults(run=cmd_summary)

    notice = add_command(
        commands,
        "risk-notice",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_options(notice)
    notice.add_argument("--event", type=int, required=True, help="the risk event's number")
    _sharing_arguments(notice)
    notice.set_defaults(run=cmd_risk_notice)

    register = add_command(commands, "register")
    register_actions = register.add_subparsers(
        dest="register_command", metavar="ACTION", required=True
    )
    reg_list = register_actions.add_parser(
        "list", help="list entries (one client's, or the service's without clinical columns)"
    )
    add_common_options(reg_list)
    reg_list.add_argument("--client", help="the client's local case reference")
    reg_list.set_defaults(run=cmd_register_list)
    reg_export = register_actions.add_parser("export", help="write the register as CSV")
    add_common_options(reg_export)
    reg_export.add_argument("--client", help="the client's local case reference")
    reg_export.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    reg_export.set_defaults(run=cmd_register_export)

    audience = add_command(
        commands,
        "audience",
        epilog="sections: " + ", ".join(s.value for s in Section),
    )
    audience_actions = audience.add_subparsers(
        dest="audience_command", metavar="ACTION", required=True
    )
    aud_list = audience_actions.add_parser("list", help="every audience and what it receives")
    add_common_options(aud_list)
    aud_list.set_defaults(run=cmd_audience_list)
    aud_show = audience_actions.add_parser("show", help="one audience's policy")
    add_common_options(aud_show)
    aud_show.add_argument("name", choices=AUDIENCE_NAMES)
    aud_show.set_defaults(run=cmd_audience_show)
    aud_set = audience_actions.add_parser(
        "set",
        help="replace an audience's policy (never clinical or third-party fields)",
        epilog="sections: "
        + ", ".join(s.value for s in Section)
        + "\nfields: name, dob, nhs_number, local_ref, police_ref, address (or client.COLUMN)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_options(aud_set)
    aud_set.add_argument("name", choices=AUDIENCE_NAMES)
    aud_set.add_argument("--sections", required=True, help="comma-separated section names")
    aud_set.add_argument("--fields", required=True, help="comma-separated identifying fields")
    aud_set.add_argument("--title", help="how documents name the audience")
    aud_set.set_defaults(run=cmd_audience_set)
    aud_reset = audience_actions.add_parser("reset", help="go back to the built-in policy")
    add_common_options(aud_reset)
    aud_reset.add_argument("name", choices=AUDIENCE_NAMES)
    aud_reset.set_defaults(run=cmd_audience_reset)
