"""The report's sections that tell what happened: a timeline per site, the claims with
their verdicts and chains, and the satellite change analyses. Pure: they take the case's
rows and a `Redacted` view of its items, and give what the template prints."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from siteline.report.chain import read_chain
from siteline.report.items import missing_reference, when
from siteline.report.redaction import Scrubber

NOT_STATED = "not stated"


@dataclass
class Redacted:
    """The case's items as the report may name them."""

    references: dict[int, dict]  # item id -> reference (withheld ones reduced)
    withheld: dict[int, str]  # item id -> the level that withholds it
    withheld_derived: set[int]
    scrub: Scrubber

    def ref(self, item_id: int) -> dict:
        return self.references.get(item_id) or missing_reference(item_id)

    def hides(self, item_ids) -> bool:
        return any(
            item_id in self.withheld or item_id not in self.references for item_id in item_ids
        )


def window(incident: dict) -> str:
    start = when(incident["window_start_at"], incident["window_start_precision"])
    end = when(incident["window_end_at"], incident["window_end_precision"])
    return f"{start} to {end}" if end else f"{start}"


def reasons_list(raw: str | None, scrub: Scrubber) -> list[str]:
    """Stored reasons (a JSON list of words, or of objects) as lines of text."""
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return [scrub(str(raw))]
    lines = value if isinstance(value, list) else [value]
    return [scrub(_line(line)) for line in lines]


