"""Building blocks of a case for the assessment tests: scenes, change analyses as
services/imagery_compare.py stores them, and claims."""

from __future__ import annotations

import orjson

from siteline.domain.entities import Claim, Custody, DerivedItem, EvidenceItem
from siteline.domain.values import FuzzyTime
from siteline.services import claims, derived, evidence

CUSTODY = Custody(method="written for the test")


def when(text: str) -> FuzzyTime:
    return FuzzyTime.parse(text, "t")


def scene_item(case, site_id: int, data: bytes, captured: str, **fields) -> dict:
    item = EvidenceItem(
        kind="satellite_scene",
        data=data,
        site_id=site_id,
        captured=when(captured),
        credibility=2,
        **fields,
    )
    return evidence.add_evidence(case, item, CUSTODY)


def add_analysis(case, site: dict, before: dict, after: dict, p: float, craters=()) -> dict:
    """A change analysis as services/imagery_compare.py stores it (the parts assessment reads)."""

    def summary(item):
        return {"evidence_id": item["id"], "sha256": item["blob_sha256"],
                "captured_at": item["captured_at"], "captured_precision": item["captured_precision"]}  # fmt: skip

    analysis = {
        "site": {"id": site["id"], "name": site["name"],
                 "outline_wgs84": "POLYGON ((45.2 12.4, 45.3 12.4, 45.3 12.6, 45.2 12.6, 45.2 12.4))"},
        "before": [summary(before)],
        "after": [summary(after)],
        "result": {"site_changed_fraction": 0.3, "ring_changed_fraction": 0.02,
                   "block_p_value": p, "objects": list(craters)},
    }  # fmt: skip
    item = DerivedItem(
        kind="change_analysis",
        parents=[before["blob_sha256"], after["blob_sha256"]],
        method="siteline-change",
        method_version="test",
        parameters={"site": analysis["site"]},
        data=orjson.dumps(analysis, option=orjson.OPT_SORT_KEYS),
        media_type="application/json",
        evidence_id=after["id"],
    )
    return derived.add_derived(case, item)


def no_change_claim(case, site_id: int) -> dict:
    return claims.add_claim(
        case,
        Claim(
            speaker="Ministry spokesperson",
            stated=when("2016-10-01"),
            quote="No changes to the facility can be observed.",
            proposition_kind="no_change",
            site_id=site_id,
            period_start=when("2016-09-21"),
            period_end=when("2016-09-29"),
        ),
    )
