"""The report as plain values: everything the template prints, already ordered and redacted.

`build_model` takes the case's rows (see `services.report_reading`) and the reader's access,
decides what is withheld, and gives the template nothing it may not print. Everything is
ordered by ids and times, so the same case always gives the same model. Pure.
"""

from __future__ import annotations

from collections import Counter

from siteline.analysis.statistics import CERTAINTY_ORDER, IncidentFact, count_by
from siteline.domain.vocabularies import Verdict
from siteline.report.charts import bar_chart
from siteline.report.items import annex_entry, reference
from siteline.report.map import site_map
from siteline.report.redaction import Access, Scrubber, withheld_derived, withheld_items
from siteline.report.sections import Redacted, analyses_section, claims_section, timeline

VERDICT_ORDER = (Verdict.CONTRADICTED, Verdict.SUPPORTED, Verdict.UNRESOLVED)


def build_model(snapshot: dict, access: Access, generated_at: str) -> dict:
    view = redacted_view(snapshot, access)
    sites = {site["id"]: site for site in snapshot["sites"]}
    incidents = snapshot["incidents"]
    facts = [_fact(incident, sites[incident["site_id"]]) for incident in incidents]
    return {
        "case": snapshot["case"],
        "generated_at": generated_at,
        "access": access,
        "summary": _summary(snapshot, view),
        "map": site_map(snapshot["sites"], Counter(incident["site_id"] for incident in incidents)),
        "charts": _charts(facts),
        "timeline": timeline(snapshot["sites"], incidents, snapshot["links"], view),
        "claims": claims_section(snapshot["claims"], sites, view),
        "analyses": analyses_section(snapshot["derived"], snapshot["blobs"], view),
        "methodology": _methodology(snapshot),
        "annex": _annex(snapshot, view),
    }


def redacted_view(snapshot: dict, access: Access) -> Redacted:
    items = {item["id"]: item for item in snapshot["evidence"]}
    sources = {source["id"]: source for source in snapshot["sources"]}
    withheld = withheld_items(items, sources, access)
    blobs = {items[number]["blob_sha256"] for number in withheld if items[number]["blob_sha256"]}
    # A deleted item is named as such wherever a record still cites it, never shown.
    references = {
        number: reference(item, sources.get(item["source_id"]), withheld)
        for number, item in items.items()
        if item["deleted_at"] is None
    }
    return Redacted(
        references=references,
        withheld=withheld,
        withheld_derived=withheld_derived(snapshot["derived"], blobs, withheld),
        scrub=Scrubber((items[number] for number in sorted(withheld)), withheld),
    )


def _fact(incident: dict, site: dict) -> IncidentFact:
    return IncidentFact.from_row({**incident, "site_name": site["name"], "site_kind": site["kind"],
                                  "geometry_wkt": site["geometry_wkt"], "lat": site["lat"], "lon": site["lon"]})  # fmt: skip


def _summary(snapshot: dict, view: Redacted) -> dict:
    incidents = snapshot["incidents"]
    certainty = Counter(incident["certainty"] for incident in incidents)
    verdicts = Counter(claim["verdict"] for claim in snapshot["claims"])
    withheld_levels = Counter(
        view.withheld[number] for number in snapshot["cited"] if number in view.withheld
    )
    return {
        "sites": len({incident["site_id"] for incident in incidents}),
        "sites_in_case": len(snapshot["sites"]),
        "incidents": len(incidents),
        "by_certainty": [(level.value, certainty[level.value]) for level in CERTAINTY_ORDER],
        "killed": _stated_sum(incidents, "killed"),
        "injured": _stated_sum(incidents, "injured"),
        "claims": len(snapshot["claims"]),
        "by_verdict": [(verdict.value, verdicts[verdict.value]) for verdict in VERDICT_ORDER],
        "candidate_claims": snapshot["candidate_claims"],
        "items_cited": len(snapshot["cited"]),
        "withheld": sorted(withheld_levels.items()),
        "analyses": sum(1 for row in snapshot["derived"] if row["kind"] == "change_analysis"),
    }


def _stated_sum(incidents: list[dict], column: str) -> dict:
    stated = [incident[column] for incident in incidents if incident[column] is not None]
    return {"total": sum(stated), "stated_in": len(stated), "of": len(incidents)}


def _charts(facts: list[IncidentFact]) -> list:
    if not facts:
        return []
    months = count_by(facts, "month")
    by_kind = count_by(facts, "site_kind")
    certainty = Counter(fact.certainty for fact in facts)
    charts = [
        (bar_chart("Attacks by month", [(g.label, g.count) for g in months.groups], "chart-month"),
         months.uncertain_month),
        (bar_chart("Attacks by certainty (WHO SSA)",
                   [(level.value, certainty[level.value]) for level in CERTAINTY_ORDER], "chart-certainty"),
         []),
        (bar_chart("Attacks by kind of site",
                   [(g.label.replace("_", " "), g.count) for g in by_kind.groups], "chart-kind"),
         []),
    ]  # fmt: skip
    return [{"chart": chart, "uncertain_month": uncertain} for chart, uncertain in charts]


def _methodology(snapshot: dict) -> dict:
    certainty_rules = _rules(snapshot["incidents"], "certainty_rule")
    verdict_rules = _rules(snapshot["claims"], "verdict_rule")
    return {
        "certainty_rules": certainty_rules,
        "verdict_rules": verdict_rules,
        "verdict_by": sorted(
            Counter(
                claim.get("verdict_by") or "a person (not recorded)" for claim in snapshot["claims"]
            ).items()
        ),  # fmt: skip
        "audit": snapshot["audit"],
        "siteline_version": snapshot["siteline_version"],
        "chart_library": _matplotlib_version(),
    }


def _rules(rows: list[dict], column: str) -> list[dict]:
    """Each stored rule with the records it decided; records without one under None."""
    found: dict[str | None, list[int]] = {}
    for row in rows:
        found.setdefault(row.get(column), []).append(row["id"])
    ordered = sorted(found, key=lambda rule: (rule is None, rule or ""))
    return [{"rule": rule, "ids": sorted(found[rule])} for rule in ordered]


def _matplotlib_version() -> str:
    import matplotlib

    return f"matplotlib {matplotlib.__version__}"


def _annex(snapshot: dict, view: Redacted) -> list[dict]:
    sources = {source["id"]: source for source in snapshot["sources"]}
    items = {item["id"]: item for item in snapshot["evidence"]}
    custody: dict[int, list[dict]] = {}
    for record in snapshot["custody"]:
        custody.setdefault(record["object_id"], []).append(record)
    entries = []
    for number in sorted(items):
        item = items[number]
        if item["deleted_at"] is not None:
            entries.append(view.ref(number))
            continue
        own = custody.get(number, [])
        if not own and item["within_id"] is not None:
            # What lies within another item's original shares that original's custody.
            own = custody.get(item["within_id"], [])
        entries.append(annex_entry(item, sources.get(item["source_id"]), own, view.withheld))
    return entries
