"""Admiralty grades ("B2") and the orderings the assessment rules compare by.

The Admiralty (NATO) code grades a source's reliability A–F and a piece of information's
credibility 1–6; an item's grade is the two together. F and 6 mean "cannot be judged",
which for weighing evidence is no better than unreliable: an item whose source nobody
has graded counts as F.
"""

from __future__ import annotations

from siteline.domain.vocabularies import Certainty

RELIABILITY_ORDER = "ABCDEF"  # most reliable first
UNGRADED = "F"  # an item without a source, or a source never graded

# WHO SSA certainty levels, weakest first.
CERTAINTY_ORDER = (Certainty.RUMOUR, Certainty.POSSIBLE, Certainty.PROBABLE, Certainty.CONFIRMED)


def reliability_of(letter: str | None) -> str:
    """The reliability letter to weigh: F when none was given."""
    letter = (letter or UNGRADED).strip().upper()
    return letter if len(letter) == 1 and letter in RELIABILITY_ORDER else UNGRADED


def admiralty(reliability: str | None, credibility: int) -> str:
    """The grade of one item: source reliability and information credibility, 'B2'."""
    return f"{reliability_of(reliability)}{int(credibility)}"


def reliability_rank(letter: str | None) -> int:
    """0 for A (completely reliable) to 5 for F (cannot be judged): lower is better."""
    return RELIABILITY_ORDER.index(reliability_of(letter))


def weakly_sourced(reliability: str | None, credibility: int) -> bool:
    """An unreliable or ungraded source (E/F) or doubtful information (credibility 5–6)."""
    return reliability_rank(reliability) >= 4 or int(credibility) >= 5


def well_sourced(reliability: str | None, credibility: int) -> bool:
    """Not weakly sourced, and from a source usually reliable or better (A–C) or information
    probably true or better (1–3): the grade an independent report needs towards 'probable'.
    So B2, C4 and D3 count; E1 (unreliable source) and B5 (doubtful information) do not."""
    return not weakly_sourced(reliability, credibility) and (
        reliability_rank(reliability) <= 2 or int(credibility) <= 3
    )


def certainty_rank(level: Certainty | str) -> int:
    """0 for rumour to 3 for confirmed."""
    return CERTAINTY_ORDER.index(Certainty(level))


def at_least(level: Certainty | str, least: Certainty | str) -> bool:
    return certainty_rank(level) >= certainty_rank(least)


def weaker(first: Certainty, second: Certainty) -> Certainty:
    return first if certainty_rank(first) <= certainty_rank(second) else second
