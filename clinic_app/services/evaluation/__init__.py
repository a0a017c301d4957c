"""The pseudonymised service evaluation: projects, the data set, its files and report.

- :mod:`.projects`: evaluation projects and their keyed pseudonyms (HMAC-SHA-256 under a
  secret kept in the encrypted database);
- :mod:`.dataset`: what is read about each client in scope, coarsened to codes and months;
- :mod:`.tables`: described columns, small-number suppression, CSV and the data dictionary;
- :mod:`.export`: the files of one export and the outcome report, audited.
"""

from clinic_app.services.evaluation.export import (
    EvaluationExport,
    NothingToEvaluate,
    export_evaluation,
)
from clinic_app.services.evaluation.projects import (
    ProjectRow,
    create_project,
    list_projects,
)

__all__ = [
    "EvaluationExport",
    "NothingToEvaluate",
    "ProjectRow",
    "create_project",
    "export_evaluation",
    "list_projects",
]
