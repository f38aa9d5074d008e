"""Findings follow the evidence: after a change that can move an incident's certainty or a
claim's verdict, both are computed again (services.assessment.refresh), and what changed
is written as audited updates of its own.

The refresh runs right after the change is committed, in a transaction of its own: the
change is never held back by the assessment, and `siteline assess` computes everything
again at any time. A refresh that cannot be done (a case error) is reported beside the
stored change, never in its place, so that nobody takes a stored change for a failed one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from siteline.errors import SitelineError
from siteline.services import assessment
from siteline.store.case_folder import Case

Result = TypeVar("Result")
NOT_REFRESHED = "findings_not_refreshed"


def refresh_noting_failure(case: Case, result: Result) -> Result:
    """Refreshes findings; a dict result gets `findings_not_refreshed` when that fails."""
    try:
        assessment.refresh(case)
    except SitelineError as error:
        if not isinstance(result, dict):
            raise
        result[NOT_REFRESHED] = str(error)
    return result


def refreshes_findings(change: Callable[..., Result]) -> Callable[..., Result]:
    """Makes a service function that takes the case first recompute findings after it."""

    @functools.wraps(change)
    def changed_then_refreshed(case: Case, *args, **kwargs) -> Result:
        return refresh_noting_failure(case, change(case, *args, **kwargs))

    return changed_then_refreshed
