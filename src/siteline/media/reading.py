"""One media file read for ingest: what it is, what it claims, its perceptual hashes and a
thumbnail. A pure function of the file, so that it can run in another process or on a
Dask worker; nothing here touches a case.

What a file is comes from its content, never its name alone: a name whose extension says
one kind of media while the content is another (a JPEG called .mp4) is refused, since
either the name or the content is not what it claims to be.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from siteline.errors import InvalidInput
from siteline.media import pdq, robust
from siteline.media.photo_metadata import read_photo_metadata
from siteline.media.thumbnails import thumbnail_jpeg

PHOTO_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".webp", ".tif", ".tiff", ".bmp"}
)
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".3gp", ".ts", ".mpg", ".mpeg", ".wmv"}
)
MEDIA_EXTENSIONS = PHOTO_EXTENSIONS | VIDEO_EXTENSIONS


@dataclass
class Probes:
    """What a new item searches the case with: a photo's crops, trimmed crops, rotations
    and mirror images and its stored hashes (robust.py), or a video's frames. Made when the
    file is read and used once, when it is stored; never kept."""

    labels: list[str]
    bits: np.ndarray  # (n, 32) uint8, each hash's 256 bits, most significant first
    quality: np.ndarray  # (n,) int
    frame_s: list[float | None]


@dataclass
class MediaReading:
    """What ingest needs of one file."""

    path: str
    name: str
    sha256: str
    size: int
    kind: str  # "photo" or "video"
    media_type: str
    metadata: dict
    hashes: list[dict] = field(default_factory=list)  # variant, frame_s, pdq, quality, pipeline
    thumbnail: bytes | None = None
    probes: Probes | None = None


def read_media_file(path: str | Path) -> MediaReading:
    """Reads, identifies and hashes one file; InvalidInput naming it when it cannot be.
    A video is read as a stream, never whole into memory."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        digest = file_sha256(path) if size else ""
        looks_like_image = size > 0 and _looks_like_image(path)
        data = path.read_bytes() if looks_like_image else b""
    except OSError as error:
        raise InvalidInput(str(path), f"cannot be read ({error.strerror or error})") from None
    if not size:
        raise InvalidInput(name, "the file is empty")
    suffix = path.suffix.lower()
    image = _as_image(data, name) if looks_like_image else None
    if image is not None:
        if suffix in VIDEO_EXTENSIONS:
            raise InvalidInput(
                name, f"the name says video ({suffix}) but the content is a {image.format} image"
            )
        return _read_photo(path, data, digest, image)
    if suffix in PHOTO_EXTENSIONS:
        raise InvalidInput(name, f"the name says image ({suffix}) but the content is not one")
    return _read_video(path, size, digest)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read a mebibyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _looks_like_image(path: Path) -> bool:
    """Whether Pillow recognises the file's header as an image (nothing else is read)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path):
                return True
    except UnidentifiedImageError:
        return False
    except Exception:  # noqa: BLE001 - a damaged or bomb image: its reading names why
        return True


def _as_image(data: bytes, name: str) -> Image.Image | None:
    """The image, if the bytes are one Pillow recognises; None if they are something else."""
    try:
        return pdq.open_image(data, name)
    except InvalidInput as error:
        if "unknown or corrupt format" in error.problem:
            return None
        raise


def _read_photo(path: Path, data: bytes, digest: str, image: Image.Image) -> MediaReading:
    metadata = read_photo_metadata(image)
    media_type = Image.MIME.get(image.format or "", "application/octet-stream")
    pixels = pdq.decode_for_hash(image, path.name)
    # From the bytes: a framed picture is decoded again, as finely as it alone would be.
    hashed = robust.hash_set(data, path.name)
    hashes = [
        # "whole" is the canonical siteline-pdq/1 hash; the others belong to the set.
        _hash_row(
            item.variant,
            None,
            item.hex,
            item.quality,
            pdq.PIPELINE if item.variant == "whole" else hashed.pipeline,
        )  # fmt: skip
        for item in hashed.stored
    ]
    metadata["hashed_size"] = [hashed.width, hashed.height]
    probes = Probes(
        list(hashed.probe_labels), hashed.probe_bits, hashed.probe_quality,
        [None] * len(hashed.probe_labels),
    )  # fmt: skip
    return MediaReading(
        str(path), path.name, digest, len(data), "photo", media_type, metadata, hashes,
        thumbnail_jpeg(pixels), probes,
    )  # fmt: skip


def _read_video(path: Path, size: int, digest: str) -> MediaReading:
    from siteline.media import video  # PyAV loads its libraries only when a video comes

    reading = video.read_video(path, path.name)
    hashes = [
        _hash_row("frame", frame.time_s, frame.hash.hex, frame.hash.quality, frame.pipeline)
        for frame in reading.frames
    ]
    probes = Probes(
        ["frame"] * len(hashes),
        np.stack([np.frombuffer(bytes.fromhex(h["pdq"]), np.uint8) for h in hashes])
        if hashes
        else np.empty((0, 32), np.uint8),
        np.asarray([h["quality"] for h in hashes], dtype=int),
        [h["frame_s"] for h in hashes],
    )
    return MediaReading(
        str(path), path.name, digest, size, "video", reading.media_type,
        reading.metadata, hashes, reading.thumbnail, probes,
    )  # fmt: skip


def _hash_row(variant, frame_s, hex_value, quality, pipeline) -> dict:
    return {
        "variant": variant,
        "frame_s": frame_s,
        "pdq": hex_value,
        "quality": int(quality),
        "pipeline": pipeline,
    }
