"""Every command: its name, its one line of help, and the group module that runs it.

``clinic-app --help`` (and a mistyped command) is answered from this table alone, so the
command line starts without importing any command group, nor the database, the services,
the measures or the renderers behind them. A group's module is imported only when one of
its commands runs (:func:`clinic_app.cli.build_parser`); it adds its commands with
:func:`clinic_app.cli.common.add_command`, which takes each one's help from here, so what
``--help`` lists and what runs cannot drift apart.

Nothing here may import more than the standard library: it is read on every start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Group:
    """One module of ``clinic_app.cli`` and the commands it adds, in the order shown."""

    module: str
    """The module's name within ``clinic_app.cli``, e.g. ``"sharing"``."""
    commands: tuple[tuple[str, str], ...]
    """(command, one line of help) for each command the module adds."""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.commands)


GROUPS: Final = (
    Group(
        "accounts",
        (
            ("init", "create a new encrypted database"),
            ("user", "manage staff accounts"),
            ("password", "change your own password"),
        ),
    ),
    Group(
        "records",
        (
            ("demo", "load a synthetic, clearly marked demo caseload"),
            ("import", "import a client record (all or nothing)"),
            ("export", "export a client record as JSON"),
        ),
    ),
    Group("audit_trail", (("audit", "check the audit trail"),)),
    Group("settings", (("setting", "administrators' settings (e.g. idle lock)"),)),
    Group("measures", (("measure", "self-report measure definitions and cut-offs"),)),
    Group(
        "safekeeping",
        (
            ("backup", "write a verified, encrypted backup"),
            ("restore", "replace the database with a backup"),
            ("recover", "enter the recovery key and keep it in the credential store"),
        ),
    ),
    Group("installation", (("self-test", "check that this installation has everything it needs"),)),
    Group(
        "sharing",
        (
            ("summary", "write a partner-safe progress summary (PDF) and log the disclosure"),
            (
                "risk-notice",
                "write an urgent risk notification (PDF) for one risk event and log it",
            ),
            ("register", "the disclosure register"),
            ("audience", "what each partner audience receives (administrators change it)"),
        ),
    ),
    Group(
        "letters",
        (("letter-template", "the wording of each kind of letter (administrators keep it)"),),
    ),
    Group(
        "service_directory",
        (("service", "the specialist service directory (administrators keep it)"),),
    ),
    Group(
        "third_parties",
        (
            ("third-party", "victims and other people in a client's record"),
            ("protective-measure", "orders and conditions protecting a client's victims"),
        ),
    ),
    Group("fhir", (("fhir", "self-report measures as FHIR R4"),)),
    Group(
        "evaluation",
        (("evaluation", "pseudonymised service-evaluation exports (administrators, leads)"),),
    ),
    Group("sar", (("sar", "subject access requests: a client asks for their records"),)),
    Group("site", (("site", "a team's shared record on PostgreSQL (site mode)"),)),
    Group("appointments", (("appointments", "book and keep a clinician's appointments"),)),
)
"""Every group, in the order ``clinic-app --help`` lists their commands."""

_HELP: Final = {name: text for group in GROUPS for name, text in group.commands}


def group_of(command: str | None) -> Group | None:
    """The group that adds ``command``; None for a word that names no command."""
    return next((g for g in GROUPS if command in g.names), None)


def help_for(command: str) -> str:
    """The one line ``clinic-app --help`` shows for ``command``."""
    return _HELP[command]
