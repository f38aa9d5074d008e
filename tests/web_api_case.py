"""A case for the web API tests: one site, a witness whose identity is sealed, a public,
a restricted and a confidential item (each with its own bytes, title, text, file name and
address), an incident linking all three, a claim that appeared only in the restricted
item and a person's verdict whose reasons cite it.

`SECRETS[level]` holds every string a role that may not see `level` must never receive.
"""

from __future__ import annotations

import hashlib

from siteline.domain.entities import (
    Claim,
    Custody,
    EvidenceItem,
    EvidenceLink,
    Incident,
    Site,
    Source,
)
from siteline.domain.values import FuzzyTime
from siteline.services import claims, evidence, incidents, sites, sources

WITNESS_IDENTITY = "Nadia Qassem-WITNESS-7731"


def _item(level: str) -> dict:
    tag = level.upper()
    data = f"the original bytes of the {level} item {tag}-BYTES-9f3".encode()
    return {
        "title": f"{tag}-TITLE-a81",
        "text": f"{tag}-TEXT-b72 what was seen",
        "original_filename": f"{level}-file-c63.txt",
        "source_url": f"https://{level}.example.org/d54",
        "data": data,
        "sha256": hashlib.sha256(data).hexdigest(),
    }


ITEMS = {level: _item(level) for level in ("public", "restricted", "confidential")}
RESTRICTED_QUOTE = "RESTRICTED-QUOTE-e45 the hospital was empty"
SECRETS = {
    level: [
        value for key, value in ITEMS[level].items() if key != "data" and isinstance(value, str)
    ]
    + ([RESTRICTED_QUOTE] if level == "restricted" else [])
    for level in ("restricted", "confidential")
}


def populate(case) -> dict:
    """Fills `case`; returns the numbers of what it made."""
    site = sites.add_site(case, Site("Al-Amal Hospital", lat=31.5, lon=34.45))
    witness = sources.add_source(
        case, Source("Witness W1", kind="witness", reliability="C", identity=WITNESS_IDENTITY)
    )
    ids = {"site": site["id"], "witness": witness["id"]}
    for level, values in ITEMS.items():
        item = EvidenceItem(
            kind="document",
            title=values["title"],
            text=values["text"],
            data=values["data"],
            original_filename=values["original_filename"],
            media_type="text/html",  # hostile: must never be served as a page
            source_url=values["source_url"],
            sensitivity=level,
            site_id=site["id"],
            source_id=witness["id"] if level == "public" else None,
            published=FuzzyTime.parse("2024-03-0" + str(len(ids)), "published"),
        )
        ids[level] = evidence.add_evidence(case, item, Custody(method="test"))["id"]
    incident = incidents.add_incident(
        case,
        Incident(site["id"], FuzzyTime.parse("2024-03-02", "w"), type="airstrike", title="Strike"),
    )
    ids["incident"] = incident["id"]
    for level in ITEMS:
        incidents.link_evidence(
            case, EvidenceLink(incident["id"], ids[level], "supports", f"{level} rationale")
        )
    hidden_claim = claims.add_claim(
        case,
        Claim("Ministry", FuzzyTime.parse("2024-03-05", "s"), RESTRICTED_QUOTE,
              proposition="no one was there", evidence_id=ids["restricted"]),
    )  # fmt: skip
    open_claim = claims.add_claim(
        case,
        Claim("Spokesman", FuzzyTime.parse("2024-03-06", "s"), "Nothing happened there",
              proposition="no attack", evidence_id=ids["public"]),
    )  # fmt: skip
    claims.set_verdict(
        case,
        open_claim["id"],
        "contradicted",
        f"see item #{ids['restricted']} and #{ids['public']}",
    )
    ids["hidden_claim"], ids["claim"] = hidden_claim["id"], open_claim["id"]
    return ids
