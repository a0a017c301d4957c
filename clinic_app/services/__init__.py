"""Use cases: ``fn(session, ...)`` returning frozen dataclasses. No Qt, no commits here."""
