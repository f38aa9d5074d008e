"""Reading the stored chain of evidence behind a computed verdict (`claims.verdict_chain`).

The assessment stores the chain as JSON (see `analysis.verdict_basis.VerdictResult.chain`):
the rule, the reasons as templates in which `[[e12]]` stands for evidence #12 and `[[d7]]`
for the change analysis in derived item #7 (described in `mentions`), and the elements it
weighed: incidents with their supporting items, and change analyses with their scenes.
The report shows the reasons rendered with the withheld items named only by their
sensitivity, and every element's items looked up in the case and redacted like any other.
A chain it cannot read is shown as unreadable, never guessed at. Pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from siteline.analysis.verdict_basis import render


@dataclass
class ChainElement:
    type: str  # incident, change_analysis, or what the chain names
    id: int | None
    role: str
    facts: list[str] = field(default_factory=list)  # what the chain says of it, in words
    evidence: list[int] = field(default_factory=list)  # its items or scenes


@dataclass
class Chain:
    rule: str | None = None
    reasons: list[str] = field(default_factory=list)  # templates
    mentions: dict[str, dict[str, Any]] = field(default_factory=dict)
    elements: list[ChainElement] = field(default_factory=list)
    problem: str | None = None

    def reasons_text(self, hidden: dict[int, str]) -> list[str]:
        """The reasons in words, each withheld item named only by its sensitivity."""
        return render(self.reasons, self.mentions, hidden)

    @property
    def evidence_ids(self) -> set[int]:
        named = {number for element in self.elements for number in element.evidence}
        for mention in self.mentions.values():
            named |= {
                number for number in mention.get("evidence_ids", []) if isinstance(number, int)
            }
        return named

    @property
    def derived_ids(self) -> set[int]:
        return {e.id for e in self.elements if e.type == "change_analysis" and e.id is not None}


def read_chain(raw: str | None) -> Chain | None:
    """The chain as stored, or None when the claim has none (a person's verdict)."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return Chain(problem="the stored chain is not JSON")
    if not isinstance(value, dict):
        return Chain(problem="the stored chain is not an object")
    reasons = value.get("reasons") or []
    mentions = value.get("mentions") or {}
    return Chain(
        rule=value.get("rule"),
        reasons=[str(reason) for reason in reasons] if isinstance(reasons, list) else [],
        mentions=mentions if isinstance(mentions, dict) else {},
        elements=[
            _element(entry) for entry in value.get("elements") or [] if isinstance(entry, dict)
        ],
    )


def _element(entry: dict) -> ChainElement:
    kind = str(entry.get("type") or "item")
    number = entry.get("id") if isinstance(entry.get("id"), int) else None
    element = ChainElement(kind, number, str(entry.get("role") or ""))
    if kind == "incident":
        element.facts = _present(entry, ("window", "certainty", "certainty_rule", "damage_class"))
        element.evidence = _ids(entry.get("items"))
    elif kind == "change_analysis":
        element.facts = _present(entry, ("reading", "measure"))
        element.evidence = _ids(entry.get("scenes"))
    else:
        element.evidence = _ids([entry])
    return element


def _present(entry: dict, keys: tuple[str, ...]) -> list[str]:
    return [
        f"{key.replace('_', ' ')}: {entry[key]}" for key in keys if entry.get(key) not in (None, "")
    ]


def _ids(entries) -> list[int]:
    found = []
    for entry in entries if isinstance(entries, list) else []:
        number = entry.get("evidence_id") if isinstance(entry, dict) else None
        if isinstance(number, int) and not isinstance(number, bool):
            found.append(number)
    return found


def chain_references(raw: str | None) -> tuple[set[int], set[int]]:
    """The evidence and derived items a chain names, so that the report can load them."""
    chain = read_chain(raw)
    return (chain.evidence_ids, chain.derived_ids) if chain else (set(), set())
