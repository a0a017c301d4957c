"""Entry point: with no arguments open the application window, else run a command."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from typing import NoReturn

QT_PROBE = ["self-test", "--qt-probe"]

COMMAND_GC_THRESHOLDS = (1_000_000, 1, 1)
"""Python's cycle collector for a command's process: it runs once a million more objects
that may hold cycles are alive, rather than 700, and then collects the older generations
more often than usual (every second time), so what it runs finds cycles of any age.

A command loads several hundred modules and then does one piece of work; almost every
object it makes lives until the process ends or is freed as soon as it is dropped. A
partner summary for a 500-session client made about 180,000 such objects: with a
threshold of 10,000 the collector ran about 20 times, walked the imported modules'
objects again and again, took about 65 ms of the process's 0.9 s and found about a
thousand objects to free, with the same peak memory as never running. A command that
works through a whole database (an import) still collects, once per million."""


def main() -> int:
    if sys.argv[1:] == QT_PROBE:
        # The Qt half of the self-test, in the child process the self-test starts: it is
        # a window-side check, so it is not part of the (Qt-free) command line.
        from clinic_app.views.shell.selftest_qt import probe_main  # noqa: PLC0415

        return probe_main()
    if len(sys.argv) > 1:
        gc.set_threshold(*COMMAND_GC_THRESHOLDS)
        from clinic_app.cli import main as cli_main  # noqa: PLC0415 - no Qt for commands

        end_process(cli_main(sys.argv[1:]))
    from clinic_app.app import main as app_main  # noqa: PLC0415

    return int(app_main())


def end_process(status: int) -> NoReturn:
    """End a command's process once it has done its work, with ``status``.

    The command has closed its database and written its files. The exit handlers run as
    at any exit (log files flushed and closed, finalizers run) and the output is flushed;
    what is skipped is Python tearing down each of the several hundred modules a command
    loads, freeing memory the system takes back anyway (about a tenth of a partner
    summary's time).
    """
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that stopped early
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
