"""The verification workflow of a case: its statuses, the moves allowed between them, the
checks each status requires, and the statuses that need a second person's sign-off.

A case keeps its workflow as JSON (see docs/verification.md); without one it follows the
default, after the Berkeley Protocol's verification steps:

    collected → in_review → geolocated → chronolocated → verified,  discarded from any.

A workflow is a value, read and validated here, never touching the database. Errors name
the key that is wrong ("transitions.in_review[1]"), so a person can fix the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from siteline.domain.checks import CHECK_KINDS, CHRONOLOCATION, GEOLOCATION, SOURCE_ASSESSMENT
from siteline.errors import InvalidInput

# Statuses of cases made before workflows were configurable, read as the default's
# statuses (the stored rows keep what they hold).
LEGACY_STATUSES = {
    "unverified": "collected",
    "in_progress": "in_review",
    "disputed": "in_review",
    "rejected": "discarded",
}

# A status is stored in a column of 20 characters, and typed on command lines.
_STATUS_NAME = re.compile(r"^[a-z][a-z0-9_]{0,19}$")

KEYS = (
    "statuses",
    "initial",
    "transitions",
    "from_any",
    "requires",
    "sign_off",
    "note_required",
    "verified",
    "discarded",
)
REQUIRED_KEYS = ("statuses", "initial", "transitions", "verified", "discarded")


@dataclass(frozen=True)
class Workflow:
    """Build one with `Workflow.from_dict` or `from_json`, which validate it."""

    statuses: tuple[str, ...]
    initial: str
    transitions: Mapping[str, tuple[str, ...]]  # status -> the statuses it may move to
    from_any: tuple[str, ...]  # statuses reachable from every other status
    requires: Mapping[str, tuple[str, ...]]  # status -> the checks reaching it needs
    sign_off: tuple[str, ...]  # statuses reached only when a second person signs off
    note_required: tuple[str, ...]  # statuses reached only with a note saying why
    verified_status: str  # the status that counts as verified (certainty rules read it)
    discarded_status: str  # the status of items set aside (ignored by those rules)

    # Moving.

    def next_statuses(self, current: str) -> tuple[str, ...]:
        """Where an item in `current` may go, in the workflow's order of statuses."""
        allowed = set(self.transitions.get(current, ())) | set(self.from_any)
        allowed.discard(current)
        return tuple(status for status in self.statuses if status in allowed)

    def allows(self, current: str, target: str) -> bool:
        return target in self.next_statuses(current)

    def required_checks(self, status: str) -> tuple[str, ...]:
        return self.requires.get(status, ())

    def needs_sign_off(self, status: str) -> bool:
        return status in self.sign_off

    def needs_note(self, status: str) -> bool:
        return status in self.note_required

    # Reading statuses.

    def status_of(self, stored: str) -> str | None:
        """A stored status as this workflow reads it (legacy names by their alias); None
        for one it does not have."""
        if stored in self.statuses:
            return stored
        alias = LEGACY_STATUSES.get(stored)
        return alias if alias in self.statuses else None

    def stored_names(self, status: str) -> tuple[str, ...]:
        """Every stored value read as `status`: itself and the legacy names that alias it."""
        legacy = [old for old, new in LEGACY_STATUSES.items() if new == status]
        return (status, *(old for old in legacy if old not in self.statuses))

    def parse_status(self, text: Any, field: str) -> str:
        """A status as a person types it ('In review', 'in-review')."""
        normalised = str(text).strip().lower().replace("-", "_").replace(" ", "_")
        found = self.status_of(normalised)
        if found is None:
            raise InvalidInput(
                field, f"{text!r} is not a status of this case's workflow: {self._listed()}"
            )
        return found

    def _listed(self) -> str:
        return ", ".join(self.statuses)

    # Writing.

    def to_dict(self) -> dict:
        """The JSON form `from_dict` reads back."""
        return {
            "statuses": list(self.statuses),
            "initial": self.initial,
            "transitions": {status: list(self.transitions[status]) for status in self.transitions},
            "from_any": list(self.from_any),
            "requires": {status: list(checks) for status, checks in self.requires.items()},
            "sign_off": list(self.sign_off),
            "note_required": list(self.note_required),
            "verified": self.verified_status,
            "discarded": self.discarded_status,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    # Reading.

    @classmethod
    def from_json(cls, text: str, where: str = "workflow") -> Workflow:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidInput(
                where, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
            ) from None
        return cls.from_dict(data, where)

    @classmethod
    def from_dict(cls, data: Any, where: str = "workflow") -> Workflow:
        return _Reader(where).read(data)


class _Reader:
    """Reads a workflow's JSON form key by key, naming the key of every problem."""

    def __init__(self, where: str):
        self.where = where
        self.statuses: tuple[str, ...] = ()

    def fail(self, key: str, problem: str) -> InvalidInput:
        return InvalidInput(f"{self.where}: {key}", problem)

    def read(self, data: Any) -> Workflow:
        if not isinstance(data, Mapping):
            raise InvalidInput(
                self.where, f"a workflow is a JSON object with the keys: {', '.join(KEYS)}"
            )
        for key in data:
            if key not in KEYS:
                raise self.fail(str(key), f"not a workflow key; the keys are: {', '.join(KEYS)}")
        for key in REQUIRED_KEYS:
            if key not in data:
                raise self.fail(key, "missing: every workflow names it (see docs/verification.md)")
        self.statuses = self.names(data["statuses"], "statuses")
        if not self.statuses:
            raise self.fail("statuses", "a workflow needs at least one status")
        workflow = Workflow(
            statuses=self.statuses,
            initial=self.status(data["initial"], "initial"),
            transitions=self.transitions(data["transitions"]),
            from_any=self.status_list(data.get("from_any", []), "from_any"),
            requires=self.requires(data.get("requires", {})),
            sign_off=self.status_list(data.get("sign_off", []), "sign_off"),
            note_required=self.status_list(data.get("note_required", []), "note_required"),
            verified_status=self.status(data["verified"], "verified"),
            discarded_status=self.status(data["discarded"], "discarded"),
        )
        self.check_whole(workflow)
        return workflow

    def names(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "a list of status names")
        seen: list[str] = []
        for index, name in enumerate(value):
            if not isinstance(name, str) or not _STATUS_NAME.match(name):
                raise self.fail(
                    f"{key}[{index}]",
                    f"{name!r} is not a status name: lower-case letters, digits and '_', "
                    "starting with a letter, at most 20 characters",
                )
            if name in seen:
                raise self.fail(f"{key}[{index}]", f"{name!r} is named twice")
            seen.append(name)
        return tuple(seen)

    def status(self, value: Any, key: str) -> str:
        if value not in self.statuses:
            raise self.fail(
                key, f"{value!r} is not one of the statuses: {', '.join(self.statuses)}"
            )
        return value

    def status_list(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "a list of statuses")
        found = []
        for index, name in enumerate(value):
            status = self.status(name, f"{key}[{index}]")
            if status not in found:
                found.append(status)
        return tuple(found)

    def transitions(self, value: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, Mapping):
            raise self.fail("transitions", "an object: each status and the statuses it may go to")
        found = {}
        for source, targets in value.items():
            self.status(source, f"transitions.{source}")
            found[source] = self.status_list(targets, f"transitions.{source}")
            if source in found[source]:
                raise self.fail(f"transitions.{source}", f"{source!r} cannot move to itself")
        return found

    def requires(self, value: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, Mapping):
            raise self.fail("requires", "an object: each status and the checks it needs")
        found = {}
        for status, checks in value.items():
            key = f"requires.{status}"
            self.status(status, key)
            if not isinstance(checks, list):
                raise self.fail(key, f"a list of checks: {', '.join(CHECK_KINDS)}")
            for index, check in enumerate(checks):
                if check not in CHECK_KINDS:
                    raise self.fail(
                        f"{key}[{index}]",
                        f"{check!r} is not a check; the checks are: {', '.join(CHECK_KINDS)}",
                    )
            found[status] = tuple(dict.fromkeys(checks))
        return found

    def check_whole(self, workflow: Workflow) -> None:
        if workflow.verified_status == workflow.discarded_status:
            raise self.fail("discarded", "the discarded status cannot be the verified one")
        reached, frontier = {workflow.initial}, [workflow.initial]
        while frontier:
            for following in workflow.next_statuses(frontier.pop()):
                if following not in reached:
                    reached.add(following)
                    frontier.append(following)
        unreachable = [status for status in workflow.statuses if status not in reached]
        if unreachable:
            raise self.fail(
                "statuses",
                f"{', '.join(map(repr, unreachable))} cannot be reached from the initial "
                f"status {workflow.initial!r} by any transition",
            )


DEFAULT_WORKFLOW = Workflow.from_dict(
    {
        "statuses": [
            "collected",
            "in_review",
            "geolocated",
            "chronolocated",
            "verified",
            "discarded",
        ],
        "initial": "collected",
        "transitions": {
            "collected": ["in_review"],
            "in_review": ["geolocated"],
            "geolocated": ["chronolocated"],
            "chronolocated": ["verified"],
        },
        "from_any": ["discarded"],
        "requires": {
            "geolocated": [GEOLOCATION],
            "chronolocated": [CHRONOLOCATION],
            "verified": [SOURCE_ASSESSMENT],
        },
        "sign_off": ["verified"],
        "note_required": ["discarded"],
        "verified": "verified",
        "discarded": "discarded",
    },
    where="the default workflow",
)
