"""Entry point: with no arguments open the application window, else run a command."""

from __future__ import annotations

import sys


def main() -> int:
    if len(sys.argv) > 1:
        from clinic_app.cli import main as cli_main  # noqa: PLC0415 - no Qt for commands

        return cli_main(sys.argv[1:])
    from clinic_app.app import main as app_main  # noqa: PLC0415

    return int(app_main())


if __name__ == "__main__":
    sys.exit(main())
