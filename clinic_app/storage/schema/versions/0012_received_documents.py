"""Documents received about a client, kept inside the database.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00.000000

``received_document`` holds each file another service sent about a client (a police
report, panel minutes, a letter), its content as it came, with its title, sender, date of
receipt, the clinician's class for it (clinical or third party), its SHA-256, and who
attached it when. A document is never deleted and never changed; one attached by mistake
is marked entered in error, and that mark is final. The database keeps these rules with
triggers, on SQLite and on PostgreSQL alike (where ``clinic_refuse`` comes from 0010).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "received_document"
FIXED_COLUMNS = (
    "client_id",
    "title",
    "received_from",
    "received_on",
    "document_class",
    "file_name",
    "media_type",
    "size_bytes",
    "content_sha256",
    "content",
    "added_by",
    "added_at",
)
ERROR_MARK_COLUMNS = ("entered_in_error_at", "entered_in_error_by", "entered_in_error_reason")
FIXED_MESSAGE = "a received document cannot be changed"
MARK_MESSAGE = "an entered-in-error mark cannot be changed"
DELETE_MESSAGE = f"records in {TABLE} are never deleted"


def _sqlite_triggers() -> None:
    def changed(columns: tuple[str, ...]) -> str:
        return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)

    op.execute(
        f"CREATE TRIGGER {TABLE}_fixed BEFORE UPDATE ON {TABLE} "
        f"WHEN {changed(FIXED_COLUMNS)} "
        f"BEGIN SELECT RAISE(ABORT, '{FIXED_MESSAGE}'); END"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_error_mark_final BEFORE UPDATE ON {TABLE} "
        f"WHEN OLD.entered_in_error_at IS NOT NULL AND ({changed(ERROR_MARK_COLUMNS)}) "
        f"BEGIN SELECT RAISE(ABORT, '{MARK_MESSAGE}'); END"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{DELETE_MESSAGE}'); END"
    )


def _postgresql_triggers() -> None:
    def changed(columns: tuple[str, ...]) -> str:
        return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)

    def refuse(name: str, when: str, message: str, condition: str = "") -> None:
        where = f" WHEN ({condition})" if condition else ""
        level = "STATEMENT" if when.endswith("TRUNCATE") else "ROW"
        op.execute(
            f"CREATE TRIGGER {name} {when} ON {TABLE} FOR EACH {level}{where} "
            f"EXECUTE FUNCTION clinic_refuse('{message}')"
        )

    refuse(f"{TABLE}_fixed", "BEFORE UPDATE", FIXED_MESSAGE, changed(FIXED_COLUMNS))
    refuse(
        f"{TABLE}_error_mark_final",
        "BEFORE UPDATE",
        MARK_MESSAGE,
        f"OLD.entered_in_error_at IS NOT NULL AND ({changed(ERROR_MARK_COLUMNS)})",
    )
    refuse(f"{TABLE}_no_delete", "BEFORE DELETE", DELETE_MESSAGE)
    refuse(f"{TABLE}_no_truncate", "BEFORE TRUNCATE", DELETE_MESSAGE)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("received_from", sa.String(length=200), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column(
            "document_class",
            sa.Enum(
                "clinical",
                "third_party",
                name="documentclass",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("entered_in_error_at", sa.DateTime(), nullable=True),
        sa.Column("entered_in_error_by", sa.Integer(), nullable=True),
        sa.Column("entered_in_error_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_received_document_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["staff_user.id"],
            name=op.f("fk_received_document_added_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_in_error_by"],
            ["staff_user.id"],
            name=op.f("fk_received_document_entered_in_error_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_document")),
    )
    op.create_index(op.f("ix_received_document_client_id"), TABLE, ["client_id"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()
    else:
        _postgresql_triggers()


def downgrade() -> None:
    # A database that holds received documents cannot go back without losing them.
    held = op.get_bind().scalar(sa.text(f"SELECT count(*) FROM {TABLE}"))  # noqa: S608
    if held:
        raise RuntimeError(
            "This database holds received documents; it cannot be taken back to an earlier "
            "version without losing them. Restore a backup taken before the upgrade."
        )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in ("fixed", "error_mark_final", "no_delete", "no_truncate"):
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{name} ON {TABLE}")
    op.drop_index(op.f("ix_received_document_client_id"), table_name=TABLE)
    op.drop_table(TABLE)
