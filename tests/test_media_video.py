"""Video reading: metadata and claims, a frame a second hashed, copies matched, bad files
refused. Every video is made here by tests/media_samples.py (drawn with numpy, encoded with
PyAV): nothing is downloaded."""

from __future__ import annotations

import io
from fractions import Fraction

import numpy as np
import pytest
from media_samples import frames, transcode, write_audio_only, write_video
from PIL import Image

from siteline.errors import InvalidInput
from siteline.media import pdq, video, video_decode
from siteline.media.borders import trim_borders
from siteline.media.video import read_video
from siteline.media.video_metadata import parse_iso6709

WIDTH, HEIGHT, SECONDS, FPS = 480, 270, 6, 25
MATCH = 31  # bits: PDQ's own threshold for copies
TAGS = {"creation_time": "2024-03-01T10:20:30.000000Z", "location": "+33.5138+036.2765/"}


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """The original (tags, sound, moov first so that cutting it leaves a readable head),
    copies of it, and an unrelated video."""
    folder = tmp_path_factory.mktemp("videos")
    original = write_video(
        folder / "original.mp4", frames(1, WIDTH, HEIGHT, SECONDS, FPS), fps=FPS,
        metadata=TAGS, audio_seconds=SECONDS, container_options={"movflags": "+faststart"},
    )  # fmt: skip
    return {
        "original": original,
        # another codec, size, frame rate and bit rate, as a platform re-encodes a post
        "copy": transcode(
            original,
            folder / "copy.mp4",
            width=320,
            height=180,
            codec="mpeg4",
            bit_rate=300_000,
            fps=30,
        ),
        # black bars above and below: a landscape video shown in a taller frame
        "letterboxed": transcode(original, folder / "letterboxed.mp4", bars=(60, 0)),
        "unrelated": write_video(
            folder / "unrelated.mp4", frames(2, WIDTH, HEIGHT, SECONDS, FPS), fps=FPS
        ),
    }


@pytest.fixture(scope="module")
def readings(videos):
    return {name: read_video(path, path.name) for name, path in videos.items()}


def distances(first, second) -> list[int]:
    """Hash distances of two readings' frames sampled at the same target times."""
    theirs = {frame.target_s: frame.hash.hex for frame in second.frames}
    return [
        pdq.hex_distance(frame.hash.hex, theirs[frame.target_s])
        for frame in first.frames
        if frame.target_s in theirs
    ]


def test_frames_sampled_once_a_second_through_the_video_pipeline(readings):
    reading = readings["original"]
    assert [frame.time_s for frame in reading.frames] == [0, 1, 2, 3, 4, 5]
    assert [frame.target_s for frame in reading.frames] == [0, 1, 2, 3, 4, 5]
    for frame in reading.frames:
        record = frame.record()
        assert record["pipeline"] == video.PIPELINE == "siteline-pdq-video/1"
        assert len(record["pdq"]) == 64 and record["matchable"]
        assert record["hashed_size"] == [284, 160]  # short side pdq.MIN_SIDE
    # a copy at 30 frames a second is sampled at the same times
    assert [frame.time_s for frame in readings["copy"].frames] == [0, 1, 2, 3, 4, 5]


def test_metadata_of_container_and_streams(readings):
    metadata = readings["original"].metadata
    assert readings["original"].media_type == "video/mp4"
    assert metadata["format"].startswith("mov,mp4")
    assert metadata["duration_s"] == pytest.approx(SECONDS, abs=0.1)
    assert metadata["video_s"] == pytest.approx(SECONDS, abs=0.05)
    assert (metadata["width"], metadata["height"], metadata["frame_rate"]) == (WIDTH, HEIGHT, FPS)
    assert metadata["display_size"] == [WIDTH, HEIGHT]
    assert metadata["video_codec"] == "h264" and metadata["audio_codecs"] == ["aac"]
    assert metadata["bit_rate"] > 10_000 and metadata["frame_count"] == SECONDS * FPS
    assert "truncated" not in metadata and "problems" not in metadata
    copy = readings["copy"].metadata
    assert (copy["video_codec"], copy["width"], copy["frame_rate"]) == ("mpeg4", 320, 30)
    assert "audio_codecs" not in copy


