"""Errors every face (CLI, web, API) turns into a clear message.

Each error names what is wrong and where (the field, the line, the file), so the
person who gave the input can fix it without reading code.
"""


class SitelineError(Exception):
    """Base of every error that is the user's input or the case's state, not a bug."""

    exit_code = 1


class InvalidInput(SitelineError):
    """A value given by a person or a file that cannot be accepted."""

    exit_code = 2

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")

    def __reduce__(self):
        # Rebuilt from both parts when it crosses processes (a worker's refusal of a file).
        return (type(self), (self.field, self.problem))


class NotFound(SitelineError):
    exit_code = 3


class Duplicate(SitelineError):
    exit_code = 4


class CaseError(SitelineError):
    """The case folder or its database cannot be used as asked."""

    exit_code = 5


class KeyRequired(SitelineError):
    """Confidential material was asked for without the key that opens it."""

    exit_code = 6


class BundleError(SitelineError):
    """A bundle to import is damaged or does not belong to this version."""

    exit_code = 7
