"""Photos and videos into a case: originals preserved, metadata claims recorded as claims,
perceptual hashes for near-duplicate matching, a thumbnail for each.

Files are read on every core (media_parallel) and stored in batches of BATCH files, each
batch one transaction. A run that is interrupted keeps every batch it finished; running it
again passes over the files the case already holds (recognised by their SHA-256) and
carries on, so nothing is added twice and nothing is lost. A file that cannot be read is
reported by name and nothing of it is stored; the others are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from siteline import __version__
from siteline.domain.entities import Custody, EvidenceItem
from siteline.errors import InvalidInput, SitelineError
from siteline.media.photo_metadata import claimed_capture_time, claimed_location
from siteline.media.reading import MEDIA_EXTENSIONS, MediaReading, file_sha256
from siteline.services import evidence as evidence_service
from siteline.services.ingest import input_files
from siteline.services.media_hashing import store_readings
from siteline.services.media_match import (
    RECORDED_RADIUS,
    CaseMatcher,
    check_match_radius,
)
from siteline.services.media_parallel import read_all
from siteline.store.blobs import sha256_hex
from siteline.store.case_folder import Case
from siteline.store.schema import evidence
from siteline.store.transaction import Transaction

BATCH = 200  # files a transaction: a lost batch is seconds of work, a commit is cheap
MEDIA_PATTERNS = tuple(f"*{suffix}" for suffix in sorted(MEDIA_EXTENSIONS)) + tuple(
    f"*{suffix.upper()}" for suffix in sorted(MEDIA_EXTENSIONS)
)


@dataclass
class MediaIngestReport:
    files: int = 0
    added: int = 0
    unchanged: int = 0  # already in the case
    hashes: int = 0
    matches: int = 0  # near-duplicates found (see media_match)
    problems: list[str] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.interrupted

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "added": self.added,
            "unchanged": self.unchanged,
            "hashes": self.hashes,
            "matches": self.matches,
            "problems": self.problems,
            "item_ids": self.item_ids,
            "interrupted": self.interrupted,
        }


Progress = Callable[[MediaIngestReport, int], None]


def ingest_media(
    case: Case,
    paths: Iterable[Path],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    match_radius: int = RECORDED_RADIUS,
) -> MediaIngestReport:
    """Reads every media file named, or found in a folder named, into the case.
    `progress(report, total)` is called after each batch is stored. `match_radius`: the
    most bits in which a new item's probe and a hash of the case may differ to match."""
    check_match_radius(match_radius)
    files = input_files(paths, MEDIA_PATTERNS)
    report = MediaIngestReport()
    batch: list[MediaReading] = []
    with case.read() as connection:
        matcher = CaseMatcher.of_case(connection, match_radius)
        known = _media_digests(connection)
    try:
        for result in read_all(_not_in_case(files, known, report), workers, scheduler):
            report.files += 1
            if isinstance(result, SitelineError):
                report.problems.append(str(result))
            else:
                batch.append(result)
            if len(batch) >= BATCH:
                _store_batch(case, batch, report, matcher)
                batch = []
                _tell(progress, report, len(files))
        _store_batch(case, batch, report, matcher)
    except KeyboardInterrupt:
        report.interrupted = True  # the batch in hand is not stored; run again to go on
    _tell(progress, report, len(files))
    return report


def _media_digests(connection) -> set[str]:
    query = select(evidence.c.blob_sha256).where(
        evidence.c.deleted_at.is_(None), evidence.c.kind.in_(("photo", "video"))
    )
    return set(connection.execute(query).scalars())


def _not_in_case(files: list[Path], known: set[str], report: MediaIngestReport):
    """The files whose bytes the case does not hold yet: a run that carries on after an
    interruption passes over what is stored by a hash of the bytes, without decoding."""
    for path in files:
        try:
            digest = file_sha256(path)
        except OSError:
            yield path  # the reading names the problem
            continue
        if digest in known:
            report.files += 1
            report.unchanged += 1
        else:
            yield path


def _tell(progress: Progress | None, report: MediaIngestReport, total: int) -> None:
    if progress is not None:
        progress(report, total)


def _store_batch(
    case: Case, readings: list[MediaReading], report: MediaIngestReport, matcher: CaseMatcher
) -> None:
    if not readings:
        return
    with case.write() as transaction:
        known = _known_digests(transaction, [reading.sha256 for reading in readings])
        fresh, seen = [], set(known)
        for reading in readings:
            if reading.sha256 in seen:
                report.unchanged += 1
                continue
            seen.add(reading.sha256)
            fresh.append((reading, _original(reading)))
        if not fresh:
            return
        items = [
            (_item(reading, data, matcher.radius), _custody(reading)) for reading, data in fresh
        ]
        added = evidence_service.add_items(case, transaction, items)
        readings = [(row["id"], reading) for (reading, _), row in zip(fresh, added, strict=True)]
        hashes, matches = store_readings(case, transaction, readings, matcher)
        report.hashes += hashes
        report.matches += matches
    report.added += len(added)
    report.item_ids += [row["id"] for row in added]


def _original(reading: MediaReading) -> bytes:
    """The bytes to preserve, read again here and checked against what the worker hashed,
    so that a file changed in between is refused rather than stored under the wrong hash."""
    try:
        data = Path(reading.path).read_bytes()
    except OSError as error:
        raise InvalidInput(reading.name, f"cannot be read ({error.strerror or error})") from None
    if sha256_hex(data) != reading.sha256:
        raise InvalidInput(reading.name, "the file changed while it was being read: run again")
    return data


def _known_digests(transaction: Transaction, digests: list[str]) -> set[str]:
    query = select(evidence.c.blob_sha256).where(
        evidence.c.blob_sha256.in_(digests),
        evidence.c.deleted_at.is_(None),
        evidence.c.kind.in_(("photo", "video")),
    )
    return set(transaction.connection.execute(query).scalars())


def _item(reading: MediaReading, data: bytes, match_radius: int) -> EvidenceItem:
    metadata = reading.metadata
    return EvidenceItem(
        kind=reading.kind,
        title=reading.name,
        data=data,
        original_filename=reading.name,
        media_type=reading.media_type,
        captured=claimed_capture_time(metadata),
        claimed_location=claimed_location(metadata),
        ingest_key=f"sha256:{reading.sha256}",
        details={"media": metadata, "hashes": len(reading.hashes), "match_radius": match_radius},
    )


def _custody(reading: MediaReading) -> Custody:
    return Custody(
        method="media file read from disk",
        tool="siteline ingest media",
        tool_version=__version__,
        notes=f"from {reading.path}",
    )
