"""Small videos of our own making, for the video tests and the video benchmark.

Nothing is downloaded: each video is drawn with numpy from a seed. It is a run of "shots",
one a second, each cut at half past the second (…, 0.5 s, 1.5 s, 2.5 s, …) so that the
frame at each whole second lies mid-shot, far from a cut, and frames a second apart show
different things. A shot is a slow camera pan across a textured landscape (smooth noise at
three scales, in colour, with blocks like buildings) with a bright block moving across it.
Unrelated seeds give unrelated landscapes of the same kind.

`write_video` encodes frames with PyAV; `transcode` decodes a video and writes a re-encoded
copy (another size, codec, bit rate, black bars), as a platform does to a re-posted video.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

SHOT_S = 1.0  # one shot a second …
CUT_OFFSET_S = 0.5  # … cut at half past
PAN_PER_S = 0.08  # of the frame's width, a slow pan within a shot
TONE_RATE = 44_100


def landscape(seed: int, width: int, height: int) -> np.ndarray:
    """An (height, width, 3) uint8 textured landscape: same seed, same pixels."""
    rng = np.random.default_rng([seed, 0x7E0])
    canvas = np.zeros((height, width, 3), dtype=np.float32)
    for cells, weight in ((3, 110.0), (12, 60.0), (48, 30.0)):
        for channel in range(3):
            canvas[..., channel] += smooth_noise(rng, width, height, cells) * weight
    canvas += rng.uniform(-40, 40, 3)
    for _ in range(int(rng.integers(12, 24))):  # blocks standing on the ground
        wide, tall = int(rng.uniform(0.04, 0.15) * width), int(rng.uniform(0.1, 0.5) * height)
        left, bottom = int(rng.uniform(0, width - wide)), int(rng.uniform(0.5, 1.0) * height)
        canvas[max(bottom - tall, 0) : bottom, left : left + wide] = rng.uniform(30, 240, 3)
    canvas += rng.normal(0, 9, (height, width, 1)).astype(np.float32)  # fine grain: gravel, leaves
    return np.clip(canvas, 0, 255).astype(np.uint8)


def smooth_noise(rng: np.random.Generator, width: int, height: int, cells: int) -> np.ndarray:
    """Values in 0..1 that vary smoothly over about `cells` cells across the width."""
    rows = max(2, round(cells * height / width) + 1)
    coarse = (rng.random((rows, cells + 1)) * 255).astype(np.uint8)
    grown = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(grown, dtype=np.float32) / 255.0


def frames(
    seed: int,
    width: int,
    height: int,
    seconds: float,
    fps: int,
    *,
    shot_s: float | None = SHOT_S,
    noise: float = 0.0,
) -> Iterator[np.ndarray]:
    """The (height, width, 3) uint8 frames of the video of `seed`: shots of `shot_s` seconds
    (None: one shot throughout), each a camera panning and slowly zooming across a landscape;
    with `noise`, a sensor's grain of that standard deviation changing from frame to frame."""
    rng = np.random.default_rng([seed, 0x5407])
    longest = shot_s or seconds + 1
    world_size = (int(width * (1.2 + PAN_PER_S * longest)), int(height * 1.3))
    worlds = [
        Image.fromarray(landscape(seed * 100 + number, *world_size))
        for number in range(3 if shot_s else 1)
    ]
    room = (world_size[0] - int(width * (1.1 + PAN_PER_S * longest)), world_size[1] - height)
    starts = [
        (int(rng.integers(len(worlds))), int(rng.integers(room[0])), int(rng.integers(room[1])))
        for _ in range(int(seconds / longest) + 2)
    ]
    grains = [rng.normal(0, noise, (height, width, 1)).astype(np.int16) for _ in range(7)]
    for number in range(round(seconds * fps)):
        time_s = number / fps
        shot, along = divmod(time_s + CUT_OFFSET_S, shot_s) if shot_s else (0, time_s)
        world, left, top = starts[int(shot)]
        zoom = 0.92 + 0.08 * np.cos(along * 0.9)  # of the frame's size: the camera zooms in
        left += along * PAN_PER_S * width
        box = (left, top, left + width * zoom, top + height * zoom)
        frame = np.array(worlds[world].resize((width, height), Image.Resampling.BILINEAR, box=box))
        _moving_block(frame, time_s)
        if noise:
            grain = grains[number % len(grains)]
            frame = np.clip(frame + grain, 0, 255).astype(np.uint8)
        yield frame


