"""Entry point: with no arguments open the application window, else run a command."""

from __future__ import annotations

import sys

QT_PROBE = ["self-test", "--qt-probe"]


def main() -> int:
    if sys.argv[1:] == QT_PROBE:
        # The Qt half of the self-test, in the child process the self-test starts: it is
        # a window-side check, so it is not part of the (Qt-free) command line.
        from clinic_app.views.shell.selftest_qt import probe_main  # noqa: PLC0415

        return probe_main()
    if len(sys.argv) > 1:
        from clinic_app.cli import main as cli_main  # noqa: PLC0415 - no Qt for commands

        return cli_main(sys.argv[1:])
    from clinic_app.app import main as app_main  # noqa: PLC0415

    return int(app_main())


if __name__ == "__main__":
    sys.exit(main())
