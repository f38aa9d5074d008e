"""Perceptual hashes, near-duplicates and thumbnails for media items already stored by
another ingest (the photos and videos carried by a platform export), so that copies
posted on one platform are found among those from another, each with the time its post
gives. Done in the caller's transaction, in this process: an export carries few media
files beside its posts.

A file that cannot be decoded keeps its item (the bytes are what the export carried) and
is named among the run's skipped reasons, without hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from siteline.domain.entities import DerivedItem
from siteline.errors import SitelineError
from siteline.media import thumbnails
from siteline.media.reading import read_media_file
from siteline.services import derived as derived_service
from siteline.services.media_match import MATCH_COLUMNS, CaseMatcher
from siteline.store.case_folder import Case
from siteline.store.schema import media_hashes
from siteline.store.transaction import Transaction, utc_now_stored

HASH_COLUMNS = ("evidence_id", "variant", "frame_s", "pdq", "quality", "pipeline", "created_at")


def hash_stored_media(
    case: Case, transaction: Transaction, stored: Sequence[tuple[int, Path]], skip
) -> int:
    """Hashes each (evidence id, file) not hashed yet and records its near-duplicates;
    `skip(reason)` counts a file that could not be read. Returns the matches found."""
    fresh = _not_hashed(transaction, stored)
    if not fresh:
        return 0
    readings = []
    for evidence_id, path in fresh:
        try:
            readings.append((evidence_id, read_media_file(path)))
        except SitelineError as error:
            skip(f"media not hashed: {getattr(error, 'problem', error)}")
    matcher = CaseMatcher.of_case(transaction.connection)
    return store_readings(case, transaction, readings, matcher)[1]


def store_readings(case: Case, transaction: Transaction, readings, matcher: CaseMatcher):
    """For each (evidence id, reading) in order: its near-duplicates among what `matcher`
    holds (the case, and the readings before it), then its hashes into the matcher and the
    case, and its thumbnail. Returns (hashes stored, matches stored)."""
    now = utc_now_stored()
    hash_rows, match_rows = [], []
    for evidence_id, reading in readings:
        for match in matcher.find(evidence_id, reading.probes):
            match_rows.append(tuple(match[column] for column in MATCH_COLUMNS[:-1]) + (now,))
        matcher.add(evidence_id, reading.hashes)
        hash_rows += [
            (evidence_id, h["variant"], h["frame_s"], h["pdq"], h["quality"], h["pipeline"], now)
            for h in reading.hashes
        ]
        store_thumbnail(case, transaction, reading, evidence_id)
    transaction.insert_batch("hash", HASH_COLUMNS, hash_rows)
    transaction.insert_batch("match", MATCH_COLUMNS, match_rows)
    return len(hash_rows), len(match_rows)


def _not_hashed(transaction: Transaction, stored) -> list[tuple[int, Path]]:
    """Each item once, and only if it has no hash yet (a file posted again is the same item)."""
    ids = sorted({evidence_id for evidence_id, _ in stored})
    hashed = set(
        transaction.connection.execute(
            select(media_hashes.c.evidence_id).where(media_hashes.c.evidence_id.in_(ids))
        ).scalars()
    )
    chosen: dict[int, Path] = {}
    for evidence_id, path in stored:
        if evidence_id not in hashed:
            chosen.setdefault(evidence_id, Path(path))
    return list(chosen.items())


def store_thumbnail(case: Case, transaction: Transaction, reading, evidence_id: int) -> None:
    """The reading's thumbnail as a derived item of its original, when it has one."""
    if reading.thumbnail is None:
        return
    thumbnail = DerivedItem(
        kind="thumbnail",
        parents=[reading.sha256],
        method=thumbnails.METHOD,
        method_version=thumbnails.METHOD_VERSION,
        parameters=thumbnails.parameters(),
        data=reading.thumbnail,
        media_type="image/jpeg",
        evidence_id=evidence_id,
    )
    derived_service.add_in_transaction(case, transaction, thumbnail)
