"""Claims and their verdicts as schema.org ClaimReview, in JSON-LD.

One ClaimReview for each claim a person has taken up (candidates found by ingest are left
out), in one JSON-LD document (`@graph`). The verdict is the rating's `alternateName`, on
a stated scale: 1 contradicted, 2 unresolved, 3 supported. Every value comes from the
case, none from the clock: `datePublished` is when the audit chain records the present
verdict being reached, so the same case always gives the same document.

A public document (`public=True`) leaves out every claim whose appearance is restricted or
confidential (or from a source whose identity is sealed), names such items in reasons only
as "a confidential item" (or "a restricted item"), and lists no hash of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from siteline.analysis.verdicts import render
from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.services import claim_reviews
from siteline.store.case_folder import Case

CONTEXT = "https://schema.org"
RATING = {"contradicted": 1, "unresolved": 2, "supported": 3}
_ITEM_NUMBER = re.compile(r"#(\d+)\b")


def build(material: dict, public: bool = False) -> dict:
    """The JSON-LD document for the material `claim_reviews.review_input` reads."""
    hidden = material["hidden"] if public else {}
    reviews = [
        claim_review(claim, material["case"], hidden, public)
        for claim in material["claims"]
        if not (public and _appears_only_hidden(claim, material["hidden"]))
    ]
    return {"@context": CONTEXT, "@graph": reviews}


def _appears_only_hidden(claim: dict, hidden: dict[int, str]) -> bool:
    appearance = claim.get("appearance")
    return appearance is not None and (
        appearance["id"] in hidden or appearance["deleted_at"] is not None
    )


def claim_review(claim: dict, case: dict, hidden: dict[int, str], public: bool) -> dict:
    stated = FuzzyTime.from_stored(claim["stated_at"], claim["stated_precision"])
    dates = claim.get("verdict_dates") or {}
    published = (dates.get("published") or claim["stated_at"])[:10]
    review = {
        "@type": "ClaimReview",
        "@id": f"urn:siteline:{case['uid']}:claim:{claim['id']}",
        "identifier": f"claim-{claim['id']}",
        "claimReviewed": claim["quote"],
        "itemReviewed": _item_reviewed(claim, stated, hidden, public),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING[claim["verdict"]],
            "bestRating": 3,
            "worstRating": 1,
            "alternateName": claim["verdict"],
        },
        "author": {"@type": "Organization", "name": case["name"]},
        "datePublished": published,
        "reviewBody": _review_body(claim, hidden),
    }
    if claim["verdict_rule"]:
        review["reviewRating"]["ratingExplanation"] = claim["verdict_rule"]
    modified = (dates.get("modified") or "")[:10]
    if modified and modified != published:
        review["dateModified"] = modified
    based_on = _based_on(claim, hidden)
    if based_on:
        review["isBasedOn"] = based_on
    return review


def _item_reviewed(claim: dict, stated: FuzzyTime, hidden: dict[int, str], public: bool) -> dict:
    item = {
        "@type": "Claim",
        "author": {"@type": "Person", "name": claim["speaker"]},
        "datePublished": str(stated),
        "text": claim["quote"],
        "description": claim["proposition"],
    }
    appearance = claim.get("appearance")
    if appearance and not (public and appearance["id"] in hidden):
        work = {
            "@type": "CreativeWork",
            "name": appearance["title"] or f"evidence #{appearance['id']}",
        }
        if appearance["source_url"]:
            work["url"] = appearance["source_url"]
        published = FuzzyTime.from_stored(
            appearance["published_at"], appearance["published_precision"]
        )
        if published:
            work["datePublished"] = str(published)
        item["appearance"] = [work]
    return item


def _review_body(claim: dict, hidden: dict[int, str]) -> str:
    chain = json.loads(claim["verdict_chain"]) if claim["verdict_chain"] else None
    if chain is not None:
        return "\n".join(render(chain["reasons"], chain["mentions"], hidden))
    # A person's reasons, as written: any '#N' naming a hidden item is hidden too.
    return _ITEM_NUMBER.sub(
        lambda match: _hidden_name(hidden.get(int(match.group(1)))) or match.group(0),
        claim["verdict_reasons"] or "",
    )


def _hidden_name(level: str | None) -> str | None:
    if level is None:
        return None
    return "a confidential item" if level == "confidential" else "a restricted item"


def _based_on(claim: dict, hidden: dict[int, str]) -> list[dict]:
    """The items and analyses the verdict rests on, by hash; hidden ones left out."""
    chain = json.loads(claim["verdict_chain"]) if claim["verdict_chain"] else {}
    found: dict[str, dict] = {}
    for element in chain.get("elements", []):
        if element["type"] == "change_analysis":
            scenes = [scene["evidence_id"] for scene in element["scenes"]]
            if element.get("sha256") and not any(number in hidden for number in scenes):
                found[f"d{element['id']}"] = _work(
                    f"change analysis (derived item #{element['id']})", element["sha256"]
                )
            items = element["scenes"]
        else:
            items = element.get("items", [])
        for item in items:
            number = item["evidence_id"]
            if number not in hidden and item.get("sha256"):
                found.setdefault(
                    f"e{number}",
                    _work(
                        f"evidence #{number} ({item.get('kind', 'satellite_scene')})",
                        item["sha256"],
                    ),
                )
    return [found[key] for key in sorted(found)]


def _work(name: str, sha256: str) -> dict:
    return {"@type": "CreativeWork", "name": name, "identifier": f"sha256:{sha256}"}


def export_claimreview(
    case: Case, out: Path | None = None, public: bool = False
) -> tuple[str, dict]:
    """The document as text, written to `out` when given (whole or not at all), and the
    export recorded in the audit chain. Returns (text, summary)."""
    document = build(claim_reviews.review_input(case), public)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()
    summary = {"claims": len(document["@graph"]), "public": public, "sha256": digest}
    if out is not None:
        _write_whole(Path(out), text)
    try:
        claim_reviews.record_export(case, Path(out).name if out else "stdout", summary)
    except BaseException:
        if out is not None:
            Path(out).unlink(missing_ok=True)  # an export the chain does not record
        raise
    return text, {**summary, "out": str(out) if out else None}


def _write_whole(path: Path, text: str) -> None:
    if path.is_dir():
        raise InvalidInput(str(path), "is a folder: give the name of the file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, working = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(working, path)
    except BaseException:
        Path(working).unlink(missing_ok=True)
        raise
