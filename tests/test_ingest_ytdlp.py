"""yt-dlp info.json and -j output: fields, the downloaded file beside it, damage, fuzzing."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_fuzz import FORMS, json_values, parse_bytes, written

from siteline.domain.values import TimePrecision
from siteline.errors import InvalidInput
from siteline.ingest.ytdlp import DROPPED_FIELDS, parse_ytdlp

FIXTURES = Path(__file__).parent / "fixtures" / "exports" / "ytdlp"
YOUTUBE = FIXTURES / "Eastgate General after the strike [EgVid00001].info.json"
TIKTOK = FIXTURES / "riverside_clip.info.json"
PLAYLIST = FIXTURES / "Eastgate playlist [EgList0001].info.json"


def test_a_youtube_info_json_gives_the_video_and_its_downloaded_file():
    result = parse_ytdlp(YOUTUBE)
    assert result.problems == []
    (post,) = result.records
    assert (post.platform, post.post_id, post.handle) == ("youtube", "EgVid00001", "EastgateNurses")
    assert post.display_name == "Eastgate Nurses Collective"
    assert post.published.start == datetime(2016, 9, 25, 15, 0, tzinfo=UTC)
    assert post.published.precision is TimePrecision.SECOND
    assert post.text.startswith("Eastgate General after the strike\n\nFootage filmed by a nurse")
    assert post.url == "https://www.youtube.com/watch?v=EgVid00001"
    assert post.language == "en"
    # _filename names a path on the downloading machine; the file is found beside the json.
    (media,) = post.media
    assert media.path == YOUTUBE.parent / "Eastgate General after the strike [EgVid00001].mp4"
    assert (media.url, media.kind, media.media_type) == (None, "video", "video/mp4")


def test_native_keeps_the_info_without_the_long_lists():
    (post,) = parse_ytdlp(YOUTUBE).records
    original = json.loads(YOUTUBE.read_text())
    assert not set(DROPPED_FIELDS) & set(post.native)
    assert post.native == {
        key: value for key, value in original.items() if key not in DROPPED_FIELDS
    }
    assert post.native["tags"] == ["Eastgate", "hospital"]


def test_without_a_timestamp_the_upload_date_gives_the_day_and_media_is_a_url():
    (post,) = parse_ytdlp(TIKTOK).records
    assert (post.platform, post.handle) == ("tiktok", "riverside.local")
    assert post.published.start == datetime(2022, 9, 15, tzinfo=UTC)
    assert post.published.precision is TimePrecision.DAY
    (media,) = post.media
    assert (media.path, media.url) == (
        None,
        "https://v16.tiktokcdn.example/video/7140000000000000001.mp4",
    )


def test_a_recorded_filename_outside_the_folder_is_never_followed(tmp_path):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "riverside_clip.mp4").write_text("outside")
    (tmp_path / "downloads" / "a").mkdir(parents=True)
    info = tmp_path / "downloads" / "a" / "riverside_clip.info.json"  # _filename: ../../secret/…
    shutil.copy(TIKTOK, info)
    (post,) = parse_ytdlp(info).records
    assert post.media[0].path is None


def test_a_link_beside_the_info_json_pointing_out_is_refused(tmp_path):
    (tmp_path / "outside.mp4").write_text("outside")
    folder = tmp_path / "downloads"
    folder.mkdir()
    os.symlink(tmp_path / "outside.mp4", folder / "clip.mp4")
    (folder / "clip.info.json").write_text(
        json.dumps({"id": "1", "extractor_key": "Youtube", "ext": "mp4"})
    )
    (post,) = parse_ytdlp(folder / "clip.info.json").records
    assert post.media[0].path is None


def test_the_file_is_found_by_the_info_json_stem_and_ext(tmp_path):
    (tmp_path / "clip.webm").write_text("video")
    (tmp_path / "clip.info.json").write_text(
        json.dumps({"id": "1", "extractor": "youtube", "ext": "webm"})
    )
    (post,) = parse_ytdlp(tmp_path / "clip.info.json").records
    assert post.media[0].path == tmp_path / "clip.webm"
    assert post.media[0].media_type == "video/webm"


def test_a_playlist_gives_its_entries_and_names_the_bad_ones():
    result = parse_ytdlp(PLAYLIST)
    (post,) = result.records
    assert (post.post_id, post.platform) == ("EgVid00002", "youtube")
    assert post.where.endswith("#1/entries/1")
    assert "formats" not in post.native
    assert result.skipped == {"unavailable entry": 1}
    assert [p.message for p in result.problems] == [
        "entry 3: video has no id",
        "entry 4: upload_date '2016-09-27' is not a date (YYYYMMDD)",
    ]


def test_dump_json_lines_are_read_and_a_cut_line_named():
    result = parse_ytdlp(FIXTURES / "dump.jsonl")
    assert [(p.platform, p.post_id) for p in result.records] == [
        ("twitter", "1570000000000000001"),
        ("youtube", "EgVid00003"),
    ]
    tweet, audio = result.records
    assert tweet.published.start == datetime(2022, 9, 14, 23, 40, 12, tzinfo=UTC)  # a float
    assert (audio.published.precision, audio.handle, audio.media[0].kind) == (
        TimePrecision.DAY,
        "UCriverside00000000000001",
        "audio",
    )
    assert [(p.line, p.message.split(" (")[0]) for p in result.problems] == [(3, "not valid JSON")]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfe", "the file is empty"),
        (b"#EXTM3U\n", "not JSON"),
        (b'{"statuses": [1]}', "not a yt-dlp info.json"),
        (b'{"id": "x", "title": "no extractor", "entries": ', "not valid JSON"),
    ],
)
def test_a_file_that_is_no_info_json_is_refused(tmp_path, content, problem):
    path = tmp_path / "x.info.json"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as refused:
        parse_ytdlp(path)
    assert refused.value.problem.startswith(problem)


@pytest.mark.parametrize(
    ("timestamp", "problem"),
    [
        ("soon", "timestamp 'soon' is not a time"),
        (10**20, "timestamp 100000000000000000000 is out of range"),
    ],
)
def test_an_unreadable_timestamp_is_a_problem(tmp_path, timestamp, problem):
    path = tmp_path / "x.info.json"
    path.write_text(json.dumps({"id": "1", "extractor": "youtube", "timestamp": timestamp}))
    result = parse_ytdlp(path)
    assert result.records == []
    assert [p.message for p in result.problems] == [problem]


def test_playlists_nested_too_deep_are_refused_not_recursed(tmp_path):
    info: dict = {"id": "leaf", "extractor": "youtube"}
    for _ in range(50):
        info = {"_type": "playlist", "extractor": "youtube:tab", "entries": [info]}
    path = tmp_path / "deep.info.json"
    path.write_text(json.dumps(info))
    result = parse_ytdlp(path)
    assert result.records == []
    assert result.problems[0].message.endswith("playlists nested more than 4 deep; not read")


# Fuzzing: only a ParseResult or InvalidInput may come out.

INFO_KEYS = [
    "id", "title", "description", "uploader", "uploader_id", "channel", "channel_id",
    "timestamp", "upload_date", "webpage_url", "original_url", "url", "ext", "vcodec",
    "extractor", "extractor_key", "_type", "entries", "_filename", "filename",
    "requested_downloads", "filepath", "formats", "language",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_parser(data):
    parse_bytes(parse_ytdlp, data, "x.info.json")


@settings(max_examples=300, deadline=None)
@given(json_values(INFO_KEYS), FORMS)
def test_random_info_shaped_json_never_crashes_the_parser(value, form):
    result = parse_bytes(parse_ytdlp, written(value, form), "x.info.json")
    if result is not None:
        assert all(post.post_id and len(post.media) == 1 for post in result.records)
