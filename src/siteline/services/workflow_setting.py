"""The case's verification workflow as stored: the `workflow` setting, or the default.

Kept apart from services.verification so that what reads statuses (assessment, reports)
can know the workflow without importing the steps that move items through it.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from siteline.domain.workflow import DEFAULT_WORKFLOW, Workflow
from siteline.errors import CaseError, InvalidInput
from siteline.store.case_folder import Case
from siteline.store.schema import settings

WORKFLOW_SETTING = "workflow"


def workflow_of(case: Case) -> Workflow:
    """The case's workflow: the one set with `set_workflow`, or the default."""
    with case.read() as connection:
        return workflow_in(connection)


def workflow_in(connection: Connection) -> Workflow:
    """The workflow, read on a connection the caller holds (inside a write, under its lock)."""
    row = workflow_row(connection)
    if row is None:
        return DEFAULT_WORKFLOW
    try:
        return Workflow.from_json(row["value"], where=f"setting #{row['id']} '{WORKFLOW_SETTING}'")
    except InvalidInput as error:
        raise CaseError(
            f"the case's stored workflow cannot be read ({error}); run 'siteline audit verify', "
            "then set a valid one with 'siteline workflow set'"
        ) from None


def workflow_row(connection: Connection) -> dict | None:
    if not connection.dialect.has_table(connection, settings.name):
        return None  # a case still at a schema before settings (while it is being migrated)
    query = (
        select(settings)
        .where(settings.c.name == WORKFLOW_SETTING, settings.c.deleted_at.is_(None))
        .order_by(settings.c.id.desc())
        .limit(1)
    )
    row = connection.execute(query).mappings().first()
    return dict(row) if row else None
