"""At a site, row-level security reads what a statement asks for, not the whole site.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 01:00:00.000000

Two changes in how a site decides which rows a member of staff may see; what they may see
is unchanged:

- A row that reaches its client through a parent row (an addendum through its note) was
  visible when "its parent's id is among the parents the person may see", which the server
  answered by reading every such parent: all the notes of the person's caseload, for each
  statement that read addenda. The policy now looks the parent up by its key.
- ``clinic_visible_clients()`` is PL/pgSQL: the server keeps its plan for the session,
  where the SQL function (which runs as its owner and so is never inlined) was planned
  again at every call, once for each table a statement reads.

The policies are generated from the models and set again by ``clinic-app site upgrade``
after the migrations (``clinic_app.services.site_security``); this revision makes the
schema check ask for that upgrade, and replaces the function here as well. A workstation
database needs nothing here.
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

VISIBLE_CLIENTS = """CREATE OR REPLACE FUNCTION clinic_visible_clients() RETURNS SETOF integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
        me integer := clinic_staff_id();
    BEGIN
        RETURN QUERY
            SELECT a.client_id FROM client_assignment a
            WHERE a.staff_id = me AND a.ended_at IS NULL
            UNION
            SELECT e.client_id FROM emergency_access e
            WHERE e.staff_id = me AND e.expires_at > (now() AT TIME ZONE 'UTC');
    END $$"""

SQL_FUNCTION = """CREATE OR REPLACE FUNCTION clinic_visible_clients() RETURNS SETOF integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
        SELECT a.client_id FROM client_assignment a
        WHERE a.staff_id = clinic_staff_id() AND a.ended_at IS NULL
        UNION
        SELECT e.client_id FROM emergency_access e
        WHERE e.staff_id = clinic_staff_id() AND e.expires_at > (now() AT TIME ZONE 'UTC')
    $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(VISIBLE_CLIENTS)


def downgrade() -> None:
    # The function as it was; the policies are set again by the older version's own
    # 'site upgrade'.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(SQL_FUNCTION)
