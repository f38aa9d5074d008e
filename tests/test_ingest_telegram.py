"""Telegram Desktop exports: one chat or a whole account, media inside the export only."""

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
from siteline.ingest.telegram import LOCAL_DATE_NOTE, parse_telegram

FIXTURES = Path(__file__).parent / "fixtures" / "exports" / "telegram"
CHANNEL = FIXTURES / "channel"


def by_id(result):
    return {post.post_id: post for post in result.records}


def test_a_channel_export_gives_its_messages_as_posts():
    result = parse_telegram(CHANNEL)
    posts = by_id(result)
    assert list(posts) == [
        "1001234567/2",
        "1001234567/3",
        "1001234567/4",
        "1001234567/7",
        "1001234567/8",
    ]
    photo = posts["1001234567/2"]
    assert (photo.platform, photo.handle, photo.display_name) == (
        "telegram", "channel1001234567", "Eastgate Civil Defence",
    )  # fmt: skip
    # date_unixtime fixes the instant; 'date' (17:03:05) was the exporting computer's clock.
    assert photo.published.start == datetime(2016, 9, 25, 14, 3, 5, tzinfo=UTC)
    assert photo.published.precision is TimePrecision.SECOND
    (media,) = photo.media
    assert media.path == (CHANNEL / "photos" / "photo_1@25-09-2016_14-03-05.jpg").resolve()
    assert (media.kind, media.media_type, media.url) == ("photo", "image/jpeg", None)
    assert photo.where.endswith("result.json#2")
    assert result.skipped == {"service message": 2}


def test_rich_text_is_joined_and_its_links_tags_and_mentions_collected():
    post = by_id(parse_telegram(CHANNEL))["1001234567/3"]
    assert post.text == (
        "Video of the rescue. #Eastgate Donate blood at the Riverside centre,"
        " details https://eastgate-daily.example/blood via @eastgate_health"
    )
    assert post.links == [
        "https://riverside-blood.example/donate",
        "https://eastgate-daily.example/blood",
    ]
    assert (post.hashtags, post.mentions) == (["Eastgate"], ["eastgate_health"])
    (video,) = post.media
    assert (video.kind, video.media_type) == ("video", "video/mp4")
    assert video.path.name == "east_wing.mp4"


def test_replies_and_forwards_are_kept():
    post = by_id(parse_telegram(CHANNEL))["1001234567/4"]
    assert post.reply_to == "1001234567/2"
    assert post.native["forwarded_from"] == "Eastgate Health Directorate"
    assert post.repost_of is None  # the export does not carry the original's id


def test_an_old_export_date_is_read_as_utc_and_says_so():
    post = by_id(parse_telegram(CHANNEL))["1001234567/7"]
    assert post.published.start == datetime(2016, 9, 26, 9, 30, tzinfo=UTC)
    assert post.native["siteline_note"] == LOCAL_DATE_NOTE
    (left_out,) = post.media  # the export left the photo out: known, with no file
    assert (left_out.kind, left_out.path) == ("photo", None)


def test_bad_messages_are_named_and_the_rest_kept():
    result = parse_telegram(CHANNEL / "result.json")
    problems = {problem.line: problem.message for problem in result.problems}
    assert set(problems) == {5, 6, 8}
    assert problems[5].startswith(
        "chat 'Eastgate Civil Defence' message 5: date 'the day after' is not a time"
    )
    assert problems[6].endswith("message has no id")
    assert problems[8].endswith("document file 'files/report.pdf' is not in the export")
    missing = by_id(result)["1001234567/8"]  # kept: only its file is missing
    assert [(m.path, m.media_type) for m in missing.media] == [(None, "application/pdf")]


def test_a_whole_account_export_reads_every_chat_and_left_chat():
    result = parse_telegram(FIXTURES / "account")
    assert result.problems == []
    posts = by_id(result)
    assert list(posts) == ["1007654321/40", "1007654321/41", "5550003/12", "1009999999/100"]
    assert posts["1007654321/41"].reply_to == "1007654321/40"
    assert posts["1007654321/40"].display_name == "Dr. Amal Rivers"
    assert posts["1007654321/40"].media[0].path.is_relative_to((FIXTURES / "account").resolve())


# Hostile media paths: never followed out of the export.


