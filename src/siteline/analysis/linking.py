"""Proposing incidents from evidence: which items point to which site, and which of them
record one event there, each proposal with a score and its reasons in words.

An item points to a site by its location (distance within its precision), by naming the
site or an alias, by a dataset row naming the facility, by a person having filed it under
the site, or by being a near-duplicate of an item that does (linking_place.py). Its time
gives a window its event lies in (linking_time.py). Per site, items whose windows overlap
form one proposal, whose window is the intersection of theirs; items that overlap an
incident already entered are proposed as additions to it. Pure: plain values in and out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from siteline.analysis.linking_fit import (
    Candidate,
    Fit,
    ItemInfo,
    chosen_sites,
    share_with_copies,
    site_fits,
)
from siteline.analysis.linking_place import PlaceRules, SiteInfo
from siteline.analysis.linking_time import EventTime, TimeRules, Window, event_time

__all__ = ["Candidate", "IncidentInfo", "ItemInfo", "LinkRules", "Member", "Proposal", "SiteInfo"]


@dataclass(frozen=True)
class IncidentInfo:
    """An incident already in the case, and the items linked to it."""

    id: int
    site_id: int
    window: Window
    linked: frozenset[int] = frozenset()


@dataclass(frozen=True)
class LinkRules:
    time: TimeRules = field(default_factory=TimeRules)
    place: PlaceRules = field(default_factory=PlaceRules)
    min_place_score: float = 0.3  # less, and an item is not proposed for a site at all
    strong_place_score: float = 0.6  # what an item without a time needs to join
    tie_margin: float = 0.1  # sites this close to an item's best are proposed too
    scene_weight: float = 0.5  # a satellite scene is context: before or after, not the event
    min_score: float = 0.3  # proposals scoring less are not made


@dataclass
class Member:
    evidence_id: int
    score: float
    reasons: list[str]
    window: Window | None = None
    role: str = "supports"  # "context" for satellite scenes
    cluster: int | None = None  # the lowest id of its near-duplicate cluster, if any

    def as_json(self) -> dict:
        return {
            "evidence_id": self.evidence_id,
            "score": self.score,
            "reasons": self.reasons,
            "window": self.window.stored() if self.window else None,
            "role": self.role,
            "cluster": self.cluster,
        }

    @classmethod
    def from_json(cls, value: dict) -> Member:
        return cls(
            evidence_id=int(value["evidence_id"]),
            score=float(value["score"]),
            reasons=list(value["reasons"]),
            window=Window.from_stored(value.get("window")),
            role=value.get("role") or "supports",
            cluster=value.get("cluster"),
        )


@dataclass
class Proposal:
    site_id: int
    incident_id: int | None
    window: Window | None
    score: float
    reasons: list[str]
    members: list[Member]

    @property
    def key(self) -> str:
        return proposal_key(self.site_id, self.incident_id, [m.evidence_id for m in self.members])


def proposal_key(site_id: int, incident_id: int | None, evidence_ids: Iterable[int]) -> str:
    """The digest that names a proposal by what it proposes, so that a run of `link`
    knows a proposal made, confirmed or rejected before."""
    ids = ",".join(str(i) for i in sorted(set(evidence_ids)))
    text = (
        f"site {site_id}; incident {incident_id if incident_id is not None else '-'}; items {ids}"
    )
    return hashlib.sha256(text.encode()).hexdigest()


def combine(members: Iterable[Member]) -> float:
    """The chance that at least one member is right, were they independent; copies of one
    picture are one sign, so a near-duplicate cluster counts once, by its best member."""
    best: dict[object, float] = {}
    for member in members:
        key = ("cluster", member.cluster) if member.cluster is not None else member.evidence_id
        best[key] = max(best.get(key, 0.0), member.score)
    doubt = 1.0
    for score in best.values():
        doubt *= 1.0 - score
    return round(1.0 - doubt, 3)


# When.


def _times(items: list[ItemInfo], clusters: list[list[int]], rules: LinkRules):
    times = {
        item.id: event_time(
            item.kind,
            item.captured,
            item.published,
            (item.candidate.window_start, item.candidate.window_end) if item.candidate else None,
            item.candidate.label if item.candidate else "",
            rules.time,
        )
        for item in items
    }
    cluster_of: dict[int, int] = {}
    for cluster in clusters:
        present = [item for item in cluster if item in times]
        for item in present:
            cluster_of[item] = min(cluster)
        dated = [times[i] for i in present if times[i].window and times[i].basis != "scene"]
        if not dated:
            continue
        shared = _intersection([t.window for t in dated]) or min(t.window for t in dated)
        weight = max(t.weight for t in dated)
        others = ", ".join(f"#{i}" for i in present)
        for item in present:
            if times[item].window != shared and times[item].basis != "scene":
                times[item] = EventTime(
                    shared, weight, f"time from its near-duplicates ({others}): {shared}", "copies"
                )
    return times, cluster_of


def _intersection(windows: Iterable[Window]) -> Window | None:
    found = None
    for index, window in enumerate(windows):
        found = window if index == 0 else found and found.intersect(window)
    return found


# Grouping.


@dataclass
class _Group:
    window: Window
    incident_id: int | None = None  # an incident's window: members never narrow it
    members: list[Member] = field(default_factory=list)


def propose(
    items: Iterable[ItemInfo],
    sites: Iterable[SiteInfo],
    incidents: Iterable[IncidentInfo] = (),
    clusters: Iterable[Iterable[int]] = (),
    held: Mapping[int, Iterable[int]] | None = None,
    site_ids: Iterable[int] | None = None,
    rules: LinkRules | None = None,
) -> list[Proposal]:
    """Proposals for every site (or those in `site_ids`), strongest first per site.

    `held`: per site, items a person already placed in a proposal of their own shaping;
    they are not grouped again there. Items linked to an incident at a site are not
    proposed there again; the incident anchors the items that overlap it instead.
    """
    rules = rules or LinkRules()
    items, sites = list(items), list(sites)
    clusters = [sorted(set(cluster)) for cluster in clusters]
    names = {site.id: site.name for site in sites}
    fits = site_fits(items, sites, rules.place, rules.min_place_score)
    share_with_copies(fits, clusters)
    times, cluster_of = _times(items, clusters, rules)
    wanted = set(site_ids) if site_ids is not None else set(names)
    by_site: dict[int, list[Member]] = {site: [] for site in wanted}
    firm: dict[int, set[int]] = {site: set() for site in wanted}  # placed well enough undated
    for item in items:
        for site_id, fit in chosen_sites(
            fits[item.id], names, rules.min_place_score, rules.tie_margin
        ).items():
            if site_id in wanted:
                by_site[site_id].append(_member(item, fit, times[item.id], cluster_of, rules))
                if fit.score >= rules.strong_place_score:
                    firm[site_id].add(item.id)
    anchors_at: dict[int, list[IncidentInfo]] = {}
    for incident in incidents:
        anchors_at.setdefault(incident.site_id, []).append(incident)
    held = held or {}
    found = []
    for site_id in sorted(wanted):
        anchors = anchors_at.get(site_id, [])
        linked = set().union(*(incident.linked for incident in anchors))
        blocked = linked | set(held.get(site_id, ()))
        members = [m for m in by_site[site_id] if m.evidence_id not in blocked]
        for group in _group(members, anchors, firm[site_id], rules):
            proposal = _proposal(site_id, names[site_id], group)
            if proposal and proposal.score >= rules.min_score:
                found.append(proposal)
    return found


def _member(item: ItemInfo, fit: Fit, time: EventTime, cluster_of, rules: LinkRules) -> Member:
    scene = item.kind == "satellite_scene"
    score = fit.score * time.weight * (rules.scene_weight if scene else 1.0)
    return Member(
        evidence_id=item.id,
        score=round(score, 3),
        reasons=[*fit.reasons, time.reason],
        window=time.window,
        role="context" if scene else "supports",
        cluster=cluster_of.get(item.id),
    )


def _group(
    members: list[Member], anchors: list[IncidentInfo], firm: set[int], rules: LinkRules
) -> list[_Group]:
    """Clusters of overlapping windows, most precise items first so that they set the
    windows the vaguer ones must fit; then undated items, then satellite scenes."""
    groups = [_Group(incident.window, incident.id) for incident in anchors]
    events = [m for m in members if m.window is not None and m.role != "context"]
    events.sort(key=lambda m: (m.window.width, m.window.start, m.evidence_id))
    for member in events:
        overlapping = [g for g in groups if g.window.overlaps(member.window)]
        if not overlapping:
            groups.append(_Group(member.window, members=[member]))
            continue
        group = min(overlapping, key=lambda g: abs(g.window.centre - member.window.centre))
        if len(overlapping) > 1:
            member.reasons.append("its window also overlaps another cluster at this site")
        _join(group, member)
    undated = [m for m in members if m.window is None and m.role != "context"]
    for member in sorted(undated, key=lambda m: m.evidence_id):
        if len(groups) == 1 and member.evidence_id in firm:
            member.reasons.append("joined as the only cluster at this site")
            groups[0].members.append(member)
    scenes = [m for m in members if m.role == "context" and m.window is not None]
    for scene in sorted(scenes, key=lambda m: m.evidence_id):
        _place_scene(scene, groups, rules)
    return groups


def _join(group: _Group, member: Member) -> None:
    group.members.append(member)
    if group.incident_id is None:
        group.window = group.window.intersect(member.window)


def _place_scene(scene: Member, groups: list[_Group], rules: LinkRules) -> None:
    """A scene shows the site before or after an event: it joins the nearest cluster in
    time, within reach, as context, and never narrows its window."""
    captured = scene.window.start

    def gap(group: _Group):
        return group.window.gap(captured)

    reachable = [g for g in groups if g.members or g.incident_id is not None]
    reachable = [g for g in reachable if gap(g) <= rules.time.scene_reach]
    if not reachable:
        return
    group = min(reachable, key=gap)
    distance = gap(group)
    if distance:
        side = "before" if captured < group.window.start else "after"
        scene.reasons.append(f"{distance.total_seconds() / 86_400:.1f} days {side} the window")
    else:
        scene.reasons.append("within the window: may show the site before or after")
    group.members.append(scene)


def _proposal(site_id: int, site_name: str, group: _Group) -> Proposal | None:
    if not group.members:
        return None
    if group.incident_id is None and all(m.role == "context" for m in group.members):
        return None
    members = sorted(group.members, key=lambda m: m.evidence_id)
    window, score, reasons = summarise(site_name, members, group.incident_id, group.window)
    return Proposal(site_id, group.incident_id, window, score, reasons, members)


def summarise(
    site_name: str,
    members: list[Member],
    incident_id: int | None = None,
    incident_window: Window | None = None,
) -> tuple[Window | None, float, list[str]]:
    """A proposal's window, score and reasons from its members: for a new incident the
    intersection of the members' windows (scenes aside), for an addition the incident's."""
    count = f"{len(members)} item" + ("" if len(members) == 1 else "s")
    reasons = []
    if incident_id is not None:
        window = incident_window
        reasons.append(
            f"adds {count} to incident #{incident_id} at {site_name}"
            + (f" ({window})" if window else "")
            + ", whose times overlap it"
        )
    else:
        windows = [m.window for m in members if m.window is not None and m.role != "context"]
        window = _intersection(windows)
        lead = f"{count} at {site_name}"
        if window is None and windows:
            window = windows[0]
            for other in windows[1:]:
                window = window.hull(other)
            reasons.append("the members' windows do not all overlap: the window spans them all")
            lead += f": {window}"
        elif window is not None:
            lead += f" whose times overlap: {window}" if len(members) > 1 else f": {window}"
        reasons.insert(0, lead)
    strongest = max(members, key=lambda m: (m.score, -m.evidence_id))
    reasons.append(f"strongest: item #{strongest.evidence_id} ({strongest.score:.2f})")
    copies: dict[int, list[int]] = {}
    for member in members:
        if member.cluster is not None:
            copies.setdefault(member.cluster, []).append(member.evidence_id)
    for ids in copies.values():
        if len(ids) > 1:
            reasons.append("near-duplicates counted once: " + ", ".join(f"#{i}" for i in ids))
    return window, combine(members), reasons
