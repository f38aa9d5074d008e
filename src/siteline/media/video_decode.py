"""Decoding only the frames a sample needs, and refusing files that are not videos.

Decoding every frame of a 1080p H.264 video costs far more than hashing a frame a second,
so the file is read twice. The first pass reads the packets without decoding them (cheap:
the bytes are only split up) and notes each video packet's presentation time and whether it
is a keyframe. That says exactly which packet holds each sampled frame (the first at or
after each target time) and the keyframe it must be decoded from. The second pass decodes,
for each sampled frame, the run of packets from that keyframe to it, and gives the decoder
nothing between runs: a group of pictures holding no sampled frame costs nothing, nor does
the rest of a group after its last sampled frame. Within a run the decoder skips the frames
that no other frame refers to (libavcodec's skip_frame = NONREF), except the sampled frame
itself, which is always decoded: a frame nothing refers to changes no other frame, so the
frames sampled are those a full decode gives, bit for bit (the tests compare both ways).

When the first pass cannot plan (packets without times, two frames at one time, an AVI
file, whose times are those of decoding), or a sampled frame does not come out of its run
(keyframes that are only recovery points, as with intra refresh, or a damaged group of
pictures), the frames still missing are looked for in a full decode, frame by frame, picked
by time.

Measured by benchmarks/bench_media_video.py (30 s of 1080p at 30 frames a second, H.264,
one core of a shared two-core AMD EPYC, CPU time): 16.8x real time for a copy as platforms
serve it (4 Mbit/s, a keyframe every 2 s), 26.8x for a phone's original (16 Mbit/s, a
keyframe every second: only keyframes are decoded), 11.1x with x264's default long groups
(4 Mbit/s, keyframes up to 8.3 s apart); decoding every frame, 3.6-6.7x.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.stream import Disposition

from siteline.errors import InvalidInput

MAX_FRAME_PIXELS = 8192 * 8192  # 8K × 8K: more than any camera records; a bomb declares more
MAX_PACKETS = 10_000_000  # video frames read: 92 hours at 30 frames a second
IMAGE_FORMATS = ("image2", "_pipe")  # FFmpeg reads still images as one-frame "videos"
# Opening a file, FFmpeg decodes its first frames to learn what the headers do not say (the
# pixel format, the decoder's delay): 35-70 ms for a 1080p H.264 file, the cost of a second
# or more of sampled video. The size, codec, rate and duration come from the headers; the
# pixel format is taken from the first frame decoded instead.
PROBE_WITHOUT_DECODING = {"skip_frame": "all"}


@dataclass
class PacketTable:
    """The video packets of a file in decoding order, as the first pass found them."""

    time_base: Fraction
    pts: np.ndarray  # int64 presentation times, in time_base
    keyframe: np.ndarray  # bool
    shown: np.ndarray  # bool: False for packets decoded only to start an edit list
    timed: bool  # every packet has a presentation time
    span_s: float | None  # from the first frame shown to the end of the last
    truncated: str | None = None  # why the file seems cut short, if it does
    problems: list[str] = field(default_factory=list)
    # AVI has no presentation times: its demuxer numbers packets in decoding order, and a
    # codec that reorders frames (H.264 with B-frames) gives them back in another
    decoding_times_only: bool = False

    @property
    def origin(self) -> int | None:
        """The presentation time of the first frame shown: time 0 of the samples."""
        shown = self.pts[self.shown]
        return int(shown.min()) if self.timed and len(shown) else None

    def facts(self) -> dict:
        facts = {"frame_count": len(self.pts), "keyframe_count": int(self.keyframe.sum())}
        if self.span_s is not None:
            facts["video_s"] = round(self.span_s, 3)
        if self.truncated:
            facts.update(truncated=True, truncated_reason=self.truncated)
        return facts


@dataclass
class SamplingPlan:
    """Which packets hold sampled frames, and the runs of packets to decode for them."""

    wanted: dict[int, Fraction]  # presentation time of a sampled frame: its target time
    wanted_index: set[int]  # their places in decoding order
    runs: list[tuple[int, int]]  # first and last packet (decoding order) of each run

    @property
    def wanted_pts(self) -> set[int]:
        return set(self.wanted)


@contextmanager
def opened(path: Path, name: str) -> Iterator[av.container.InputContainer]:
    """The file opened by FFmpeg; InvalidInput naming it when it is empty or not media."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InvalidInput(name, f"cannot be read ({error.strerror or error})") from None
    if size == 0:
        raise InvalidInput(name, "the file is empty")
    container = _open(path, name, PROBE_WITHOUT_DECODING)
    if any(stream.codec_context.width <= 0 for stream in container.streams.video):
        container.close()  # the headers did not give the picture size: probe by decoding
        container = _open(path, name, {})
    try:
        yield container
    finally:
        container.close()


