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
  again at every call, once for each table a statement reads. Its two parts are joined
  with UNION ALL: a policy asks only whether a client is among them, so removing
  duplicates was work for nothing at every call.

Both are in the security that ``clinic_app.services.site_security`` generates, which
``site init`` and ``site upgrade`` set after the migrations in the same transaction (they
are the only ways a site's schema moves). So this revision changes nothing itself: it
makes the schema check ask for that upgrade. A workstation database needs nothing here.
"""

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the security set after the migrations carries the change (see above)


def downgrade() -> None:
    pass  # an older version's own 'site upgrade' sets its own security again
