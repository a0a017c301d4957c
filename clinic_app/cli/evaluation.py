"""``evaluation``: placeholder."""

from __future__ import annotations

from clinic_app.cli.common import Commands


def register(commands: Commands) -> None:
    del commands
