"""Letter templates, and letters in the disclosure register.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:00:00.000000

``letter_template`` holds the administrator's wording of each kind of letter (referral,
GP update, did-not-attend), replacing the built-in wording of that kind. The disclosure
register's kinds gain ``letter`` (a letter written from a template and issued).
"""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import SAWarning

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "partner_summary",
    "risk_notice",
    "referral_letter",
    "clinical_summary",
    "record_export",
    "decision_not_to_share",
    "risk_event_shared",
    "subject_access",
)
NEW_KINDS = (*OLD_KINDS, "letter")


def _kinds(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name="disclosurekind", native_enum=False, create_constraint=True, length=40
    )


@contextmanager
def _quiet_reflection() -> Iterator[None]:
    """The client table's expression indexes (0006) cannot be reflected and need not be."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
        )
        yield


def _disclosure_kinds(new: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        # PostgreSQL changes the check in place: the table keeps its row-level security,
        # its privileges and its append-only rules.
        op.drop_constraint(op.f("ck_disclosure_disclosurekind"), "disclosure", type_="check")
        listed = ", ".join(f"'{kind}'" for kind in new)
        op.create_check_constraint("disclosurekind", "disclosure", sa.text(f"kind IN ({listed})"))
        return
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS disclosure_no_{action}")
    old = OLD_KINDS if new == NEW_KINDS else NEW_KINDS
    with (
        _quiet_reflection(),
        op.batch_alter_table("disclosure", schema=None, recreate="always") as batch_op,
    ):
        batch_op.alter_column(
            "kind", existing_type=_kinds(old), type_=_kinds(new), existing_nullable=False
        )
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER disclosure_no_{action.lower()} BEFORE {action} ON disclosure "
            "BEGIN SELECT RAISE(ABORT, 'append-only: disclosure rows cannot be changed'); END"
        )


def upgrade() -> None:
    _disclosure_kinds(NEW_KINDS)
    op.create_table(
        "letter_template",
        sa.Column(
            "kind",
            sa.Enum(
                "referral",
                "gp_update",
                "did_not_attend",
                name="letterkind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("salutation", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sign_off", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff_user.id"], name=op.f("fk_letter_template_updated_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_letter_template")),
    )


def downgrade() -> None:
    # The register is append-only: a database that has issued a letter cannot go back to
    # a schema without that kind.
    issued = op.get_bind().scalar(sa.text("SELECT count(*) FROM disclosure WHERE kind = 'letter'"))
    if issued:
        raise RuntimeError(
            "This database has letters in its disclosure register; it cannot be taken back "
            "to an earlier version. Restore a backup taken before the upgrade."
        )
    op.drop_table("letter_template")
    _disclosure_kinds(OLD_KINDS)