def _open(path: Path, name: str, options: dict):
    try:
        return av.open(str(path), metadata_errors="replace", options=options)
    except (av.FFmpegError, OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise InvalidInput(
            name,
            f"not a video Siteline can read: unknown format, or damaged or cut short ({reason})",
        ) from None


def first_video_stream(container, name: str):
    """The first picture stream (cover art aside), checked against MAX_FRAME_PIXELS."""
    if any(part in container.format.name for part in IMAGE_FORMATS):
        raise InvalidInput(name, f"a still image ({container.format.name}), not a video")
    streams = [
        stream
        for stream in container.streams.video
        if not stream.disposition & Disposition.attached_pic
    ]
    if not streams:
        held = "only sound" if container.streams.audio else "no picture"
        raise InvalidInput(name, f"has no video stream ({held})")
    stream = streams[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if width <= 0 or height <= 0:
        raise InvalidInput(name, "its video stream declares no picture size (damaged?)")
    _refuse_size(width, height, name)
    return stream


def read_packet_table(container, stream, name: str) -> PacketTable:
    """The first pass: every packet read, none decoded."""
    found, problems = _Packets(stream.index), []
    try:
        for packet in container.demux():
            if packet.size:  # not the empty packet that ends each stream
                found.add(packet, name)
    except av.FFmpegError as error:
        problems.append(f"reading stopped after {len(found.pts)} frames: {error}")
    if not found.pts:
        raise InvalidInput(name, "its video stream holds no frame (empty or damaged)")
    table = PacketTable(
        Fraction(stream.time_base), np.array(found.pts, dtype=np.int64),
        np.array(found.keyframe, bool), np.array(found.shown, bool), found.timed, None,
        problems=problems,
    )  # fmt: skip
    table.decoding_times_only = "avi" in container.format.name.split(",")
    if table.origin is not None and found.video_end is not None:
        table.span_s = found.video_end - float(table.origin * table.time_base)
    shortfall = _shortfall(container, stream, found.video_end, found.data_end)
    table.truncated = shortfall or (problems[0] if problems else None)
    return table


@dataclass
class _Packets:
    """What the first pass keeps of each video packet, and where the data ends."""

    video_index: int
    pts: list[int] = field(default_factory=list)
    keyframe: list[bool] = field(default_factory=list)
    shown: list[bool] = field(default_factory=list)
    timed: bool = True
    video_end: float | None = None  # seconds: the end of the last video frame
    data_end: float | None = None  # and of the last packet of any stream

    def add(self, packet, name: str) -> None:
        end = _end_s(packet)
        self.data_end = _later(self.data_end, end)
        if packet.stream_index != self.video_index:
            return
        self.timed &= packet.pts is not None
        self.pts.append(packet.pts if packet.pts is not None else 0)
        self.keyframe.append(packet.is_keyframe)
        self.shown.append(not packet.is_discard)
        self.video_end = _later(self.video_end, end)
        if len(self.pts) > MAX_PACKETS:
            raise InvalidInput(name, f"more than {MAX_PACKETS:,} frames; refused")


def _later(first: float | None, second: float | None) -> float | None:
    return first if second is None else second if first is None else max(first, second)


def sampling_plan(table: PacketTable, every: Fraction) -> SamplingPlan | None:
    """The packets to decode for a frame every `every` seconds; None when the packets'
    times do not allow a plan."""
    origin = table.origin
    shown_index = np.flatnonzero(table.shown)
    if origin is None or not len(shown_index) or table.decoding_times_only:
        return None
    order = shown_index[np.argsort(table.pts[shown_index], kind="stable")]
    times = table.pts[order]
    if np.any(times[1:] == times[:-1]):
        return None  # two frames at one time: which one a decoder shows is its own choice
    reached = _targets_reached(times - origin, table.time_base, every)
    first = np.flatnonzero(np.diff(reached, prepend=0) > 0)  # the first frame of each target
    wanted = {
        int(times[place]): (int(reached[place - 1]) if place else 0) * every for place in first
    }
    wanted_index = {int(order[place]) for place in first}
    return SamplingPlan(wanted, wanted_index, _runs(table, sorted(wanted_index)))


def _targets_reached(offsets: np.ndarray, time_base: Fraction, every: Fraction) -> np.ndarray:
    """⌊offset × time_base / every⌋ + 1, in exact integer arithmetic: how many target times
    lie at or before each frame."""
    numerator = time_base.numerator * every.denominator
    denominator = time_base.denominator * every.numerator
    if int(offsets.max(initial=0)) * numerator < 2**62:
        return offsets * numerator // denominator + 1
    return np.array([int(offset) * numerator // denominator + 1 for offset in offsets])


def _runs(table: PacketTable, wanted_index: list[int]) -> list[tuple[int, int]]:
    """For each wanted packet, the run from the keyframe it is decoded from (the last before
    it in decoding order that is not shown after it); overlapping runs joined."""
    keys = np.flatnonzero(table.keyframe)
    runs: list[tuple[int, int]] = []
    for index in wanted_index:
        place = int(np.searchsorted(keys, index, side="right")) - 1
        while place >= 0 and table.pts[keys[place]] > table.pts[index]:
            place -= 1
        start = int(keys[place]) if place >= 0 else 0
        if runs and start <= runs[-1][1] + 1:
            runs[-1] = (min(runs[-1][0], start), max(runs[-1][1], index))
        else:
            runs.append((start, index))
    return runs


def decode_planned(
    path: Path, name: str, table: PacketTable, plan: SamplingPlan, offer: Callable, threads: int
) -> list[str]:
    """The second pass: decodes the plan's runs and offers their frames; the problems met."""
    problems: list[str] = []
    runs = iter(plan.runs)
    start, end = next(runs)
    with opened(path, name) as container:
        stream = first_video_stream(container, name)
        context = _decoder(stream, threads)
        for index, packet in enumerate(_video_packets(container, stream)):
            if index < start:
                continue  # between runs: not even given to the decoder
            if packet.pts != table.pts[index]:
                problems.append("the file read differently the second time")
                break
            context.skip_frame = "DEFAULT" if index in plan.wanted_index else "NONREF"
            offer(_decoded(context, packet, name, problems), plan.wanted)
            if index == end:
                offer(_decoded(context, None, name, problems), plan.wanted)  # the frames held
                context.flush_buffers()
                start, end = next(runs, (None, None))
                if start is None:
                    break
    return problems


def decode_every_frame(
    path: Path, name: str, table: PacketTable, offer: Callable, threads: int
) -> list[str]:
    """Decodes every frame, in order, and offers them all: the plain way, for comparison
    and for files the plan cannot serve. The problems met."""
    problems: list[str] = []
    with opened(path, name) as container:
        stream = first_video_stream(container, name)
        context = _decoder(stream, threads)
        context.skip_frame = "DEFAULT"
        for packet in _video_packets(container, stream):
            offer(_decoded(context, packet, name, problems))
        offer(_decoded(context, None, name, problems))
    return problems


def _decoder(stream, threads: int):
    context = stream.codec_context
    context.thread_type = "NONE" if threads == 1 else "AUTO"
    context.thread_count = max(threads, 0)
    return context


def _video_packets(container, stream) -> Iterator[av.Packet]:
    """The video packets with data, in decoding order, as read_packet_table counts them;
    a reading error ends them (the first pass has noted it)."""
    try:
        for packet in container.demux(stream):
            if packet.size:
                yield packet
    except av.FFmpegError:
        return


def _decoded(context, packet, name: str, problems: list[str]) -> list:
    """The frames the decoder gives back for a packet (None: the frames it still holds);
    a damaged packet is noted and skipped, as players do."""
    try:
        frames = context.decode(packet)
    except av.FFmpegError as error:
        where = f"at {float(packet.pts * packet.time_base):.2f} s " if packet is not None else ""
        problems.append(f"a damaged frame {where}could not be decoded ({error})")
        return []
    for frame in frames:
        _refuse_size(frame.width, frame.height, name)
    return frames


def _refuse_size(width: int, height: int, name: str) -> None:
    if width * height > MAX_FRAME_PIXELS:
        raise InvalidInput(
            name,
            f"declares {width} × {height} pixels a frame; more than {MAX_FRAME_PIXELS:,} is "
            "refused (a decompression bomb, or not a video from a camera)",
        )


def _end_s(packet) -> float | None:
    if packet.pts is None or packet.time_base is None:
        return None
    return float((packet.pts + (packet.duration or 0)) * packet.time_base)


def _shortfall(container, stream, video_end: float | None, data_end: float | None) -> str | None:
    """Why the file seems cut short: its data ends well before the end it declares."""
    declared = []
    if stream.duration and stream.start_time is not None:
        declared.append(
            ("pictures", video_end, (stream.start_time + stream.duration) * stream.time_base)
        )
    if container.duration and container.start_time is not None:
        declared.append(("data", data_end, (container.start_time + container.duration) / 1e6))
    for what, end, declared_end in declared:
        length = float(declared_end)
        if end is not None and length - end > max(1.0, 0.05 * length):
            return f"its {what} end at {end:.2f} s of the {length:.2f} s the file declares"
    return None