def test_claims_in_tags_are_recorded_as_claimed(readings, tmp_path):
    metadata = readings["original"].metadata
    assert metadata["claimed_time"]["text"] == "2024-03-01T10:20:30+00:00"
    assert metadata["claimed_time"]["source"] == "file tag creation_time"
    where = metadata["claimed_location"]
    assert (where["lat"], where["lon"], where["source"]) == (33.5138, 36.2765, "tag location")
    # an iPhone's own tags (QuickTime "mdta" keys) come first: local time with its zone
    apple = write_video(
        tmp_path / "iphone.mov", frames(3, 64, 48, 1, 10), fps=10,
        metadata={
            "com.apple.quicktime.creationdate": "2023-05-01T12:34:56+0300",
            "com.apple.quicktime.location.ISO6709": "+3330.50-11215.25+350.000/",
            "com.apple.quicktime.make": "Apple", "creation_time": "2023-05-01T09:35:10Z",
        },
        container_options={"movflags": "+use_metadata_tags"},
    )  # fmt: skip
    metadata = read_video(apple, apple.name).metadata
    assert metadata["claimed_time"]["text"] == "2023-05-01T12:34:56+03:00"
    assert metadata["claimed_time"]["offset"] == "+03:00"
    where = metadata["claimed_location"]
    assert (where["lat"], where["lon"]) == pytest.approx((33.508333, -112.254167), abs=1e-6)
    assert where["altitude_m"] == 350.0
    assert metadata["camera_make"] == "Apple"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("+33.5138+036.2765/", (33.5138, 36.2765, None)),
        ("-33.8688+151.2093+012.5/", (-33.8688, 151.2093, 12.5)),
        ("+4030.5-07400.25/", (40.508333, -74.004167, None)),  # degrees and minutes
        ("+403030-0740030CRSWGS_84/", (40.508333, -74.008333, None)),  # and seconds
        ("+95.0+010.0/", None),  # no such latitude
        ("+4075.0-07400.0/", None),  # 75 minutes
        ("somewhere", None),
    ],
)
def test_iso6709_places(text, expected):
    found = parse_iso6709(text)
    if expected is None:
        assert found is None
        return
    assert found[:2] == pytest.approx(expected[:2], abs=1e-6)
    assert found[2] == expected[2]


def test_reencoded_copy_matches_at_the_same_times(readings):
    found = distances(readings["original"], readings["copy"])
    assert len(found) == SECONDS
    assert sum(distance <= MATCH for distance in found) >= 0.8 * len(found), found


def test_unrelated_video_does_not_match(readings):
    pairs = [
        pdq.hex_distance(mine.hash.hex, theirs.hash.hex)
        for mine in readings["original"].frames
        for theirs in readings["unrelated"].frames
    ]
    assert sum(distance > MATCH for distance in pairs) >= 0.95 * len(pairs), sorted(pairs)[:5]


def test_letterboxed_copy_matches_once_its_bars_are_cut(readings):
    letterboxed = readings["letterboxed"]
    assert letterboxed.metadata["height"] == HEIGHT + 120
    assert {tuple(frame.record()["hashed_size"]) for frame in letterboxed.frames} == {(284, 160)}
    found = distances(readings["original"], letterboxed)
    assert sum(distance <= MATCH for distance in found) >= 0.8 * len(found), found


def test_thumbnail_is_a_small_jpeg(readings):
    thumbnail = Image.open(io.BytesIO(readings["original"].thumbnail))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == 320
    assert thumbnail.size == (320, 180)


def test_planned_decoding_gives_the_frames_a_full_decoding_gives(videos, tmp_path):
    """Skipping frames and whole groups of pictures must not change which frame is taken,
    nor a bit of it: half-second sampling, a long group of pictures, B-frames."""
    long_gop = write_video(
        tmp_path / "long_gop.mkv", frames(4, 320, 180, 5, 30), fps=30,
        options={"g": "250", "bf": "3", "preset": "fast"},
    )  # fmt: skip
    # keyframes that are only recovery points: decoding from them gives nothing at first,
    # so the plan falls back to a full decode
    refreshed = write_video(
        tmp_path / "intra_refresh.mp4", frames(4, 320, 180, 5, 30), fps=30,
        options={"x264-params": "intra-refresh=1:keyint=30"},
    )  # fmt: skip
    for path in (videos["original"], videos["copy"], long_gop, refreshed):
        planned = read_video(path, path.name, every_s=0.5)
        full = read_video(path, path.name, every_s=0.5, decode_all=True)
        threaded = read_video(path, path.name, every_s=0.5, threads=0)
        records = [frame.record() for frame in planned.frames]
        assert records == [frame.record() for frame in full.frames]
        assert records == [frame.record() for frame in threaded.frames]
        count = len(planned.frames)
        assert count >= 10 and [frame.target_s for frame in planned.frames] == [
            n / 2 for n in range(count)
        ]


