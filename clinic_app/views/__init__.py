"""Qt widgets, item models and dialogs. The only package, with app.py, that imports Qt.

Importing it also undoes a cost PySide6 puts on every later import in the process (see
:mod:`clinic_app.views.pyside_import`).
"""

from clinic_app.views.pyside_import import restore_plain_import

restore_plain_import()
