"""Videos read for ingest: what the file says of itself, a frame a second hashed, a thumbnail.

Frames are sampled by presentation time: for each target time t = 0, every_s, 2 × every_s, …
(counted from the first frame shown), the first frame whose time is t or later, that is the
frame on screen from t on when a frame starts exactly at t, else the next one to start. A
target after the last frame is not sampled; a frame that is first for several targets (a
video with gaps) is sampled once, under the first. Sampling at the same times in a copy
re-encoded at another frame rate or size picks frames at most one frame apart.

Each sampled frame is hashed through one fixed pipeline, PIPELINE, "siteline-pdq-video/1":
1. the frame decoded by libavcodec (PyAV), whatever the decoding order and speed-ups below;
2. scaled by libswscale with area averaging (SWS_AREA) to RGB (rgb24), at its display aspect
   (the sample aspect ratio applied), so that its short side is SCALED_SIDE (2 × MIN_SIDE,
   320) pixels, never enlarged;
3. turned as the file's display matrix says, in quarter turns (a phone's portrait video is
   stored on its side; a re-posted copy has the turn baked into its pixels);
4. near-black bars at its edges cut (borders.trim_borders: luminance ≤ 24 of 255, a side
   never cut below a quarter), so that a letterboxed copy hashes as its original;
5. scaled again, by Pillow's box filter (area averaging), so that its short side is
   pdq.MIN_SIDE (160) pixels, never enlarged. PDQ reduces every picture to 64 × 64 itself,
   but how it blurs on the way depends on the size it is given: the same picture handed over
   at 284 × 160 and at 213 × 120 hashed up to 28 bits apart on our test videos, so a copy
   with bars cut off must reach PDQ at the size of its original, within a pixel;
6. PDQ (pdq.hash_pixels). A hash below pdq.QUALITY_FLOOR (a black or flat frame) is kept
   but flagged not matchable.
The thumbnail is made from the pixels of step 3 (thumbnails.thumbnail_jpeg): the first
frame sampled at or after THUMBNAIL_AT of the duration whose hash is matchable (not blank).

Speed (see video_decode): only the frames needed to reach the sampled ones are decoded.
Frames before the keyframe that starts a sampled frame's group of pictures are not decoded
at all, and frames that no other frame refers to are skipped by the decoder unless they are
a sampled frame, so the frames sampled are exactly those a full decode would give.

Bad files are refused with InvalidInput naming the file: empty, not a video, no picture
stream, more than MAX_FRAME_PIXELS declared. A file whose tail is missing (a download cut
short) is read as far as it goes: its frames are kept and the metadata says
`"truncated": true` with the reason; damaged packets are named in `problems`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from siteline.errors import InvalidInput
from siteline.media import pdq
from siteline.media.borders import trim_borders
from siteline.media.thumbnails import thumbnail_jpeg
from siteline.media.video_decode import (
    PacketTable,
    decode_every_frame,
    decode_planned,
    first_video_stream,
    opened,
    read_packet_table,
    sampling_plan,
)
from siteline.media.video_metadata import describe_container, media_type

PIPELINE = "siteline-pdq-video/1"
EVERY_S = 1.0  # one frame a second: matched 90 % of a re-encoded copy's frames; keyframes
# alone, 20-50 %
THUMBNAIL_AT = 0.10  # of the duration: past a fade-in or a title, still early
SCALED_SIDE = 2 * pdq.MIN_SIDE  # pixels on the short side, before bars are cut


@dataclass(frozen=True)
class SampledFrame:
    """One sampled frame: the target time it answers, its own time, its hash."""

    target_s: float
    time_s: float
    hash: pdq.PerceptualHash

    @property
    def pipeline(self) -> str:
        return self.hash.pipeline

    @property
    def matchable(self) -> bool:
        return self.hash.matchable

    def record(self) -> dict:
        return {
            "target_s": self.target_s,
            "time_s": self.time_s,
            **self.hash.record(),
            "matchable": self.matchable,
        }


@dataclass
class VideoReading:
    """What ingest keeps of a video: its metadata (a JSON-ready dict), sampled frames,
    a JPEG thumbnail and its media type."""

    metadata: dict
    frames: list[SampledFrame]
    thumbnail: bytes | None
    media_type: str

    @property
    def truncated(self) -> bool:
        return bool(self.metadata.get("truncated"))

    @property
    def problems(self) -> list[str]:
        return list(self.metadata.get("problems", []))


def read_video(
    path: Path | str,
    name: str,
    *,
    every_s: float = EVERY_S,
    threads: int = 1,
    decode_all: bool = False,
) -> VideoReading:
    """Reads the video at `path`: metadata, a frame every `every_s` seconds hashed, a
    thumbnail. `name` names the file in errors. `threads`: decoder threads (1 when files are
    read side by side, one a core; 0 for as many as the machine has). `decode_all` decodes
    every frame instead of only those needed (the same frames, slower: for comparison)."""
    if not (every_s > 0 and math.isfinite(every_s)):
        raise InvalidInput("every_s", f"must be a positive number of seconds, not {every_s!r}")
    path = Path(path)
    every = Fraction(every_s).limit_denominator(1_000_000)
    with opened(path, name) as container:
        stream = first_video_stream(container, name)
        metadata = describe_container(container, stream)
        kind, aspect = media_type(container, stream), _aspect(stream)
        table = read_packet_table(container, stream, name)
    sampler = FrameSampler(every, table, aspect)
    problems = table.problems + _sample(path, name, table, sampler, every, threads, decode_all)
    metadata.update(table.facts())
    metadata.update(_display(metadata, sampler.rotation, aspect))
    if sampler.pixel_format:
        metadata["pixel_format"] = sampler.pixel_format
    _note_problems(metadata, list(dict.fromkeys(problems)))  # a fallback meets them twice
    frames = sorted(sampler.frames, key=lambda frame: frame.target_s)
    return VideoReading(metadata, frames, sampler.thumbnail, kind)


def _sample(path, name, table, sampler, every, threads: int, decode_all: bool) -> list[str]:
    """Decodes the frames to sample into the sampler, by plan where the file allows one;
    the problems met."""
    plan = None if decode_all else sampling_plan(table, every)
    problems = []
    if plan is not None:
        problems += decode_planned(path, name, table, plan, sampler.offer, threads)
        missing = {plan.wanted[stamp] for stamp in plan.wanted_pts - sampler.taken}
        if not missing:
            return problems
        # keyframes that are not a clean start (intra refresh), or a damaged group of
        # pictures: the targets still missing are looked for in a full decode, which takes
        # the first frame at or after each that decodes
        sampler.only(missing)
    return problems + decode_every_frame(path, name, table, sampler.offer, threads)


class FrameSampler:
    """Takes the frames at the target times, from either decoding order, and hashes them.

    Frames are timed by their presentation time (pts), except where the container keeps
    only decoding times (AVI): there the time each frame comes out of the decoder, its
    decoding time stamp (dts), which runs on frame by frame in the order frames are shown,
    counted from the first frame out, as FFmpeg's players do."""

    def __init__(self, every: Fraction, table: PacketTable, aspect: Fraction) -> None:
        self.every, self.time_base, self.aspect = every, table.time_base, aspect
        self.by_dts = table.decoding_times_only
        self.origin = None if self.by_dts else table.origin
        self.thumbnail_at_s = THUMBNAIL_AT * (table.span_s or 0.0)
        self.frames: list[SampledFrame] = []
        self.taken: set[int] = set()  # time stamps of the frames taken
        self.thumbnail: bytes | None = None
        self.thumbnail_final = False
        self.restricted: set[Fraction] | None = None
        self.last_reached = 0  # targets reached by the frames seen so far, in order
        self.rotation: int | None = None  # degrees counterclockwise, of the first frame taken
        self.pixel_format: str | None = None  # as decoded: the headers may not say

    def targets_reached(self, stamp: int) -> int:
        """How many targets lie at or before a time stamp: ⌊t / every⌋ + 1 for t ≥ 0."""
        seconds = Fraction(stamp - self.origin) * self.time_base
        return int(seconds // self.every) + 1 if seconds >= 0 else 0

    def only(self, targets: set[Fraction]) -> None:
        """From now on take frames for these targets only (those a first decode missed)."""
        self.restricted = set(targets)

    def offer(self, frames, wanted: dict[int, Fraction] | None = None) -> None:
        """Frames from the decoder, in presentation order: with `wanted` (pts to target),
        those listed are taken; without, the first at or after each target."""
        for frame in frames:
            stamp = frame.dts if self.by_dts else frame.pts
            if stamp is None:
                continue
            if self.origin is None:
                self.origin = stamp
            if wanted is not None:
                if stamp in wanted:
                    self.take(frame, stamp, wanted[stamp])
                continue
            reached = self.targets_reached(stamp)
            if reached > self.last_reached:
                target = self.last_reached * self.every
                self.last_reached = reached
                if self.restricted is None or target in self.restricted:
                    self.take(frame, stamp, target)

    def take(self, frame: av.VideoFrame, stamp: int, target: Fraction) -> None:
        if stamp in self.taken:
            return
        if self.rotation is None:
            self.rotation = round(frame.rotation or 0)
            self.pixel_format = frame.format.name
        turns = round((frame.rotation or 0) / 90) % 4
        turned = np.rot90(_scaled(frame, self.aspect, SCALED_SIDE), turns)
        hashed = pdq.hash_pixels(_shrunk(trim_borders(turned), pdq.MIN_SIDE))
        hashed = dataclasses.replace(hashed, pipeline=PIPELINE)
        time_s = round(float(Fraction(stamp - self.origin) * self.time_base), 6)
        self.frames.append(SampledFrame(round(float(target), 6), time_s, hashed))
        self.taken.add(stamp)
        if self.thumbnail is None or (not self.thumbnail_final and time_s >= self.thumbnail_at_s):
            # the first frame at or after THUMBNAIL_AT that is not blank; the first frame
            # until then, so that a short or cut video has one too
            self.thumbnail = thumbnail_jpeg(turned)
            self.thumbnail_final = time_s >= self.thumbnail_at_s and hashed.matchable


def _scaled(frame, aspect: Fraction, short_side: int) -> np.ndarray:
    """RGB pixels of the frame at its display aspect, scaled by area averaging (libswscale)
    so that its short side is `short_side`, never enlarged."""
    width, height = frame.width * aspect, Fraction(frame.height)
    scale = min(Fraction(1), short_side / min(width, height))
    size = {"width": max(1, round(width * scale)), "height": max(1, round(height * scale))}
    return frame.to_ndarray(**size, format="rgb24", interpolation="AREA")


def _shrunk(pixels: np.ndarray, short_side: int) -> np.ndarray:
    """The picture scaled by area averaging (Pillow's box filter) so that its short side is
    `short_side`, never enlarged."""
    height, width = pixels.shape[:2]
    scale = short_side / min(width, height)
    if scale >= 1:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = Image.fromarray(np.ascontiguousarray(pixels))
    return np.asarray(image.resize(size, Image.Resampling.BOX))


def _aspect(stream) -> Fraction:
    aspect = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    return Fraction(aspect) if aspect and 0 < aspect < 100 else Fraction(1)


def _display(metadata: dict, rotation: int | None, aspect: Fraction) -> dict:
    """The size the video is shown at (sample aspect ratio and display matrix applied), and
    the turn, in degrees counterclockwise, when there is one."""
    width, height = round(metadata["width"] * aspect), metadata["height"]
    if rotation and round(rotation / 90) % 2:
        width, height = height, width
    shown = {"display_size": [width, height]}
    if rotation:
        shown["rotation"] = rotation
    return shown


def _note_problems(metadata: dict, problems: list[str]) -> None:
    if problems:
        metadata["problems"] = problems[:20] + (
            [f"and {len(problems) - 20} more"] if len(problems) > 20 else []
        )
