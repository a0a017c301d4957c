"""Reading a client record file strictly, before anything in it is looked at."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from clinic_app import schema_words

# The largest client record file read. A record of 500 sessions with long notes is a
# few megabytes; this leaves room for the largest real caseloads, and no more.
MAX_DOCUMENT_BYTES: Final = 200_000_000


def read_document(source: Path) -> object:
    """A client record file's JSON value, read strictly (see ``schema_words.read_json``).

    Refused whole, with one line naming what and where, when the file is too large, not
    JSON, names a field twice, nests too deeply or holds what no record may hold.
    """
    return schema_words.read_json(source, max_bytes=MAX_DOCUMENT_BYTES, noun="client record")
