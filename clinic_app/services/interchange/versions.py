"""Older versions of the client record format, brought up to the current one before checking.

Version 1 files (written before third parties' contact details, advocates, wishes, protective
measures and the reviews of critical answers were recorded) and version 2 files (written
before a session's contact type was recorded) still import: what they could not hold is
filled in as empty (a contact type of null), and the result is checked as a current
document, so a problem is reported at the same JSON path as in the file.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from clinic_app.services.interchange.fields import FORMAT, FORMAT_VERSION

# What a version 1 third party lacks, as the empty values of version 2.
_THIRD_PARTY_ADDED_IN_2: Final[dict[str, Any]] = {
    "aliases": [],
    "addresses": [],
    "phones": [],
    "emails": [],
    "vehicles": [],
    "advocate_service": "",
    "advocate_contact": "",
    "wishes_and_concerns": "",
    "ended_on": None,
    "ended_reason": "",
    "protective_measures": [],
}
# What a version 2 session lacks: its contact type was not recorded.
_SESSION_ADDED_IN_3: Final[dict[str, Any]] = {"contact_type": None}


def upgraded(document: object) -> object:
    """A version 1 or 2 client record as the same record in the current version (a new
    object; the document is not changed). Anything else is returned as it is, for the
    schema check to judge."""
    if not (
        isinstance(document, dict)
        and document.get("format") == FORMAT
        and document.get("format_version") in (1, 2)
        and not isinstance(document.get("format_version"), bool)
    ):
        return document
    doc: dict[str, Any] = {**document, "format_version": FORMAT_VERSION}
    if document["format_version"] == 1:
        doc.setdefault("critical_item_reviews", [])
        people = doc.get("third_parties")
        if isinstance(people, list):
            doc["third_parties"] = [
                {**copy.deepcopy(_THIRD_PARTY_ADDED_IN_2), **p} if isinstance(p, dict) else p
                for p in people
            ]
    sessions = doc.get("sessions")
    if isinstance(sessions, list):
        doc["sessions"] = [
            {**_SESSION_ADDED_IN_3, **s} if isinstance(s, dict) else s for s in sessions
        ]
    return doc
