"""A web page and its media captured into a case: the WACZ package kept as the original of
a document item, with who captured it, when, and the SHA-256 of every record.

The capture itself (siteline.capture) writes a WARC and a WACZ into a temporary folder; the
WACZ (which holds the WARC byte for byte, its index and its own digests) becomes the item,
and the WARC's records are listed in the item's details so that each page or medium can be
named without opening the package. A capture that fails stores nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from siteline import __version__
from siteline.capture import CaptureLimits, capture_url
from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.values import FuzzyTime
from siteline.services import evidence as evidence_service
from siteline.store.case_folder import Case

WACZ_MEDIA_TYPE = "application/wacz"
MAX_TITLE = 300


def capture_into_case(
    case: Case,
    url: str,
    *,
    identity: str | None = None,
    allow_private_hosts: frozenset[str] = frozenset(),
    limits: CaptureLimits | None = None,
) -> dict:
    """Captures `url` and stores the package; returns the new item and the capture's record.
    `identity` (who captures) defaults to the case's actor."""
    who = identity or case.actor
    with tempfile.TemporaryDirectory(prefix="siteline-capture-") as folder:
        result = capture_url(
            url, Path(folder), identity=who, allow_private_hosts=allow_private_hosts,
            limits=limits or CaptureLimits(),
        )  # fmt: skip
        package = result.wacz_path.read_bytes()
    record = result.as_dict()
    captured = FuzzyTime.parse(record["captured_at"][:19] + "Z", "captured")
    item = EvidenceItem(
        kind="document",
        title=_plain(result.title or result.page_url)[:MAX_TITLE],
        data=package,
        original_filename=result.wacz_path.name,
        media_type=WACZ_MEDIA_TYPE,
        source_url=result.url,
        captured=captured,
        details={"capture": _details(record)},
    )
    how = Custody(
        method="web capture (WARC 1.1 in a WACZ package)",
        collector=who,
        tool="siteline capture",
        tool_version=__version__,
        source_url=result.url,
        collected_at=captured,
        notes=f"WARC sha256 {result.warc_sha256}",
    )
    added = evidence_service.add_evidence(case, item, how)
    return {"evidence_id": added["id"], "capture": record}


def _details(record: dict) -> dict:
    """What the item's details keep of the capture (paths on this machine are left out)."""
    kept = {key: value for key, value in record.items() if not key.endswith("_path")}
    kept["package"] = "wacz"
    return kept


def _plain(text: str) -> str:
    """The page's title without control characters: it comes from the web, and a terminal
    or a log would act on an escape sequence in it."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