def hostile_export(tmp_path: Path, names: list[str]) -> Path:
    secret = tmp_path / "secret.jpg"
    secret.write_text("outside the export")
    export = tmp_path / "export"
    (export / "photos").mkdir(parents=True)
    os.symlink(secret, export / "photos" / "link.jpg")
    messages = [
        {"id": number, "type": "message", "date_unixtime": "1474812185", "photo": name, "text": "x"}
        for number, name in enumerate(names, start=1)
    ]
    (export / "result.json").write_text(json.dumps({"name": "c", "id": 1, "messages": messages}))
    return export


@pytest.mark.parametrize(
    "name",
    ["../secret.jpg", str(Path("/") / "etc" / "hosts"), "photos/../../secret.jpg", "photos\\..\\..\\secret.jpg",
     "C:\\Users\\x\\secret.jpg", "photos/link.jpg", ".", "photos/x\x00.jpg"],
)  # fmt: skip
def test_a_media_path_leaving_the_export_is_refused(tmp_path, name):
    export = hostile_export(tmp_path, [name])
    result = parse_telegram(export)
    (post,) = result.records  # the message is kept, without the media
    assert post.media == []
    (problem,) = result.problems
    assert "leaves the export folder; refused, not read" in problem.message


def test_a_media_path_inside_the_export_is_accepted(tmp_path):
    export = hostile_export(tmp_path, ["photos/real.jpg", "./photos//real.jpg"])
    (export / "photos" / "real.jpg").write_text("inside")
    result = parse_telegram(export)
    assert result.problems == []
    assert {post.media[0].path for post in result.records} == {
        (export / "photos" / "real.jpg").resolve()
    }


# Whole files that cannot be read.


def test_a_folder_without_result_json_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="no result.json in this folder"):
        parse_telegram(tmp_path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b"<html><body>Exported Data</body></html>", "not valid JSON"),
        (b'{"statuses": []}', "not a Telegram Desktop export"),
        (b'{"name": "c", "id": 1, "messages": [{"id": 1, "type": "mess', "not valid JSON"),
    ],
)
def test_a_result_json_that_is_no_export_is_refused(tmp_path, content, problem):
    (tmp_path / "result.json").write_bytes(content)
    with pytest.raises(InvalidInput) as refused:
        parse_telegram(tmp_path)
    assert refused.value.problem.startswith(problem)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le"])
def test_result_json_in_another_encoding_is_read(tmp_path, encoding):
    shutil.copytree(CHANNEL, tmp_path / "channel")
    target = tmp_path / "channel" / "result.json"
    target.write_bytes(target.read_text(encoding="utf-8").replace("\n", "\r\n").encode(encoding))
    result = parse_telegram(tmp_path / "channel")
    assert list(by_id(result)) == list(by_id(parse_telegram(CHANNEL)))
    assert len(result.problems) == 3


def test_a_chat_without_an_id_is_named(tmp_path):
    (tmp_path / "result.json").write_text(
        json.dumps(
            {"chats": {"list": [{"name": "Nameless", "messages": []}, {"id": 2, "messages": "x"}]}}
        )
    )
    result = parse_telegram(tmp_path)
    assert [p.message for p in result.problems] == [
        "chat 'Nameless' has no id",
        "chat '(no name)' has no list of messages",
    ]


# Fuzzing: only a ParseResult or InvalidInput may come out.

MESSAGE_KEYS = [
    "name", "type", "id", "messages", "chats", "list", "left_chats", "message", "service",
    "date", "date_unixtime", "from", "from_id", "text", "text_entities", "href", "link",
    "text_link", "hashtag", "mention", "photo", "file", "media_type", "mime_type",
    "reply_to_message_id", "forwarded_from",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_parser(data):
    parse_bytes(parse_telegram, data, "result.json")


@settings(max_examples=300, deadline=None)
@given(json_values(MESSAGE_KEYS), FORMS)
def test_random_export_shaped_json_never_crashes_the_parser(value, form):
    result = parse_bytes(parse_telegram, written(value, form), "result.json")
    if result is not None:
        assert all(post.platform == "telegram" and "/" in post.post_id for post in result.records)


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values(MESSAGE_KEYS), max_size=5))
def test_random_messages_in_a_real_shaped_export_never_crash_the_parser(messages):
    document = {"name": "c", "type": "public_channel", "id": 7, "messages": messages}
    parse_bytes(parse_telegram, json.dumps(document).encode(), "result.json")
