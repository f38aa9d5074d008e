"""What every command shares: the case it works on, opened only when first needed."""

from __future__ import annotations

from pathlib import Path

import click

from siteline.services import cases
from siteline.store.case_folder import Case


class CaseContext:
    def __init__(self, case_path: str, key_file: str | None):
        self.case_path = Path(case_path)
        self.key_file = Path(key_file) if key_file else None
        self._case: Case | None = None

    @property
    def case(self) -> Case:
        if self._case is None:
            self._case = cases.open_case(self.case_path, key_file=self.key_file)
        return self._case

    def close(self) -> None:
        if self._case is not None:
            self._case.close()


pass_context = click.make_pass_decorator(CaseContext)
