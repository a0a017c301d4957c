"""Alembic environment: runs against the connection clinic-app hands it.

The models are imported only so that a developer's ``alembic revision --autogenerate``
can compare them with the database; the migration scripts themselves never use them.
"""

from alembic import context

from clinic_app.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("clinic-app runs its migrations itself; use clinic_app.storage")


def include_object(
    obj: object, name: str | None, kind: str, reflected: bool, other: object
) -> bool:
    """Leave the full-text search tables (made by hand in 0002) out of autogenerate."""
    return not (kind == "table" and name is not None and "_fts" in name)


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
