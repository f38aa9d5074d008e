"""Which sites an item points to, and how strongly: its location, the names in its words,
a dataset row's facility, its filing under a site, and its near-duplicates' places.

Each sign has a weight (linking_place.PlaceRules); an item's fit to a site combines them
as independent chances (noisy-OR), and halves when the item is located farther from the
site than its precision allows. Pure: plain values in and out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from siteline.analysis.linking_place import (
    MentionFinder,
    PlaceRules,
    SiteInfo,
    SitesNear,
    conflict_reason,
    location_signal,
)
from siteline.domain.values import FuzzyTime, Location


@dataclass(frozen=True)
class Candidate:
    """What a dataset row says happened: its dates, the facility and the place it names."""

    label: str  # the row's id in its dataset, for reasons ("HAM-0042")
    window_start: FuzzyTime | None = None
    window_end: FuzzyTime | None = None
    facility: str | None = None
    place_name: str | None = None


@dataclass(frozen=True)
class ItemInfo:
    """An evidence item as linking reads it. `named_sites`: sites ingest found in its text."""

    id: int
    kind: str
    title: str | None = None
    text: str | None = None
    captured: FuzzyTime | None = None
    published: FuzzyTime | None = None
    verified: Location | None = None
    claimed: Location | None = None
    site_id: int | None = None
    named_sites: tuple[int, ...] = ()
    candidate: Candidate | None = None


@dataclass
class Fit:
    score: float
    reasons: list[str]


def _noisy_or(weights: Iterable[float]) -> float:
    doubt = 1.0
    for weight in weights:
        doubt *= 1.0 - min(max(weight, 0.0), 1.0)
    return 1.0 - doubt


def _location_of(item: ItemInfo) -> tuple[str, Location] | None:
    if item.verified is not None:
        return "verified", item.verified
    if item.claimed is not None:
        return "claimed", item.claimed
    return None


def site_fits(
    items: list[ItemInfo], sites: list[SiteInfo], rules: PlaceRules, least: float = 0.0
) -> dict[int, dict[int, Fit]]:
    """Per item id: the sites it points to, each with a score and its reasons. A location
    alone weighing less than `least` is counted only where other signs name the site."""
    near = SitesNear(sites, rules)
    finder = MentionFinder(sites)
    # Per item, per site: (weight, reason, whether it is the item's location).
    signals: dict[int, dict[int, list[tuple[float, str, bool]]]] = {item.id: {} for item in items}
    located = [(item, found) for item in items if (found := _location_of(item))]
    if located:
        lat = np.array([location.lat for _, (_, location) in located], dtype=float)
        lon = np.array([location.lon for _, (_, location) in located], dtype=float)
        precision = np.array([location.precision.value for _, (_, location) in located])
        factor = np.array(
            [rules.claimed_weight if basis == "claimed" else 1.0 for _, (basis, _) in located]
        )
        for index, site_id, distance in near.compatible(lat, lon, precision, factor, least):
            item, (basis, location) = located[index]
            signal = location_signal(
                basis,
                location,
                distance,
                near.tolerance(site_id),
                near.is_outline(site_id),
                rules,
            )
            signals[item.id].setdefault(site_id, []).append((*signal, True))
    names = {site.id: site.name for site in sites}
    for item in items:
        _word_signals(item, finder, names, rules, signals[item.id])
    fits = {}
    for item in items:
        fits[item.id] = {
            site_id: _fit(item, site_id, found, near, rules)
            for site_id, found in signals[item.id].items()
        }
    return fits


def _word_signals(item: ItemInfo, finder, names, rules: PlaceRules, found: dict) -> None:
    if item.site_id is not None and item.site_id in names:
        found.setdefault(item.site_id, []).append(
            (rules.filed_weight, "filed under this site when it was added", False)
        )
    from_row: set[int] = set()
    if item.candidate is not None:
        row = item.candidate
        for text, weight, what in (
            (row.facility, rules.facility_weight, "facility"),
            (row.place_name, rules.place_name_weight, "place"),
        ):
            for site_id in finder.find(text):
                found.setdefault(site_id, []).append(
                    (weight, f"dataset row {row.label} names the {what} '{text}'", False)
                )
                from_row.add(site_id)
    mentions = finder.find(item.title, item.text)
    for site_id, named in mentions.items():
        if site_id in from_row:
            continue  # the row's text repeats its facility: one sign, not two
        weight = rules.name_weight if any(not alias for _, alias in named) else rules.alias_weight
        words = [
            f"'{name}', an alias of {names[site_id]}" if alias else f"'{name}'"
            for name, alias in named
        ]
        found.setdefault(site_id, []).append((weight, "names " + " and ".join(words), False))
    for site_id in item.named_sites:
        if site_id in names and site_id not in mentions and site_id not in from_row:
            found.setdefault(site_id, []).append(
                (rules.alias_weight, "ingest found this site named in its text", False)
            )


def _fit(item: ItemInfo, site_id: int, found: list, near: SitesNear, rules: PlaceRules) -> Fit:
    where = _location_of(item)
    conflict = None
    if where and not any(is_location for _, _, is_location in found):
        basis, location = where
        distance = near.distance(site_id, location)
        tolerance = near.tolerance(site_id) if distance is not None else 0.0
        if distance is not None and distance <= location.radius_metres + tolerance:
            signal = location_signal(
                basis, location, distance, tolerance, near.is_outline(site_id), rules
            )
            found = [(*signal, True), *found]  # weak alone, so measured only here
        elif distance is not None:
            conflict = conflict_reason(basis, location, distance)
    score = _noisy_or(weight for weight, _, _ in found)
    reasons = [reason for _, reason, _ in found]
    if conflict:
        score *= rules.conflict_factor
        reasons.append(conflict)
    return Fit(round(score, 3), reasons)


def share_with_copies(fits: dict[int, dict[int, Fit]], clusters: list[list[int]]) -> None:
    """Copies of one picture are about one place: each gets the best fit of its cluster."""
    for cluster in clusters:
        present = [item for item in cluster if item in fits]
        best: dict[int, tuple[float, int]] = {}
        for item in present:
            for site_id, fit in fits[item].items():
                if fit.score > best.get(site_id, (-1.0, 0))[0]:
                    best[site_id] = (fit.score, item)
        for item in present:
            for site_id, (score, source) in best.items():
                own = fits[item].get(site_id)
                if own is None or own.score < score:
                    reasons = (own.reasons if own else []) + [
                        f"a near-duplicate of item #{source}, which fits this site ({score:.2f})"
                    ]
                    fits[item][site_id] = Fit(score, reasons)


def chosen_sites(
    fits: dict[int, Fit], names: Mapping[int, str], least: float, margin: float
) -> dict[int, Fit]:
    """The sites an item is proposed for: its best, and any within `margin` of it, if they
    reach `least` at all."""
    usable = {site: fit for site, fit in fits.items() if fit.score >= least}
    if not usable:
        return {}
    best = max(fit.score for fit in usable.values())
    chosen = {site: fit for site, fit in usable.items() if fit.score >= best - margin}
    if len(chosen) > 1:
        for site, fit in chosen.items():
            others = [f"{names[o]} ({chosen[o].score:.2f})" for o in sorted(chosen) if o != site]
            chosen[site] = Fit(fit.score, [*fit.reasons, "also fits " + ", ".join(others)])
    return chosen
