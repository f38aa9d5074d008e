"""The demo's photos and video, of our own making, read through `ingest media` as a user's
would be: two photos taken at the hospital (with the time and place their camera claims),
a short clip filmed there, a still taken from the clip, and a re-posted copy of the first
photo, cropped, shrunk and stripped of its metadata, as copies travel on social media.
Matching finds the copy and the still, and names the photo and the clip seen first.

Like everything in the demo, the pictures are invented: drawn from seeds, not taken.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import av
import numpy as np
from PIL import Image

from siteline.media.synthetic import scene
from siteline.services.media_ingest import ingest_media
from siteline.services.media_match import clusters
from siteline.store.case_folder import Case

HOSPITAL = (14.0512, -33.2087)  # Vessarin General Hospital, as the demo places it
TAKEN = "2019:03:14 09:40:00"  # the morning after the strike, local time
OFFSET = "+02:00"
CLIP_SECONDS, CLIP_FPS, CLIP_SIZE = 4, 10, (320, 240)


def add_media(case: Case) -> dict:
    """Writes the pictures to a temporary folder, ingests them, and returns what ingest
    did and the clusters of copies found."""
    with tempfile.TemporaryDirectory(prefix="siteline-demo-media-") as folder:
        paths = write_media(Path(folder))
        report = ingest_media(case, [Path(folder)], workers=1)
    if not report.ok:
        raise RuntimeError(f"the demo's media could not be ingested: {report.problems}")
    names = sorted(path.name for path in paths)
    return {
        "items": dict(zip(names, report.item_ids, strict=True)),
        "clusters": clusters(case),
    }


def write_media(folder: Path) -> list[Path]:
    east_wing, car_park = scene(1203), scene(1207)
    paths = [
        _photo(folder / "general-east-wing.jpg", east_wing, TAKEN),
        _photo(folder / "general-car-park.jpg", car_park, "2019:03:14 09:43:00"),
        _photo(folder / "repost-cropped.jpg", _reposted(east_wing), None, quality=70),
    ]
    clip_frames = _clip_frames()
    paths.append(_clip(folder / "general-courtyard-clip.mp4", clip_frames))
    still = clip_frames[2 * CLIP_FPS]  # the frame shown at 2 s
    paths.append(_photo(folder / "still-from-clip.jpg", still, None, quality=80))
    return paths


def _photo(path: Path, pixels: np.ndarray, taken: str | None, quality: int = 90) -> Path:
    exif = Image.Exif()
    if taken:
        exif[0x0110] = "Demo Phone"
        exif.get_ifd(0x8769)[0x9003] = taken
        exif.get_ifd(0x8769)[0x9011] = OFFSET
        gps = exif.get_ifd(0x8825)
        gps.update({1: "N", 2: _dms(HOSPITAL[0]), 3: "W", 4: _dms(-HOSPITAL[1])})
    Image.fromarray(np.ascontiguousarray(pixels)).save(path, "JPEG", quality=quality, exif=exif)
    return path


def _dms(degrees: float) -> tuple[float, float, float]:
    whole = int(degrees)
    minutes = (degrees - whole) * 60
    return (float(whole), float(int(minutes)), round((minutes - int(minutes)) * 60, 4))


def _reposted(pixels: np.ndarray) -> np.ndarray:
    """Cropped by 8 % on each side and shrunk to 80 %, as a re-post might be."""
    height, width = pixels.shape[:2]
    top, left = int(height * 0.08), int(width * 0.08)
    cropped = Image.fromarray(pixels[top : height - top, left : width - left])
    size = (int(cropped.width * 0.8), int(cropped.height * 0.8))
    return np.asarray(cropped.resize(size, Image.Resampling.BILINEAR))


def _clip_frames() -> list[np.ndarray]:
    """A slow pan across a wide scene of the courtyard, one frame a tenth of a second."""
    width, height = CLIP_SIZE
    wide = scene(1211, width * 2, height)
    steps = CLIP_SECONDS * CLIP_FPS
    return [
        np.ascontiguousarray(wide[:, step * width // steps : step * width // steps + width])
        for step in range(steps)
    ]


def _clip(path: Path, frames: list[np.ndarray]) -> Path:
    with av.open(str(path), "w") as container:
        container.metadata["creation_time"] = "2019-03-14T07:45:00.000000Z"
        stream = container.add_stream("mpeg4", rate=CLIP_FPS)
        stream.width, stream.height = CLIP_SIZE
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 800_000
        for pixels in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode(None))
    return path
