"""The script PyInstaller freezes: the same entry point as the ``clinic-app`` command."""

import sys

from clinic_app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