def _moving_block(frame: np.ndarray, time_s: float) -> None:
    height, width = frame.shape[:2]
    block = max(height // 6, 4)
    x = int((time_s * 0.37 % 1.0) * (width - block))
    y = int(height * 0.6 + height * 0.2 * np.sin(time_s * 3.0))
    frame[y : y + block, x : x + block] = (240, 230, 60)


def write_video(
    path: Path,
    pixels: Iterable[np.ndarray],
    *,
    fps: int = 25,
    audio_seconds: float | None = None,
    **settings,
) -> Path:
    """Encodes RGB frames into `path` (the container from its extension); with
    `audio_seconds`, a quiet tone in AAC beside them. `settings`: those of `Encoding`."""
    encoding = Encoding(**{key: value for key, value in settings.items() if value is not None})
    return write_videos({path: encoding}, pixels, fps=fps, audio_seconds=audio_seconds)[0]


@dataclass
class Encoding:
    """How one file is written: codec, its options (x264's preset, "g" for the keyframe
    interval, …), bit rate, tags, a display turn, options of the container, the shape of
    a pixel."""

    codec: str = "libx264"
    options: dict[str, str] = field(default_factory=dict)
    bit_rate: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    rotation: int | None = None
    container_options: dict[str, str] = field(default_factory=dict)
    sample_aspect_ratio: Fraction | None = None  # pixels wider (> 1) or narrower than tall


def write_videos(
    outputs: dict[Path, Encoding],
    pixels: Iterable[np.ndarray],
    *,
    fps: int = 25,
    audio_seconds: float | None = None,
) -> list[Path]:
    """Encodes the same frames into several files at once (each frame drawn once)."""
    pixels = iter(pixels)
    first = next(pixels)
    with ExitStack() as files:
        targets = []
        for path, encoding in outputs.items():
            container = files.enter_context(
                av.open(str(path), "w", options=encoding.container_options)
            )
            for key, value in encoding.metadata.items():
                container.metadata[key] = value
            stream = _video_stream(container, encoding, fps, first.shape)
            tone = container.add_stream("aac", rate=TONE_RATE) if audio_seconds else None
            targets.append((container, stream, tone))
        for frame in itertools.chain([first], pixels):
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
            for container, stream, _ in targets:
                container.mux(stream.encode(picture))
        for container, stream, tone in targets:
            container.mux(stream.encode(None))
            if tone is not None:
                _write_tone(container, tone, audio_seconds)
    return list(outputs)


def _video_stream(container, encoding: Encoding, fps: int, shape):
    options = dict(encoding.options)
    if encoding.codec == "libx264":
        options.setdefault("preset", "veryfast")  # the tests' and benchmark's time is short
    stream = container.add_stream(encoding.codec, rate=fps, options=options)
    stream.height, stream.width = shape[0], shape[1]
    stream.pix_fmt = "yuv420p"
    if encoding.bit_rate:
        stream.bit_rate = encoding.bit_rate
    if encoding.rotation:
        stream.set_display_rotation(encoding.rotation)
    if encoding.sample_aspect_ratio:
        stream.codec_context.sample_aspect_ratio = encoding.sample_aspect_ratio
    return stream


def _write_tone(container, stream, seconds: float) -> None:
    samples = np.sin(np.arange(int(seconds * TONE_RATE)) * 2 * np.pi * 440 / TONE_RATE) * 0.1
    for start in range(0, len(samples), 1024):
        block = samples[start : start + 1024].astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
        frame.sample_rate = TONE_RATE
        frame.pts = start
        frame.time_base = Fraction(1, TONE_RATE)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def write_audio_only(path: Path, seconds: float = 2.0) -> Path:
    """A file with a tone and no picture."""
    with av.open(str(path), "w") as container:
        _write_tone(container, container.add_stream("aac", rate=TONE_RATE), seconds)
    return path


def transcode(
    source: Path,
    target: Path,
    *,
    width: int | None = None,
    height: int | None = None,
    bars: tuple[int, int] = (0, 0),
    codec: str = "libx264",
    bit_rate: int | None = None,
    options: dict[str, str] | None = None,
    fps: int | None = None,
) -> Path:
    """A re-encoded copy of `source`: scaled to width × height, then black bars of
    bars = (top and bottom, left and right) pixels added, at another codec or bit rate."""
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        rate = fps or int(round(stream.average_rate))
        decoded = (
            (
                float(frame.time),
                frame.to_ndarray(
                    width=width or stream.width, height=height or stream.height, format="rgb24"
                ),
            )
            for frame in container.decode(stream)
        )
        padded = (_with_bars(frame, *bars) for frame in _at_rate(decoded, rate))
        write_video(target, padded, fps=rate, codec=codec, bit_rate=bit_rate, options=options)
    return target


def _at_rate(timed: Iterable[tuple[float, np.ndarray]], rate: int) -> Iterator[np.ndarray]:
    """The frames on screen at 0, 1/rate, 2/rate, …: the last one shown at or before."""
    number, shown = 0, None
    for time_s, frame in timed:
        while shown is not None and number / rate < time_s - 1e-9:
            yield shown
            number += 1
        shown = frame
    if shown is not None:
        yield shown


def _with_bars(frame: np.ndarray, rows: int, columns: int) -> np.ndarray:
    if not rows and not columns:
        return frame
    return np.pad(frame, ((rows, rows), (columns, columns), (0, 0)))
