"""Subject access requests, their serious-harm reviews, and third parties' consent.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 06:00:00.000000

``subject_access_request`` holds a client's request for their records from receipt to
completion (never deleted); ``subject_access_review`` a health professional's serious-harm
review of the pack (append-only). ``third_party`` gains when the person agreed to their
name being given to the client, and who recorded it. The disclosure register's kinds gain
``subject_access`` (the release of a pack).
"""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import SAWarning

revision = "0009"
down_revision = "0008"
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
)
NEW_KINDS = (*OLD_KINDS, "subject_access")


def _kinds(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name="disclosurekind", native_enum=False, create_constraint=True, length=40
    )


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


@contextmanager
def _quiet_reflection() -> Iterator[None]:
    """The client table's expression indexes (0006) cannot be reflected and need not be."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
        )
        yield


def _disclosure_kinds(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS disclosure_no_{action}")
    with (
        _quiet_reflection(),
        op.batch_alter_table("disclosure", schema=None, recreate="always") as batch_op,
    ):
        batch_op.alter_column(
            "kind", existing_type=_kinds(old), type_=_kinds(new), existing_nullable=False
        )
    if sqlite:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER disclosure_no_{action.lower()} BEFORE {action} ON disclosure "
                "BEGIN SELECT RAISE(ABORT, 'append-only: disclosure rows cannot be changed'); END"
            )


def upgrade() -> None:
    _disclosure_kinds(OLD_KINDS, NEW_KINDS)
    # Columns added in place: rebuilding third_party would drop its no-delete trigger and
    # touch the protective measures that refer to it.
    op.add_column("third_party", sa.Column("disclosure_consent_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE third_party ADD COLUMN disclosure_consent_by INTEGER "
            "REFERENCES staff_user (id)"
        )
    else:
        op.add_column(
            "third_party", sa.Column("disclosure_consent_by", sa.Integer(), nullable=True)
        )
        op.create_foreign_key(
            op.f("fk_third_party_disclosure_consent_by_staff_user"),
            "third_party",
            "staff_user",
            ["disclosure_consent_by"],
            ["id"],
        )
    op.create_table(
        "subject_access_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column(
            "requester_kind", _enum("requesterkind", "client", "representative"), nullable=False
        ),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("identity_checked_by", sa.Integer(), nullable=False),
        sa.Column("identity_checked_on", sa.Date(), nullable=False),
        sa.Column("identity_method", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_to", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=False),
        sa.Column("extended_by", sa.Integer(), nullable=True),
        sa.Column("extended_at", sa.DateTime(), nullable=True),
        sa.Column("registered_by", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_by", sa.Integer(), nullable=True),
        sa.Column("disclosure_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_subject_access_request_client_id_client")
        ),
        *(
            sa.ForeignKeyConstraint(
                [column],
                ["staff_user.id"],
                name=op.f(f"fk_subject_access_request_{column}_staff_user"),
            )
            for column in ("identity_checked_by", "extended_by", "registered_by", "completed_by")
        ),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["disclosure.id"],
            name=op.f("fk_subject_access_request_disclosure_id_disclosure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_access_request")),
    )
    op.create_index(
        op.f("ix_subject_access_request_client_id"), "subject_access_request", ["client_id"]
    )
    op.create_table(
        "subject_access_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column(
            "decision",
            _enum(
                "harmdecision",
                "release_in_full",
                "release_with_items_withheld",
                "do_not_release",
            ),
            nullable=False,
        ),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("withheld", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_access_request.id"],
            name=op.f("fk_subject_access_review_request_id_subject_access_request"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["staff_user.id"],
            name=op.f("fk_subject_access_review_reviewed_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_access_review")),
    )
    op.create_index(
        op.f("ix_subject_access_review_request_id"), "subject_access_review", ["request_id"]
    )
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER subject_access_review_no_{action.lower()} BEFORE {action} "
                "ON subject_access_review BEGIN SELECT RAISE(ABORT, 'append-only: "
                "subject_access_review rows cannot be changed'); END"
            )
        op.execute(
            "CREATE TRIGGER subject_access_request_no_delete BEFORE DELETE ON "
            "subject_access_request BEGIN SELECT RAISE(ABORT, 'records in "
            "subject_access_request are never deleted'); END"
        )


def downgrade() -> None:
    # The register is append-only: a database that has released a subject access pack
    # cannot go back to a schema without that kind.
    released = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM disclosure WHERE kind = 'subject_access'")
    )
    if released:
        raise RuntimeError(
            "This database has subject access disclosures in its register; it cannot be "
            "taken back to an earlier version. Restore a backup taken before the upgrade."
        )
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "subject_access_review_no_update",
            "subject_access_review_no_delete",
            "subject_access_request_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(op.f("ix_subject_access_review_request_id"), table_name="subject_access_review")
    op.drop_table("subject_access_review")
    op.drop_index(op.f("ix_subject_access_request_client_id"), table_name="subject_access_request")
    op.drop_table("subject_access_request")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column in place (3.35+) when nothing refers to it.
        op.execute("ALTER TABLE third_party DROP COLUMN disclosure_consent_by")
        op.execute("ALTER TABLE third_party DROP COLUMN disclosure_consent_on")
    else:
        op.drop_constraint(
            op.f("fk_third_party_disclosure_consent_by_staff_user"),
            "third_party",
            type_="foreignkey",
        )
        op.drop_column("third_party", "disclosure_consent_by")
        op.drop_column("third_party", "disclosure_consent_on")
    _disclosure_kinds(NEW_KINDS, OLD_KINDS)
