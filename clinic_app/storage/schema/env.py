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

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
