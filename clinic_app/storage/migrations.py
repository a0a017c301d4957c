"""Schema migrations with Alembic, run programmatically against an open engine.

The migration scripts live in ``schema/`` beside this module and are the only way the
schema changes. ``open_database`` backs the database up before running any of them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from clinic_app.errors import SchemaTooNew

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

SCRIPT_LOCATION = Path(__file__).with_name("schema")

# The newest migration. Opening a database only compares its revision with this, so the
# usual start does not load Alembic at all; a test checks it against the scripts.
HEAD_REVISION = "0021"


def _config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 - only when migrating

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - only when migrating

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    return HEAD_REVISION


def scripts_head() -> str | None:
    """The head as Alembic computes it from the scripts (for the consistency test)."""
    return _scripts().get_current_head()


def current_revision(conn: Connection) -> str | None:
    """The database's schema revision, read directly (None for a database never migrated)."""
    if conn.dialect.name == "sqlite":
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    else:
        query = "SELECT 1 FROM information_schema.tables WHERE table_name = 'alembic_version'"
    has_table = conn.execute(text(query)).first()
    if has_table is None:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


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
    from alembic import command  # noqa: PLC0415 - only when migrating

    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)


def upgrade_on(conn: Connection, target: str = "head") -> None:
    """Bring the schema up to ``target`` within the caller's transaction (a site's owner)."""
    from alembic import command  # noqa: PLC0415 - only when migrating

    config = _config()
    config.attributes["connection"] = conn
    command.upgrade(config, target)
