"""The main window's menus beyond File and View: registers, and administration.

Each entry builds its window from the services when chosen, and imports it only then, so
signing in stays quick. What a window needs before it opens (the staff names for the
audience policies) is read on the background runner; the windows read their own lists
the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QWidget

from clinic_app.views.shell.main_window import MenuEntries

if TYPE_CHECKING:
    from clinic_app.services.workspace import Workspace


def app_menus(workspace: Workspace) -> list[MenuEntries]:
    """The Records menu for everyone; the Administration menu for administrators."""

    def run(make: Callable[[QWidget], QDialog]) -> Callable[[QWidget], object]:
        def show(parent: QWidget) -> object:
            dialog = make(parent)
            try:
                return dialog.exec()
            finally:
                dialog.deleteLater()

        return show

    records: MenuEntries = (
        "Reg&isters",
        [
            (
                "&Disclosure register…",
                "Ctrl+Shift+D",
                run(lambda parent: service_register(workspace, parent)),
            )
        ],
    )
    if workspace.me.is_clinical:
        return [records]
    administration: MenuEntries = (
        "&Administration",
        [
            (
                "&Specialist services…",
                "",
                run(lambda parent: services_directory(workspace, parent)),
            ),
            (
                "&Partner audiences…",
                "",
                lambda parent: open_audience_policies(workspace, parent),
            ),
            (
                "Import a &measure definition…",
                "",
                run(lambda parent: import_definition(workspace, parent)),
            ),
        ],
    )
    return [records, administration]


def service_register(workspace: Workspace, parent: QWidget) -> QDialog:
    from clinic_app.services.sharing import disclosures  # noqa: PLC0415
    from clinic_app.views.sharing.register import (  # noqa: PLC0415
        ServiceRegisterActions,
        ServiceRegisterWindow,
    )

    return ServiceRegisterWindow(
        ServiceRegisterActions(
            register_for_service=workspace.bind(disclosures.register_for_service),
            register_csv=workspace.bind(disclosures.register_csv),
        ),
        parent,
    )


def services_directory(workspace: Workspace, parent: QWidget) -> QDialog:
    from clinic_app.services import service_directory  # noqa: PLC0415
    from clinic_app.views.referrals.services_directory import (  # noqa: PLC0415
        ServicesActions,
        ServicesDirectoryDialog,
    )

    return ServicesDirectoryDialog(
        ServicesActions(
            service_directory=workspace.bind(service_directory.service_directory),
            add_service=workspace.bind(service_directory.add_service),
            update_service=workspace.bind(service_directory.update_service),
            set_service_active=workspace.bind(service_directory.set_service_active),
        ),
        parent,
    )


def open_audience_policies(workspace: Workspace, parent: QWidget) -> None:
    """Read the staff names (off the GUI thread), then open the audience policies."""
    from clinic_app.services import staff  # noqa: PLC0415
    from clinic_app.views.common.runner import runner  # noqa: PLC0415

    def show(names: dict[int, str]) -> None:
        dialog = audience_policies(workspace, parent, names)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    runner().run(
        partial(workspace.call, staff.display_names),
        show,
        key="audience-policies",  # a second click does not open two windows
        parent=parent,
    )


def audience_policies(workspace: Workspace, parent: QWidget, names: dict[int, str]) -> QDialog:
    from clinic_app.services.sharing import audiences  # noqa: PLC0415
    from clinic_app.views.sharing.audiences import (  # noqa: PLC0415
        AudiencePolicyActions,
        AudiencePolicyDialog,
    )

    return AudiencePolicyDialog(
        AudiencePolicyActions(
            audience_policy=workspace.bind(audiences.audience_policy),
            set_audience_policy=workspace.bind(audiences.set_audience_policy),
            reset_audience_policy=workspace.bind(audiences.reset_audience_policy),
            describe_staff=lambda staff_id: names.get(staff_id, "a former member of staff"),
        ),
        parent,
    )


def import_definition(workspace: Workspace, parent: QWidget) -> QDialog:
    from clinic_app.services import measure_definitions  # noqa: PLC0415
    from clinic_app.views.measures.dialogs import ImportDefinitionDialog  # noqa: PLC0415

    return ImportDefinitionDialog(workspace.bind(measure_definitions.import_definition), parent)
