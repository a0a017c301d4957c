"""What a unit of work sends to the database, for tests that count round trips."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """Every statement ``engine`` sends while the block runs, its whitespace folded (at a
    site each is a round trip; BEGIN and COMMIT are not listed)."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)
