"""A client's record assembled from its parts, each handed use cases bound to the user.

The composition root (``app.ClinicApp``) asks for a record here when one is opened. Every
screen and service is imported inside the functions, so that importing this module costs
the sign-in window nothing: what a record's opening and its Overview need when the first
record opens, each other tab's screens when that tab is first built. The application
imports the first on the runner's thread once the main window shows, and the others once
the first record has opened (``views.shell.preload``), so neither is imported on the GUI
thread as a rule, and Home does not hold the tabs' screens before any record is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from clinic_app.services.clients import ClientSummary
    from clinic_app.services.notes import DraftRow
    from clinic_app.services.record import RecordOverview
    from clinic_app.services.risk import RiskEventRow
    from clinic_app.services.third_parties import Protection
    from clinic_app.services.workspace import Workspace
    from clinic_app.views.common.record_part import RecordPart
    from clinic_app.views.measures.tab import MeasuresTab
    from clinic_app.views.plan.tab import PlanTab
    from clinic_app.views.record.overview import OverviewTab
    from clinic_app.views.record.window import ClientRecordView
    from clinic_app.views.referrals.tab import ReferralsTab
    from clinic_app.views.risk.tab import RiskTab, UrgentRiskBanner
    from clinic_app.views.search.panel import NoteSearchPanel
    from clinic_app.views.sessions.tab import SessionsTab
    from clinic_app.views.sharing.actions import RiskNoticeActions
    from clinic_app.views.sharing.tab import SummariesTab
    from clinic_app.views.third_parties.tab import ThirdPartiesTab


def make_record(
    workspace: Workspace,
    client_id: int,
    *,
    autosave: Callable[..., DraftRow],
    verify_staff: Callable[[str], bool],
) -> ClientRecordView:
    """A client's record, built without reading the database.

    The view opens the record on the runner (``record.opening``: the audited view, which
    may need emergency access, with what the Overview and the urgent-risk banner show, in
    one unit of work) and only then shows its tabs; each other tab is built the first
    time it is shown and reads its own part of the record then.
    """
    # What the opening, the Overview and the urgent-risk banner need; each other tab
    # imports its own screens and services when it is first built.
    from clinic_app.services import clients, record, risk, staff, third_parties  # noqa: PLC0415
    from clinic_app.views.record.overview import OverviewActions, OverviewTab  # noqa: PLC0415
    from clinic_app.views.record.window import (  # noqa: PLC0415
        SUBJECT_ACCESS_TITLE,
        TAB_TITLES,
        ClientRecordView,
    )
    from clinic_app.views.risk.actions import RiskActions  # noqa: PLC0415
    from clinic_app.views.risk.tab import RiskTab, UrgentRiskBanner  # noqa: PLC0415

    # Staff names for the tabs, read with the opening (on the runner, before any tab
    # is built): the view hands the opening's result to the GUI thread only after this.
    names: dict[int, str] = {}
    # What the opening read for the Overview and the urgent-risk banner, each taken once:
    # by the banner, made when the opening's result arrives; by the Overview's first read
    # when the Overview is the tab built with the opening (it asks for it then; the runner
    # does its work in order, so that read runs just after the opening). A tab built
    # later reads afresh, and what no one asked for is not kept.
    first_reads: dict[str, Any] = {}
    overview_waiting: list[bool] = []

    def open_client() -> ClientSummary:
        opened = workspace.call(record.opening, client_id, date.today())
        names.update(opened.staff_names)
        if overview_waiting:
            first_reads["overview"] = (opened.overview, opened.protection)
        first_reads["urgent"] = list(opened.urgent)
        return opened.client

    def describe_staff(staff_id: int) -> str:
        return names.get(staff_id, "a former member of staff")

    notice_actions: list[RiskNoticeActions] = []

    def produce_risk_notice(parent: QWidget, event: RiskEventRow) -> bool:
        from clinic_app.views.sharing.document_wizards import RiskNoticeDialog  # noqa: PLC0415

        if not notice_actions:
            notice_actions.append(risk_notice_actions(workspace))
        dialog = RiskNoticeDialog(event.id, notice_actions[0], parent)
        produced: list[object] = []
        dialog.exported.connect(produced.append)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()
        return bool(produced)

    def risk_tab() -> RiskTab:
        part = view.tab("Risk")
        assert isinstance(part, RiskTab)
        return part

    def make_risk() -> RiskTab:
        return RiskTab(
            client_id,
            RiskActions(
                events_for_client=workspace.bind(risk.events_for_client),
                urgent_without_decision=workspace.bind(risk.urgent_without_decision),
                record_risk_event=workspace.bind(risk.record_risk_event),
                record_share_decision=workspace.bind(risk.record_share_decision),
                describe_staff=describe_staff,
                produce_risk_notice=produce_risk_notice,
            ),
        )

    def make_banner() -> UrgentRiskBanner:
        return UrgentRiskBanner(
            partial(workspace.call, risk.urgent_without_decision, client_id),
            lambda event: risk_tab().open_decision(event),
            known=first_reads.pop("urgent", None),
        )

    def open_risk_event(session_note_id: int | None) -> None:
        risk_tab().open_new_event(session_note_id=session_note_id)

    def record_risk_event_for_review() -> int | None:
        """The Measures tab's way in: the new event's id, to record it as the review."""
        event = risk_tab().open_new_event()
        return event.id if event is not None else None

    def make_overview() -> OverviewTab:
        if not view.is_open:
            overview_waiting.append(True)

        def opened() -> tuple[RecordOverview, Protection] | None:
            read: tuple[RecordOverview, Protection] | None = first_reads.pop("overview", None)
            return read

        return OverviewTab(
            client_id,
            OverviewActions(
                overview=workspace.bind(record.overview),
                client_details=workspace.bind(clients.client_details),
                update_client=workspace.bind(clients.update_client),
                set_typology=workspace.bind(clients.set_typology),
                record_risk_assessment=workspace.bind(clients.record_risk_assessment),
                clinical_staff=workspace.bind(staff.clinical_staff),
                assign_staff=workspace.bind(clients.assign_staff),
                known_sites=workspace.bind(clients.known_sites),
                protection=workspace.bind(third_parties.protection),
                opened=opened,
            ),
        )

    def make_plan() -> PlanTab:
        from clinic_app.services import plans  # noqa: PLC0415
        from clinic_app.views.plan.tab import PlanActions, PlanTab  # noqa: PLC0415

        return PlanTab(
            client_id,
            PlanActions(
                plans_for_client=workspace.bind(plans.plans_for_client),
                revisions=workspace.bind(plans.revisions),
                goal_progress=workspace.bind(plans.goal_progress),
                create_plan=workspace.bind(plans.create_plan),
                save_revision=workspace.bind(plans.save_revision),
                rate_goal=workspace.bind(plans.rate_goal),
                describe_staff=describe_staff,
            ),
        )

    def make_sessions() -> SessionsTab:
        from clinic_app.services import notes, plans  # noqa: PLC0415
        from clinic_app.views.sessions.actions import SessionsActions  # noqa: PLC0415
        from clinic_app.views.sessions.tab import SessionsTab  # noqa: PLC0415

        return SessionsTab(
            client_id,
            SessionsActions(
                notes_for_client=workspace.bind(notes.notes_for_client),
                create_draft=workspace.bind(notes.create_draft),
                edit_draft=workspace.bind(notes.edit_draft),
                sign_note=workspace.bind(notes.sign_note),
                add_addendum=workspace.bind(notes.add_addendum),
                mark_entered_in_error=workspace.bind(notes.mark_entered_in_error),
                autosave=autosave,
                drafts_to_recover=workspace.bind(notes.drafts_to_recover),
                discard_draft=workspace.bind(notes.discard_draft),
                plans_for_client=workspace.bind(plans.plans_for_client),
                clinical_staff=workspace.bind(staff.clinical_staff),
                open_risk_event=open_risk_event,
            ),
        )

    def make_referrals() -> ReferralsTab:
        from clinic_app.services import referrals, service_directory  # noqa: PLC0415
        from clinic_app.services.sharing import letters  # noqa: PLC0415
        from clinic_app.views.referrals.actions import ReferralsActions  # noqa: PLC0415
        from clinic_app.views.referrals.tab import ReferralsTab  # noqa: PLC0415

        return ReferralsTab(
            client_id,
            ReferralsActions(
                referrals_for_client=workspace.bind(referrals.referrals_for_client),
                service_directory=workspace.bind(service_directory.service_directory),
                create_referral=workspace.bind(referrals.create_referral),
                change_status=workspace.bind(referrals.change_status),
                preview_referral_letter=workspace.bind(letters.preview_referral_letter),
                issue_referral_letter=workspace.bind(letters.issue_referral_letter),
            ),
        )

    def make_measures() -> MeasuresTab:
        from clinic_app.services import (  # noqa: PLC0415
            critical_items,
            measure_definitions,
            measure_schedules,
            measures,
            notes,
        )
        from clinic_app.views.measures.actions import MeasuresActions  # noqa: PLC0415
        from clinic_app.views.measures.tab import MeasuresTab  # noqa: PLC0415

        return MeasuresTab(
            client_id,
            MeasuresActions(
                results_for_client=workspace.bind(measures.results_for_client),
                measures_due=workspace.bind(measure_schedules.measures_due),
                available_measures=workspace.bind(measure_definitions.available_measures),
                record_administration=workspace.bind(measures.record_administration),
                sessions_for_client=workspace.bind(notes.notes_for_client),
                schedules_for_client=workspace.bind(measure_schedules.schedules_for_client),
                set_schedule=workspace.bind(measure_schedules.set_schedule),
                stop_schedule=workspace.bind(measure_schedules.stop_schedule),
                verify_staff=verify_staff,
                record_risk_event=record_risk_event_for_review,
                review_critical_answers=workspace.bind(critical_items.review_critical_answers),
                critical_reviews=workspace.bind(critical_items.critical_reviews),
                describe_staff=describe_staff,
            ),
        )

    def make_summaries() -> SummariesTab:
        from clinic_app.services.sharing import (  # noqa: PLC0415
            audiences,
            disclosures,
            documents,
            drafts,
            template_letters,
        )
        from clinic_app.views.sharing.actions import (  # noqa: PLC0415
            ClinicalSummaryActions,
            PartnerSummaryActions,
        )
        from clinic_app.views.sharing.letters import LetterActions  # noqa: PLC0415
        from clinic_app.views.sharing.tab import SummariesActions, SummariesTab  # noqa: PLC0415

        return SummariesTab(
            client_id,
            SummariesActions(
                register_for_client=workspace.bind(disclosures.register_for_client),
                register_csv=workspace.bind(disclosures.register_csv),
                record_decision_not_to_share=workspace.bind(
                    disclosures.record_decision_not_to_share
                ),
                regenerate=workspace.bind(documents.regenerate),
                partner=PartnerSummaryActions(
                    list_audiences=workspace.bind(audiences.list_audiences),
                    prepare=workspace.bind(drafts.prepare_partner_summary),
                    revise=workspace.bind(drafts.revise),
                    preview=workspace.bind(documents.preview_partner_summary),
                    export=workspace.bind(documents.export_partner_summary),
                    previous=workspace.bind(disclosures.previous_sharing),
                ),
                clinical=ClinicalSummaryActions(
                    preview=workspace.bind(documents.preview_clinical_summary),
                    export=workspace.bind(documents.export_clinical_summary),
                ),
                my_name=lambda: workspace.me.display_name,
                letters=LetterActions(
                    draft=workspace.bind(template_letters.draft_letter),
                    preview=workspace.bind(template_letters.preview_letter),
                    issue=workspace.bind(template_letters.issue_letter),
                ),
            ),
        )

    def make_third_parties() -> ThirdPartiesTab:
        from clinic_app.views.third_parties.actions import ThirdPartiesActions  # noqa: PLC0415
        from clinic_app.views.third_parties.tab import ThirdPartiesTab  # noqa: PLC0415

        return ThirdPartiesTab(
            client_id,
            ThirdPartiesActions(
                third_parties_for_client=workspace.bind(third_parties.third_parties_for_client),
                add_third_party=workspace.bind(third_parties.add_third_party),
                update_third_party=workspace.bind(third_parties.update_third_party),
                end_third_party=workspace.bind(third_parties.end_third_party),
                add_protective_measure=workspace.bind(third_parties.add_protective_measure),
                update_protective_measure=workspace.bind(third_parties.update_protective_measure),
                revoke_protective_measure=workspace.bind(third_parties.revoke_protective_measure),
            ),
        )

    def show_note(_client_id: int, note_id: int) -> None:
        sessions = view.show_tab("Sessions")
        if sessions is not None:
            sessions.select_item(note_id)  # done once the notes are in

    def make_finder() -> NoteSearchPanel:
        from clinic_app.services import search  # noqa: PLC0415
        from clinic_app.views.search.panel import NoteSearchPanel  # noqa: PLC0415

        finder = NoteSearchPanel(
            partial(workspace.bind(search.search_notes), client_id=client_id),
            show_client=False,
        )
        finder.note_activated.connect(show_note)
        return finder

    makers = (
        make_overview,
        make_plan,
        make_sessions,
        make_risk,
        make_referrals,
        make_measures,
        make_summaries,
        make_third_parties,
    )
    view = ClientRecordView.opening(
        client_id,
        open_client,
        [
            *zip(TAB_TITLES, makers, strict=True),
            ("Search notes", make_finder),
            (SUBJECT_ACCESS_TITLE, lambda: _subject_access_tab(workspace, client_id)),
            ("Documents", lambda: _documents_tab(workspace, client_id, describe_staff)),
        ],
        banner=make_banner,
        reload_client=lambda: workspace.call(clients.client_summary, client_id),
    )
    return view


def _documents_tab(
    workspace: Workspace, client_id: int, describe_staff: Callable[[int], str]
) -> RecordPart:
    """The Documents part of the record (documents received from other services)."""
    from clinic_app.services import documents  # noqa: PLC0415
    from clinic_app.views.documents.actions import DocumentsActions  # noqa: PLC0415
    from clinic_app.views.documents.tab import DocumentsTab  # noqa: PLC0415

    return DocumentsTab(
        client_id,
        DocumentsActions(
            documents_for_client=workspace.bind(documents.documents_for_client),
            attach_file=workspace.bind(documents.attach_file),
            open_document=workspace.bind(documents.open_document),
            mark_entered_in_error=workspace.bind(documents.mark_entered_in_error),
            describe_staff=describe_staff,
        ),
    )


def _subject_access_tab(workspace: Workspace, client_id: int) -> RecordPart:
    """The Subject access part of the record (requests, review, release)."""
    from clinic_app.services import subject_access  # noqa: PLC0415
    from clinic_app.services.sharing import subject_access as packs  # noqa: PLC0415
    from clinic_app.views.sar.actions import SubjectAccessActions  # noqa: PLC0415
    from clinic_app.views.sar.tab import SubjectAccessTab  # noqa: PLC0415

    return SubjectAccessTab(
        client_id,
        SubjectAccessActions(
            requests_for_client=workspace.bind(subject_access.requests_for_client),
            register_request=workspace.bind(subject_access.register_request),
            extend_request=workspace.bind(subject_access.extend_request),
            prepare_pack=workspace.bind(packs.prepare_pack),
            record_review=workspace.bind(packs.record_review),
            release_pack=workspace.bind(packs.release_pack),
        ),
    )


def risk_notice_actions(workspace: Workspace) -> RiskNoticeActions:
    from clinic_app.services.sharing import audiences, documents, drafts  # noqa: PLC0415
    from clinic_app.views.sharing.actions import RiskNoticeActions  # noqa: PLC0415

    return RiskNoticeActions(
        list_audiences=workspace.bind(audiences.list_audiences),
        prepare=workspace.bind(drafts.prepare_risk_notice),
        revise=workspace.bind(drafts.revise),
        preview=workspace.bind(documents.preview_risk_notice),
        export=workspace.bind(documents.export_risk_notice),
    )
