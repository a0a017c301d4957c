"""Case references and NHS numbers unique regardless of letter case and spacing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00.000000

``MASIP-0001``, ``masip-0001`` and ``MASIP -0001`` name one client, so the database now
refuses a second client whose case reference differs from another's only in capital
letters or spaces (a unique index on the folded reference), and likewise an NHS number
differing only in spaces or dashes (the services store NHS numbers as digits already;
the index holds the rule for any other way in).

A database that already holds such a pair cannot take the index. The upgrade then stops
with a message naming the references, before anything is changed (the automatic backup
taken before upgrading is kept too), rather than failing half-way.
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from clinic_app.errors import StorageError

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The same expressions as services.clients uses to look for a clash, so the service
# finds every clash the index would refuse, and says so first in plain words.
FOLDED_REFERENCE = "lower(replace(local_ref, ' ', ''))"
FOLDED_NHS_NUMBER = "replace(replace(nhs_number, ' ', ''), '-', '')"


def _clashes(expression: str, column: str) -> list[list[str]]:
    rows = op.get_bind().execute(
        sa.text(f"SELECT {column}, {expression} FROM client WHERE {column} IS NOT NULL")  # noqa: S608 - constant SQL
    )
    groups: dict[str, list[str]] = defaultdict(list)
    for value, folded in rows:
        groups[folded].append(value)
    return [sorted(values) for values in groups.values() if len(values) > 1]


def upgrade() -> None:
    references = _clashes(FOLDED_REFERENCE, "local_ref")
    if references:
        named = "; ".join(" and ".join(f"'{v}'" for v in group) for group in references[:3])
        raise StorageError(
            "This database holds case references that differ only in capital letters or "
            f"spaces ({named}), which this version of clinic-app treats as the same client. "
            "Nothing has been changed. Open the database with the previous version of "
            "clinic-app and change one reference of each pair, then open it with this one."
        )
    if _clashes(FOLDED_NHS_NUMBER, "nhs_number"):
        raise StorageError(
            "This database holds two clients with the same NHS number written differently. "
            "Nothing has been changed. Open the database with the previous version of "
            "clinic-app and correct one of them, then open it with this one."
        )
    op.create_index(
        "uq_client_local_ref_folded", "client", [sa.text(FOLDED_REFERENCE)], unique=True
    )
    op.create_index(
        "uq_client_nhs_number_folded", "client", [sa.text(FOLDED_NHS_NUMBER)], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_client_nhs_number_folded", table_name="client")
    op.drop_index("uq_client_local_ref_folded", table_name="client")