def test_avi_frames_are_timed_in_the_order_they_are_shown(readings, tmp_path):
    """AVI keeps decoding times only: H.264 with B-frames in it must still be sampled at
    the frames shown at each second, as the MP4 original is."""
    path = write_video(tmp_path / "copy.avi", frames(1, WIDTH, HEIGHT, SECONDS, FPS), fps=FPS)
    reading = read_video(path, path.name)
    assert reading.media_type == "video/x-msvideo"
    assert [frame.time_s for frame in reading.frames] == list(range(SECONDS))
    assert max(distances(readings["original"], reading)) <= 8


def test_plan_decodes_only_from_the_keyframe_before_each_sample(videos):
    path = videos["original"]
    with video_decode.opened(path, path.name) as container:
        stream = video_decode.first_video_stream(container, path.name)
        table = video_decode.read_packet_table(container, stream, path.name)
    plan = video_decode.sampling_plan(table, Fraction(1))
    assert sorted(Fraction(target) for target in plan.wanted.values()) == list(range(SECONDS))
    keyframes = set(np.flatnonzero(table.keyframe))
    assert all(start in keyframes for start, _ in plan.runs)
    decoded = sum(end - start + 1 for start, end in plan.runs)
    assert decoded < len(table.pts)


def test_display_rotation_is_applied(tmp_path, readings):
    """A phone stores a portrait video on its side with a turn to show it; the copy that a
    platform re-encodes has the turn in its pixels. Both hash alike."""
    upright = list(frames(1, WIDTH, HEIGHT, 3, FPS))
    sideways = (np.ascontiguousarray(np.rot90(frame, -1)) for frame in upright)
    stored = write_video(tmp_path / "phone.mp4", sideways, fps=FPS, rotation=90)
    reading = read_video(stored, stored.name)
    assert reading.metadata["rotation"] == 90
    assert (reading.metadata["width"], reading.metadata["display_size"]) == (
        HEIGHT,
        [WIDTH, HEIGHT],
    )
    found = distances(readings["original"], reading)
    assert sum(distance <= MATCH for distance in found) >= 0.8 * len(found), found
    assert Image.open(io.BytesIO(reading.thumbnail)).size == (320, 180)


def test_wide_pixels_are_hashed_at_their_display_aspect(tmp_path, readings):
    """Anamorphic video stores a 16:9 picture in fewer, wider pixels; it is shown, and
    hashed, at 16:9."""
    squeezed = (
        np.asarray(Image.fromarray(frame).resize((360, HEIGHT), Image.Resampling.BOX))
        for frame in frames(1, WIDTH, HEIGHT, 3, FPS)
    )
    path = write_video(
        tmp_path / "anamorphic.mp4", squeezed, fps=FPS, sample_aspect_ratio=Fraction(4, 3)
    )
    reading = read_video(path, path.name)
    assert reading.metadata["sample_aspect_ratio"] == "4:3"
    assert reading.metadata["display_size"] == [WIDTH, HEIGHT]
    found = distances(readings["original"], reading)
    assert sum(distance <= MATCH for distance in found) >= 0.8 * len(found), found


def test_black_frames_are_kept_but_not_matchable(tmp_path):
    pictures = list(frames(5, 320, 180, 4, 10))
    for number in range(20):  # the first two seconds black
        pictures[number] = np.zeros_like(pictures[number])
    path = write_video(tmp_path / "dark_start.mp4", pictures, fps=10)
    reading = read_video(path, path.name)
    assert [frame.matchable for frame in reading.frames] == [False, False, True, True]
    assert reading.frames[0].hash.quality < pdq.QUALITY_FLOOR
    # the thumbnail is of the first frame that shows something
    thumbnail = np.asarray(Image.open(io.BytesIO(reading.thumbnail)))
    assert thumbnail.mean() > 40


