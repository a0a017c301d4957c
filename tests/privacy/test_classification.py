"""Every stored column has exactly one privacy class, and the sensitive ones have the right one."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from clinic_app.models import Base, Privacy, privacy_of


def _columns():
    for mapper in Base.registry.mappers:
        for column in mapper.columns:
            yield mapper.class_.__name__, column


def test_every_mapped_column_has_a_privacy_class():
    unclassified = [
        f"{model}.{column.key}" for model, column in _columns() if privacy_of(column) is None
    ]
    assert unclassified == []


def test_every_table_is_mapped_so_nothing_escapes_classification():
    mapped = {m.local_table.name for m in Base.registry.mappers}
    assert mapped == set(Base.metadata.tables)


@pytest.mark.parametrize(
    ("model", "column", "expected"),
    [
        ("Client", "given_name", Privacy.IDENTIFYING),
        ("Client", "nhs_number", Privacy.IDENTIFYING),
        ("Client", "sharing_notes", Privacy.CLINICAL),
        ("SessionNote", "intervention_content", Privacy.CLINICAL),
        ("SessionNote", "risk_checkin", Privacy.CLINICAL),
        ("SessionNote", "partner_update", Privacy.SHAREABLE),
        ("SessionNote", "attendance", Privacy.SHAREABLE),
        ("PlanRevision", "formulation", Privacy.CLINICAL),
        ("PlanGoal", "private_detail", Privacy.CLINICAL),
        ("PlanGoal", "partner_wording", Privacy.SHAREABLE),
        ("RiskEvent", "detail", Privacy.CLINICAL),
        ("RiskEvent", "shareable_statement", Privacy.SHAREABLE),
        ("RiskAssessment", "judgements", Privacy.CLINICAL),
        ("Referral", "reason", Privacy.CLINICAL),
        ("MeasureResponse", "value", Privacy.CLINICAL),
        ("ThirdParty", "name", Privacy.THIRD_PARTY),
        ("ThirdParty", "details", Privacy.THIRD_PARTY),
        ("NoteDraft", "fields", Privacy.CLINICAL),
        ("Disclosure", "payload", Privacy.CLINICAL),
        # Whatever the clinician's class for a received document, none of it leaves.
        ("ReceivedDocument", "content", Privacy.CLINICAL),
        ("ReceivedDocument", "title", Privacy.CLINICAL),
        ("ReceivedDocument", "received_from", Privacy.CLINICAL),
        ("ReceivedDocument", "file_name", Privacy.CLINICAL),
    ],
)
def test_sensitive_columns_are_classed_as_the_domain_requires(model, column, expected):
    mapper = next(m for m in Base.registry.mappers if m.class_.__name__ == model)
    assert privacy_of(mapper.columns[column]) is expected


def test_audit_events_hold_only_operational_data():
    from clinic_app.models import AuditEvent

    classes = {privacy_of(c) for c in inspect(AuditEvent).columns}
    assert classes == {Privacy.OPERATIONAL}
