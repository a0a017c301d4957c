"""Initial schema: the whole clinical record, and the triggers that keep its history.

Long because it is one migration: applied migrations are never edited or split.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 07:07:20.485330
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _second_check_name(name: str) -> str:
    """The name of a second CHECK constraint on the same enum in one table.

    SQLite lets two constraints of a table share a name; PostgreSQL does not, so there the
    second one is told apart. What SQLite gets is unchanged.
    """
    return name if op.get_bind().dialect.name == "sqlite" else f"{name}_to"


def upgrade() -> None:
    op.create_table(
        "app_setting",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_setting")),
    )
    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("local_ref", sa.String(length=40), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("police_ref", sa.String(length=60), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("site", sa.String(length=120), nullable=False),
        sa.Column("referral_source", sa.String(length=200), nullable=False),
        sa.Column("referral_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "referred",
                "active",
                "on_hold",
                "closed",
                name="clientstatus",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "consent_to_share",
            sa.Enum(
                "given",
                "refused",
                "not_asked",
                "not_required",
                name="consenttoshare",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("sharing_notes", sa.Text(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
        sa.UniqueConstraint("local_ref", name=op.f("uq_client_local_ref")),
        sa.UniqueConstraint("nhs_number", name=op.f("uq_client_nhs_number")),
    )
    op.create_table(
        "specialist_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "personality_disorder",
                "psychiatry",
                "talking_therapies",
                "substance_misuse",
                "forensic",
                "gp",
                "other",
                name="servicekind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("expected_response_days", sa.Integer(), nullable=False),
        sa.Column("snomed_concept_id", sa.String(length=18), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialist_service")),
        sa.UniqueConstraint("name", name=op.f("uq_specialist_service_name")),
    )
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("job_title", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "psychologist",
                "clinician",
                "administrator",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_user_username")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_user.id"], name=op.f("fk_audit_event_actor_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_event_seq")),
    )
    op.create_table(
        "client_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_client_assignment_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_client_assignment_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_assignment")),
    )
    with op.batch_alter_table("client_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_assignment_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_client_assignment_staff_id"), ["staff_id"], unique=False
        )

    op.create_table(
        "emergency_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_emergency_access_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_emergency_access_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_access")),
    )
    with op.batch_alter_table("emergency_access", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_access_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "intervention_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_intervention_plan_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_user.id"],
            name=op.f("fk_intervention_plan_created_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intervention_plan")),
    )
    with op.batch_alter_table("intervention_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intervention_plan_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "measure_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(length=60), nullable=False),
        sa.Column("every_n_sessions", sa.Integer(), nullable=True),
        sa.Column("at_plan_review", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_measure_schedule_client_id_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_schedule")),
    )
    with op.batch_alter_table("measure_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measure_schedule_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("clinical_detail", sa.Text(), nullable=False),
        sa.Column(
            "urgency",
            sa.Enum(
                "routine",
                "urgent",
                "emergency",
                name="referralurgency",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "sent",
                "acknowledged",
                "accepted",
                "declined",
                "waiting_list",
                "seen",
                "closed",
                name="referralstatus",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("fact_shareable", sa.Boolean(), nullable=False),
        sa.Column(
            "share_gateway",
            sa.Enum(
                "consent",
                "cda-s115",
                "dpa-sch1-para2",
                "dpa-sch1-para10",
                "dpa-sch1-para18",
                "gdpr-art10",
                "public-interest",
                name="gateway",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_referral_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_user.id"], name=op.f("fk_referral_created_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["specialist_service.id"],
            name=op.f("fk_referral_service_id_specialist_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_client_id"), ["client_id"], unique=False)

    op.create_table(
        "risk_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column(
            "tool",
            sa.Enum(
                "srp",
                "sam",
                "s-dash",
                "other",
                name="risktool",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("tool_name", sa.String(length=120), nullable=False),
        sa.Column("tool_version", sa.String(length=40), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("judgements", sa.JSON(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("shareable_summary", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessor_id"],
            ["staff_user.id"],
            name=op.f("fk_risk_assessment_assessor_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_risk_assessment_client_id_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessment")),
    )
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "session_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "modality",
            sa.Enum(
                "in_person",
                "video",
                "phone",
                name="modality",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "attendance",
            sa.Enum(
                "attended",
                "late",
                "did_not_attend",
                "cancelled_by_client",
                "cancelled_by_service",
                name="attendance",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "engagement",
            sa.Enum(
                "good",
                "partial",
                "poor",
                "not_assessed",
                name="engagement",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("plan_goal_key", sa.String(length=36), nullable=True),
        sa.Column("risk_checkin", sa.Text(), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("intervention_content", sa.Text(), nullable=False),
        sa.Column("homework", sa.Text(), nullable=False),
        sa.Column("risk_rerating", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("partner_update", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.Column("signed_by", sa.Integer(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("entered_in_error_at", sa.DateTime(), nullable=True),
        sa.Column("entered_in_error_by", sa.Integer(), nullable=True),
        sa.Column("entered_in_error_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_user.id"], name=op.f("fk_session_note_author_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_session_note_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["entered_in_error_by"],
            ["staff_user.id"],
            name=op.f("fk_session_note_entered_in_error_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"], ["staff_user.id"], name=op.f("fk_session_note_signed_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_note")),
    )
    with op.batch_alter_table("session_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_note_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_session_note_session_date"), ["session_date"], unique=False
        )

    op.create_table(
        "third_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column(
            "relation",
            sa.Enum(
                "victim",
                "victim_family",
                "victim_associate",
                "new_partner",
                "other",
                name="thirdpartyrelation",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_third_party_client_id_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_third_party")),
        sa.UniqueConstraint("client_id", "label", name=op.f("uq_third_party_client_id")),
    )
    with op.batch_alter_table("third_party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_third_party_client_id"), ["client_id"], unique=False)

    op.create_table(
        "typology_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column(
            "typology",
            sa.Enum(
                "rejected",
                "resentful",
                "intimacy_seeking",
                "incompetent_suitor",
                "predatory",
                "not_yet_determined",
                name="typology",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_by"],
            ["staff_user.id"],
            name=op.f("fk_typology_assessment_assessed_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_typology_assessment_client_id_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_typology_assessment")),
    )
    with op.batch_alter_table("typology_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_typology_assessment_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "goal_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("goal_key", sa.String(length=36), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["intervention_plan.id"],
            name=op.f("fk_goal_progress_plan_id_intervention_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["rated_by"], ["staff_user.id"], name=op.f("fk_goal_progress_rated_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_progress")),
    )
    with op.batch_alter_table("goal_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_progress_goal_key"), ["goal_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_progress_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "measure_administration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(length=60), nullable=False),
        sa.Column("measure_version", sa.String(length=40), nullable=False),
        sa.Column("administered_on", sa.Date(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "clinician_entry",
                "self_completion",
                name="measuremode",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("session_note_id", sa.Integer(), nullable=True),
        sa.Column("entered_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_measure_administration_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by"],
            ["staff_user.id"],
            name=op.f("fk_measure_administration_entered_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["session_note_id"],
            ["session_note.id"],
            name=op.f("fk_measure_administration_session_note_id_session_note"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_administration")),
    )
    with op.batch_alter_table("measure_administration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measure_administration_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "note_addendum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_user.id"], name=op.f("fk_note_addendum_author_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["session_note.id"], name=op.f("fk_note_addendum_note_id_session_note")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_addendum")),
    )
    with op.batch_alter_table("note_addendum", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_addendum_note_id"), ["note_id"], unique=False)

    op.create_table(
        "note_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_note_draft_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["session_note.id"], name=op.f("fk_note_draft_note_id_session_note")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_note_draft_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_draft")),
    )
    with op.batch_alter_table("note_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_draft_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "plan_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["intervention_plan.id"],
            name=op.f("fk_plan_review_plan_id_intervention_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["staff_user.id"], name=op.f("fk_plan_review_reviewed_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_review")),
    )
    with op.batch_alter_table("plan_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_review_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "plan_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "under_review",
                "completed",
                "withdrawn",
                name="planstatus",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "phase",
            sa.Enum(
                "assessment",
                "engagement",
                "intervention",
                "consolidation",
                "ending",
                name="phase",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("formulation", sa.Text(), nullable=False),
        sa.Column("planned_sessions", sa.Integer(), nullable=True),
        sa.Column("planned_weeks", sa.Integer(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("change_note", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("saved_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["intervention_plan.id"],
            name=op.f("fk_plan_revision_plan_id_intervention_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["saved_by"], ["staff_user.id"], name=op.f("fk_plan_revision_saved_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_revision")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_plan_revision_plan_id")),
    )
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_revision_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "referral_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "draft",
                "sent",
                "acknowledged",
                "accepted",
                "declined",
                "waiting_list",
                "seen",
                "closed",
                name="referralstatus",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "draft",
                "sent",
                "acknowledged",
                "accepted",
                "declined",
                "waiting_list",
                "seen",
                "closed",
                name=_second_check_name("referralstatus"),
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["staff_user.id"],
            name=op.f("fk_referral_status_change_changed_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_status_change_referral_id_referral"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_status_change")),
    )
    with op.batch_alter_table("referral_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_status_change_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "risk_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("session_note_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "disclosed_intent",
                "contact_with_victim",
                "order_breach",
                "new_victim",
                "escalation",
                "mental_state_deterioration",
                "disengagement",
                name="riskeventkind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "urgency",
            sa.Enum(
                "routine",
                "soon",
                "urgent",
                name="urgency",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("shareable_statement", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_risk_event_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff_user.id"], name=op.f("fk_risk_event_recorded_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["session_note_id"],
            ["session_note.id"],
            name=op.f("fk_risk_event_session_note_id_session_note"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_event")),
    )
    with op.batch_alter_table("risk_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_event_client_id"), ["client_id"], unique=False)

    op.create_table(
        "disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("risk_event_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "partner_summary",
                "risk_notice",
                "referral_letter",
                "clinical_summary",
                "record_export",
                "decision_not_to_share",
                name="disclosurekind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("recipient_agency", sa.String(length=200), nullable=False),
        sa.Column("recipient_person", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column(
            "gateway",
            sa.Enum(
                "consent",
                "cda-s115",
                "dpa-sch1-para2",
                "dpa-sch1-para10",
                "dpa-sch1-para18",
                "gdpr-art10",
                "public-interest",
                name="gateway",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("client_informed", sa.Boolean(), nullable=False),
        sa.Column("client_not_informed_reason", sa.Text(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_disclosure_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["staff_user.id"], name=op.f("fk_disclosure_decided_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_disclosure_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["risk_event_id"],
            ["risk_event.id"],
            name=op.f("fk_disclosure_risk_event_id_risk_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure")),
        sa.UniqueConstraint("document_id", name=op.f("uq_disclosure_document_id")),
    )
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosure_client_id"), ["client_id"], unique=False)

    op.create_table(
        "measure_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["measure_administration.id"],
            name=op.f("fk_measure_response_administration_id_measure_administration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_response")),
        sa.UniqueConstraint(
            "administration_id", "item", name=op.f("uq_measure_response_administration_id")
        ),
    )
    with op.batch_alter_table("measure_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measure_response_administration_id"), ["administration_id"], unique=False
        )

    op.create_table(
        "plan_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("goal_key", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("private_detail", sa.Text(), nullable=False),
        sa.Column("partner_wording", sa.Text(), nullable=False),
        sa.Column("involves_victim", sa.Boolean(), nullable=False),
        sa.Column("victim_review_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["plan_revision.id"],
            name=op.f("fk_plan_goal_revision_id_plan_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_goal")),
    )
    with op.batch_alter_table("plan_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_goal_goal_key"), ["goal_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_goal_revision_id"), ["revision_id"], unique=False)

    op.create_table(
        "planned_intervention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "cbt",
                "motivational_interviewing",
                "compassion_focused",
                "dbt_skills",
                "social_skills",
                "victim_empathy",
                "practical_support",
                "other",
                name="interventionkind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["plan_revision.id"],
            name=op.f("fk_planned_intervention_revision_id_plan_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_intervention")),
    )
    with op.batch_alter_table("planned_intervention", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planned_intervention_revision_id"), ["revision_id"], unique=False
        )

    op.create_table(
        "risk_share_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_event_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "shared",
                "not_shared",
                name="sharedecisionkind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "gateway",
            sa.Enum(
                "consent",
                "cda-s115",
                "dpa-sch1-para2",
                "dpa-sch1-para10",
                "dpa-sch1-para18",
                "gdpr-art10",
                "public-interest",
                name="gateway",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("shared_with", sa.String(length=300), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["staff_user.id"],
            name=op.f("fk_risk_share_decision_decided_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["risk_event_id"],
            ["risk_event.id"],
            name=op.f("fk_risk_share_decision_risk_event_id_risk_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_share_decision")),
    )
    with op.batch_alter_table("risk_share_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_share_decision_risk_event_id"), ["risk_event_id"], unique=False
        )
    _create_protective_triggers()


# Tables whose rows, once written, are history: never updated, never deleted.
APPEND_ONLY = (
    "audit_event",
    "disclosure",
    "note_addendum",
    "risk_share_decision",
    "referral_status_change",
    "plan_revision",
    "plan_goal",
    "planned_intervention",
    "typology_assessment",
    "goal_progress",
    "emergency_access",
)

# Tables whose rows are never deleted (records are kept; wrong ones are marked).
NEVER_DELETED = ("client", "risk_event", "referral", "staff_user", "intervention_plan")

# Everything a signature covers on a session note.
SIGNED_NOTE_COLUMNS = (
    "client_id",
    "author_id",
    "session_date",
    "duration_minutes",
    "modality",
    "attendance",
    "engagement",
    "plan_goal_key",
    "risk_checkin",
    "agenda",
    "intervention_content",
    "homework",
    "risk_rerating",
    "actions",
    "partner_update",
    "created_at",
    "updated_at",
    "signed_at",
    "signed_by",
    "content_sha256",
)
ERROR_MARK_COLUMNS = ("entered_in_error_at", "entered_in_error_by", "entered_in_error_reason")


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


def _create_protective_triggers() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only: {table} rows cannot be changed'); END"
            )
    for table in NEVER_DELETED:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'records in {table} are never deleted'); END"
        )
    op.execute(
        "CREATE TRIGGER session_note_signed_immutable BEFORE UPDATE ON session_note "
        f"WHEN OLD.signed_at IS NOT NULL AND ({_changed(SIGNED_NOTE_COLUMNS)}) "
        "BEGIN SELECT RAISE(ABORT, 'signed session notes cannot be changed'); END"
    )
    op.execute(
        "CREATE TRIGGER session_note_error_mark_final BEFORE UPDATE ON session_note "
        f"WHEN OLD.entered_in_error_at IS NOT NULL AND ({_changed(ERROR_MARK_COLUMNS)}) "
        "BEGIN SELECT RAISE(ABORT, 'an entered-in-error mark cannot be changed'); END"
    )
    op.execute(
        "CREATE TRIGGER session_note_signed_no_delete BEFORE DELETE ON session_note "
        "WHEN OLD.signed_at IS NOT NULL "
        "BEGIN SELECT RAISE(ABORT, 'signed session notes are never deleted'); END"
    )


def downgrade() -> None:
    with op.batch_alter_table("risk_share_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_share_decision_risk_event_id"))

    op.drop_table("risk_share_decision")
    with op.batch_alter_table("planned_intervention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_intervention_revision_id"))

    op.drop_table("planned_intervention")
    with op.batch_alter_table("plan_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_goal_revision_id"))
        batch_op.drop_index(batch_op.f("ix_plan_goal_goal_key"))

    op.drop_table("plan_goal")
    with op.batch_alter_table("measure_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_response_administration_id"))

    op.drop_table("measure_response")
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_client_id"))

    op.drop_table("disclosure")
    with op.batch_alter_table("risk_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_event_client_id"))

    op.drop_table("risk_event")
    with op.batch_alter_table("referral_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_status_change_referral_id"))

    op.drop_table("referral_status_change")
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_revision_plan_id"))

    op.drop_table("plan_revision")
    with op.batch_alter_table("plan_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_review_plan_id"))

    op.drop_table("plan_review")
    with op.batch_alter_table("note_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_draft_staff_id"))

    op.drop_table("note_draft")
    with op.batch_alter_table("note_addendum", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_addendum_note_id"))

    op.drop_table("note_addendum")
    with op.batch_alter_table("measure_administration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_administration_client_id"))

    op.drop_table("measure_administration")
    with op.batch_alter_table("goal_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_progress_plan_id"))
        batch_op.drop_index(batch_op.f("ix_goal_progress_goal_key"))

    op.drop_table("goal_progress")
    with op.batch_alter_table("typology_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_typology_assessment_client_id"))

    op.drop_table("typology_assessment")
    with op.batch_alter_table("third_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_third_party_client_id"))

    op.drop_table("third_party")
    with op.batch_alter_table("session_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_note_session_date"))
        batch_op.drop_index(batch_op.f("ix_session_note_client_id"))

    op.drop_table("session_note")
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_assessment_client_id"))

    op.drop_table("risk_assessment")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_client_id"))

    op.drop_table("referral")
    with op.batch_alter_table("measure_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_schedule_client_id"))

    op.drop_table("measure_schedule")
    with op.batch_alter_table("intervention_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intervention_plan_client_id"))

    op.drop_table("intervention_plan")
    with op.batch_alter_table("emergency_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_access_client_id"))

    op.drop_table("emergency_access")
    with op.batch_alter_table("client_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_assignment_staff_id"))
        batch_op.drop_index(batch_op.f("ix_client_assignment_client_id"))

    op.drop_table("client_assignment")
    op.drop_table("audit_event")
    op.drop_table("staff_user")
    op.drop_table("specialist_service")
    op.drop_table("client")
    op.drop_table("app_setting")
