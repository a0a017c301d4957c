"""Critical-answer reviews, and third parties recorded in full with protective measures.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-07 09:00:00.000000

``critical_item_review`` holds a clinician's explicit review of one administration's
critical answers; the dashboard's alert ends only with it (append-only, like the audit).
``third_party`` gains what a stalking service records about a victim and the people
around them (other names, addresses, phones, emails, vehicles, their advocate, their
wishes and safety concerns, and when the record of them ended); ``protective_measure``
holds the orders and conditions in force to protect them. Every one of these columns is
THIRD_PARTY: it never leaves the service.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

THIRD_PARTY_TEXT = (
    "aliases",
    "addresses",
    "phones",
    "emails",
    "vehicles",
    "advocate_service",
    "advocate_contact",
    "wishes_and_concerns",
    "ended_reason",
)


def upgrade() -> None:
    op.create_table(
        "critical_item_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "risk_event_recorded",
                "no_further_action",
                name="criticalreviewoutcome",
                native_enum=False,
                length=40,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("risk_event_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["measure_administration.id"],
            name=op.f("fk_critical_item_review_administration_id_measure_administration"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_critical_item_review_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["risk_event_id"],
            ["risk_event.id"],
            name=op.f("fk_critical_item_review_risk_event_id_risk_event"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["staff_user.id"],
            name=op.f("fk_critical_item_review_reviewed_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critical_item_review")),
        sa.UniqueConstraint(
            "administration_id", name=op.f("uq_critical_item_review_administration_id")
        ),
    )
    op.create_index(
        op.f("ix_critical_item_review_client_id"), "critical_item_review", ["client_id"]
    )

    with op.batch_alter_table("third_party", schema=None) as batch_op:
        for name in THIRD_PARTY_TEXT:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("ended_on", sa.Date(), nullable=True))

    op.create_table(
        "protective_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("third_party_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "stalking_protection_order",
                "interim_stalking_protection_order",
                "restraining_order",
                "non_molestation_order",
                "bail_conditions",
                "licence_conditions",
                "other",
                name="protectivemeasurekind",
                native_enum=False,
                length=40,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("forbids", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["third_party_id"],
            ["third_party.id"],
            name=op.f("fk_protective_measure_third_party_id_third_party"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_protective_measure_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_user.id"],
            name=op.f("fk_protective_measure_recorded_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protective_measure")),
    )
    op.create_index(
        op.f("ix_protective_measure_third_party_id"), "protective_measure", ["third_party_id"]
    )
    op.create_index(op.f("ix_protective_measure_client_id"), "protective_measure", ["client_id"])

    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER critical_item_review_no_{action.lower()} BEFORE {action} "
                "ON critical_item_review BEGIN SELECT RAISE(ABORT, 'append-only: "
                "critical_item_review rows cannot be changed'); END"
            )
        for table in ("third_party", "protective_measure"):
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'records in {table} are never deleted'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "critical_item_review_no_update",
            "critical_item_review_no_delete",
            "third_party_no_delete",
            "protective_measure_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(op.f("ix_protective_measure_client_id"), table_name="protective_measure")
    op.drop_index(op.f("ix_protective_measure_third_party_id"), table_name="protective_measure")
    op.drop_table("protective_measure")
    with op.batch_alter_table("third_party", schema=None) as batch_op:
        batch_op.drop_column("ended_on")
        for name in reversed(THIRD_PARTY_TEXT):
            batch_op.drop_column(name)
    op.drop_index(op.f("ix_critical_item_review_client_id"), table_name="critical_item_review")
    op.drop_table("critical_item_review")