def _line(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {value[key]}" for key in sorted(value))
    return str(value)


def timeline(
    sites: list[dict], incidents: list[dict], links: list[dict], view: Redacted
) -> list[dict]:
    """Per site (in order of id) its incidents in window order, each with its evidence."""
    links_of: dict[int, list[dict]] = {}
    for link in links:
        links_of.setdefault(link["incident_id"], []).append(link)
    at_site: dict[int, list[dict]] = {}
    for incident in incidents:
        at_site.setdefault(incident["site_id"], []).append(incident)
    per_site = []
    for site in sites:
        found = at_site.get(site["id"])
        if found:
            per_site.append(
                {
                    "site": site,
                    "incidents": [
                        _incident(row, links_of.get(row["id"], []), view) for row in found
                    ],
                }
            )
    return per_site


def _incident(row: dict, links: list[dict], view: Redacted) -> dict:
    return {
        "id": row["id"],
        "title": view.scrub(row["title"]) or row["type"].replace("_", " ").capitalize(),
        "window": window(row),
        "type": row["type"].replace("_", " "),
        "weapon": view.scrub(row["weapon"]) or NOT_STATED,
        "perpetrator": view.scrub(row["perpetrator"]) or NOT_STATED,
        "killed": NOT_STATED if row["killed"] is None else row["killed"],
        "injured": NOT_STATED if row["injured"] is None else row["injured"],
        "damage": (row["damage_class"] or NOT_STATED).replace("_", " "),
        "certainty": row["certainty"],
        "certainty_rule": row.get("certainty_rule"),
        "certainty_reasons": reasons_list(row.get("certainty_reasons"), view.scrub),
        "description": view.scrub(row["description"]),
        "links": [_link(link, view) for link in links],
    }


def _link(link: dict, view: Redacted) -> dict:
    hidden = view.hides([link["evidence_id"]])
    return {
        "role": link["role"],
        "rationale": None if hidden else view.scrub(link["rationale"]),
        "item": view.ref(link["evidence_id"]),
    }


def claims_section(claims: list[dict], sites: dict[int, dict], view: Redacted) -> list[dict]:
    return [_claim(claim, sites, view) for claim in claims]


def _claim(claim: dict, sites: dict[int, dict], view: Redacted) -> dict:
    if claim["evidence_id"] in view.withheld:
        # The words of a claim come from the item it appeared in: withheld with it.
        return {"id": claim["id"], "withheld": True, "appeared_in": view.ref(claim["evidence_id"])}
    period_start = when(claim["period_start_at"], claim["period_start_precision"])
    period_end = when(claim["period_end_at"], claim["period_end_precision"])
    site = sites.get(claim["site_id"])
    chain = read_chain(claim.get("verdict_chain"))
    return {
        "id": claim["id"],
        "withheld": False,
        "speaker": claim["speaker"],
        "stated": when(claim["stated_at"], claim["stated_precision"]),
        "quote": view.scrub(claim["quote"]),
        "appeared_in": view.ref(claim["evidence_id"]) if claim["evidence_id"] is not None else None,
        "proposition_kind": claim["proposition_kind"].replace("_", " "),
        "proposition": view.scrub(claim["proposition"]),
        "site": site["name"] if site else None,
        "site_kind": (claim.get("site_kind") or "").replace("_", " ") or None,
        "area": claim.get("area_wkt"),
        "period": f"{period_start or '?'} to {period_end or period_start or '?'}"
        if period_start
        else None,
        "count": claim["count"],
        "count_comparison": (claim.get("count_comparison") or "").replace("_", " ") or None,
        "min_certainty": claim.get("min_certainty"),
        "verdict": claim["verdict"],
        "verdict_rule": claim.get("verdict_rule"),
        "verdict_by": claim.get("verdict_by"),
        "reasons": _verdict_reasons(claim, chain, view),
        "chain_problem": chain.problem if chain else None,
        "chain": [_element(element, view) for element in chain.elements] if chain else [],
    }


def _verdict_reasons(claim: dict, chain, view: Redacted) -> list[str]:
    """A computed verdict's reasons from its chain, withheld items named only by their
    sensitivity (the stored words name every item); a person's reasons as written."""
    if chain is not None and chain.reasons:
        return [view.scrub(line) for line in chain.reasons_text(view.withheld)]
    return [
        view.scrub(line) for line in (claim["verdict_reasons"] or "").splitlines() if line.strip()
    ]


def _element(element, view: Redacted) -> dict:
    hidden = element.type == "change_analysis" and element.id in view.withheld_derived
    return {
        "type": element.type.replace("_", " "),
        "id": element.id,
        "anchor": {"incident": "incident", "change_analysis": "analysis"}.get(element.type),
        "role": element.role,
        "withheld": hidden,
        "facts": [] if hidden else [view.scrub(fact) for fact in element.facts],
        "evidence": [view.ref(number) for number in element.evidence],
    }


def analyses_section(derived: list[dict], contents: dict[str, bytes], view: Redacted) -> list[dict]:
    """Each change analysis the report may show, with its figure and its figures in words."""
    figures = {row["blob_sha256"]: row for row in derived if row["kind"] == "change_figure"}
    shown = []
    for row in derived:
        if row["kind"] != "change_analysis":
            continue
        if row["id"] in view.withheld_derived or row["blob_sha256"] not in contents:
            shown.append({"id": row["id"], "withheld": True})
            continue
        analysis = json.loads(contents[row["blob_sha256"]])
        shown.append(_analysis(row, analysis, figures, contents, view))
    return shown


def _analysis(row: dict, analysis: dict, figures: dict, contents: dict, view: Redacted) -> dict:
    result = analysis.get("result", {})
    scenes = analysis.get("before", []) + analysis.get("after", [])
    figure_row = figures.get(analysis.get("figure_sha256"))
    graphic = any(view.ref(scene["evidence_id"]).get("graphic") for scene in scenes)
    figure = None
    if figure_row and figure_row["id"] not in view.withheld_derived and not graphic:
        data = contents.get(figure_row["blob_sha256"])
        figure = "data:image/png;base64," + base64.b64encode(data).decode() if data else None
    return {
        "id": row["id"],
        "withheld": False,
        "figure_id": figure_row["id"] if figure_row else None,
        "figure": figure,
        "graphic": graphic,
        "site": analysis.get("site", {}).get("name"),
        "before": [_scene(scene, view) for scene in analysis.get("before", [])],
        "after": [_scene(scene, view) for scene in analysis.get("after", [])],
        "method": f"{analysis.get('method')} {analysis.get('method_version')}",
        "operator": analysis.get("operator"),
        "threshold": analysis.get("threshold", {}),
        "shift_px": analysis.get("shift_px"),
        "site_changed": _percent(result.get("site_changed_fraction")),
        "ring_changed": _percent(result.get("ring_changed_fraction")),
        "block_p_value": result.get("block_p_value"),
        "objects": result.get("objects", []),
        "what_it_shows": analysis.get("what_it_shows"),
        "sha256": {"analysis": row["blob_sha256"], "figure": analysis.get("figure_sha256"),
                   "change_map": analysis.get("change_map_sha256")},
    }  # fmt: skip


def _scene(scene: dict, view: Redacted) -> dict:
    captured = when(scene.get("captured_at"), scene.get("captured_precision"))
    return {"item": view.ref(scene["evidence_id"]), "captured": captured or "capture time unknown"}


def _percent(fraction: float | None) -> str:
    return "no valid pixels" if fraction is None else f"{100 * fraction:.2f} %"
