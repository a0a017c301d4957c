"""Schema migrations with Alembic, run programmatically against an open engine.

The migration scripts live in ``schema/`` beside this module and are the only way the
schema changes. ``open_database`` backs the database up before running any of them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from clinic_app.errors import SchemaTooNew

SCRIPT_LOCATION = Path(__file__).with_name("schema")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "the migration scripts have no head"
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def check_known(revision: str | None) -> None:
    """Refuse a database whose schema comes from a newer clinic-app than this one."""
    if revision is None:
        return
    known = {script.revision for script in _scripts().walk_revisions()}
    if revision not in known:
        raise SchemaTooNew(
            "This database was last used by a newer version of clinic-app. Install that "
            "version (or newer) to open it; nothing has been changed."
        )


def upgrade(engine: Engine, target: str = "head") -> None:
    """Bring the schema up to ``target`` in one transaction."""
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)
