"""Record interchange: one client's whole record as a documented JSON file, out and back in.

The format is ``resources/schemas/client-record.schema.json`` (JSON Schema draft 2020-12),
described for people in ``docs/record-format.md``. In short:

- staff are named by username and specialist services by name and kind, never by
  database id; items inside the document refer to each other by their 0-based position
  in their array (``risk_events[i].session_index`` and so on);
- every array is in a fixed order (by date, then in the order recorded), so exporting
  an unchanged record twice gives the same document apart from ``exported_at``;
- signed notes and addenda carry their seals (``notes.note_seal`` and
  ``notes.addendum_seal``), which hold no database ids, so they are checked on import and
  stored unchanged. A seal covers the content, the author, who signed and when (older,
  version 1 seals cover the content and the author, and are accepted as such); a note is
  signed by its author.

A file is read with :func:`read_document`, which refuses anything odd before the record
is looked at: a file over ``MAX_DOCUMENT_BYTES`` (read with that bound, never whole),
nesting deeper than ``MAX_DEPTH``, a field named twice, NUL characters and lone
surrogates, numbers outside what the database holds (64-bit integers, finite numbers).
Each refusal is one line naming the place in the file; nothing is written.

Import is all or nothing. Every problem with the document is collected, with the JSON
path where it was found (``$.sessions[3].session_date``), and reported together as one
``ValidationError`` before anything is written. The file must first match the schema;
the record's own rules (NHS number, dates, staff and services known here, cross
references, text limits, seals) are checked once it does. Rows are then written with
their final values, because history tables and signed notes cannot be updated.

Each part of the record is described once, as a tuple of ``Field`` (``fields``): export, the
checks and import all read the same description, so the two directions cannot drift apart.

The modules, by job: ``fields`` (the description of every part), ``schema`` (the JSON
Schema and its problems in words), ``reading`` (reading a file strictly), ``versions``
(older versions of the format brought up to the current one), ``checks`` (the record's
own rules), ``export`` and ``import_``. The use cases are imported here, the package's
interface: callers write ``interchange.export_client(...)``.
"""

from clinic_app.services.interchange.checks import check_document
from clinic_app.services.interchange.export import export_client
from clinic_app.services.interchange.fields import FORMAT, FORMAT_VERSION
from clinic_app.services.interchange.import_ import import_client
from clinic_app.services.interchange.reading import MAX_DOCUMENT_BYTES, read_document
from clinic_app.services.interchange.schema import (
    DATE_PATTERN,
    FILE_FORMAT,
    JUDGEMENT_LEVELS,
    SCHEMA_FILENAME,
    SHA256_PATTERN,
    TIMESTAMP_PATTERN,
    check_schema,
    load_schema,
    schema_path,
)

__all__ = [
    "DATE_PATTERN",
    "FILE_FORMAT",
    "FORMAT",
    "FORMAT_VERSION",
    "JUDGEMENT_LEVELS",
    "MAX_DOCUMENT_BYTES",
    "SCHEMA_FILENAME",
    "SHA256_PATTERN",
    "TIMESTAMP_PATTERN",
    "check_document",
    "check_schema",
    "export_client",
    "import_client",
    "load_schema",
    "read_document",
    "schema_path",
]