def test_truncated_video_keeps_the_frames_before_the_cut(videos, tmp_path):
    data = videos["original"].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    reading = read_video(cut, cut.name)
    assert reading.truncated and "declares" in reading.metadata["truncated_reason"]
    assert 2 <= len(reading.frames) < SECONDS
    assert [frame.time_s for frame in reading.frames] == list(range(len(reading.frames)))


def test_damaged_frames_are_named_and_the_next_good_frame_taken(videos, tmp_path):
    data = bytearray(videos["original"].read_bytes())
    noise = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    for start in (len(data) // 3, len(data) // 2):
        data[start : start + len(noise)] = noise
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    reading = read_video(damaged, damaged.name)
    assert reading.problems and all("damaged frame" in problem for problem in reading.problems)
    assert [frame.target_s for frame in reading.frames] == list(range(SECONDS))
    assert all(0 <= frame.time_s - frame.target_s < 0.5 for frame in reading.frames)


def bad_files(folder, original):
    """(file, words the error must say) for each kind of bad input."""
    empty = folder / "empty.mp4"
    empty.write_bytes(b"")
    text = folder / "notes.mp4"
    text.write_text("Not a video at all, only words about one.\n" * 50)
    head_only = folder / "head_only.mp4"  # moov at the end, cut away: nothing to index
    head_only.write_bytes(original.read_bytes()[:2000])
    photo = folder / "photo.mp4"
    Image.fromarray(next(frames(6, 64, 48, 1, 1))).save(photo, "JPEG")
    return [
        (empty, "empty"),
        (text, "not a video"),
        (head_only, "not a video"),
        (write_audio_only(folder / "sound.m4a"), "no video stream"),
        (photo, "still image"),
    ]


def test_bad_inputs_are_refused_naming_the_file(tmp_path):
    original = write_video(tmp_path / "plain.mp4", frames(6, 64, 48, 2, 10), fps=10)
    for path, words in bad_files(tmp_path, original):
        with pytest.raises(InvalidInput) as refused:
            read_video(path, path.name)
        assert refused.value.field == path.name
        assert words in refused.value.problem, refused.value.problem


def test_decompression_bomb_is_refused_before_decoding(tmp_path, monkeypatch):
    """A file declaring more pixels a frame than MAX_FRAME_PIXELS is refused from its
    header. (A real 8K × 8K video is too slow to make here: the limit is lowered.)"""
    path = write_video(tmp_path / "big.mp4", frames(7, 320, 240, 1, 5), fps=5)
    monkeypatch.setattr(video_decode, "MAX_FRAME_PIXELS", 320 * 200)
    decoded = []
    monkeypatch.setattr(video_decode, "decode_planned", lambda *args: decoded.append(1))
    with pytest.raises(InvalidInput, match="decompression bomb") as refused:
        read_video(path, path.name)
    assert refused.value.field == "big.mp4" and not decoded


def test_every_s_must_be_positive(videos):
    with pytest.raises(InvalidInput, match="positive"):
        read_video(videos["original"], "original.mp4", every_s=0)


@pytest.mark.parametrize(
    "bars, cut",
    [
        ((30, 0), (30, 0)),  # letterbox: rows cut
        ((0, 40), (0, 40)),  # pillarbox: columns cut
        ((30, 40), (30, 40)),  # both
    ],
)
def test_trim_borders_cuts_black_bars(bars, cut):
    picture = next(frames(8, 200, 120, 1, 1))
    padded = np.pad(picture, ((bars[0], bars[0]), (bars[1], bars[1]), (0, 0)))
    noisy = padded.astype(np.int16)
    noisy[: bars[0]] += np.random.default_rng(1).integers(0, 12, noisy[: bars[0]].shape)
    trimmed = trim_borders(np.clip(noisy, 0, 255).astype(np.uint8))
    assert trimmed.shape[:2] == (120 + 2 * bars[0] - 2 * cut[0], 200 + 2 * bars[1] - 2 * cut[1])


def test_trim_borders_leaves_dark_scenes_whole():
    black = np.zeros((90, 160, 3), np.uint8)
    assert trim_borders(black).shape == black.shape
    night = black.copy()
    night[40:45, 70:75] = 200  # one lit window: cutting to it would leave almost nothing
    assert trim_borders(night).shape == black.shape
