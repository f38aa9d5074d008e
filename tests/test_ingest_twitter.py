"""Tweets from API v1.1 and v2 JSON and twarc's JSON lines: fields, forms, damage, fuzzing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_fuzz import FORMS, json_values, parse_bytes, written

from siteline.domain.values import TimePrecision
from siteline.errors import InvalidInput
from siteline.ingest.model import Post
from siteline.ingest.twitter import detect_twitter_form, parse_twitter

FIXTURES = Path(__file__).parent / "fixtures" / "exports" / "twitter"


def by_id(result) -> dict[str, Post]:
    return {post.post_id: post for post in result.records}


def test_a_v1_tweet_gives_every_field():
    result = parse_twitter(FIXTURES / "v1_tweet.json")
    assert result.problems == []
    (post,) = result.records
    assert (post.platform, post.post_id, post.handle) == (
        "twitter",
        "780000000000000101",
        "eastgate_medic",
    )
    assert post.display_name == "Eastgate Medic"
    assert post.published.start == datetime(2016, 9, 25, 14, 3, 5, tzinfo=UTC)
    assert post.published.precision is TimePrecision.SECOND
    assert post.text.startswith("Shelling near Eastgate General Hospital")
    assert post.url == "https://twitter.com/eastgate_medic/status/780000000000000101"
    assert post.links[:2] == [
        "https://eastgate-daily.example/2016/09/25/shelling",
        "https://t.co/AbCdEf0001",
    ]
    assert "https://t.co/PhOtO00001" in post.links
    assert (post.hashtags, post.mentions) == (["Eastgate", "hospitals"], ["eastgate_health"])
    # extended_entities lists every photo; entities only the first.
    assert [m.url for m in post.media] == [
        "https://pbs.twimg.example/media/EastWing1.jpg",
        "https://pbs.twimg.example/media/EastWing2.jpg",
    ]
    assert {(m.kind, m.media_type, m.path) for m in post.media} == {("photo", "image/jpeg", None)}
    assert (post.reply_to, post.repost_of, post.quote_of, post.language) == (
        "780000000000000100", None, None, "en",
    )  # fmt: skip
    assert post.native == json.loads((FIXTURES / "v1_tweet.json").read_text())
    assert post.where.endswith("v1_tweet.json#1")


def test_a_search_response_gives_retweets_and_quotes_as_their_own_posts():
    posts = by_id(parse_twitter(FIXTURES / "v1_search.json"))
    assert list(posts) == [
        "780000000000000201", "780000000000000200", "780000000000000150", "780000000000000300",
    ]  # fmt: skip
    retweet, original, quoted = (
        posts[i] for i in ("780000000000000201", "780000000000000200", "780000000000000150")
    )
    assert retweet.repost_of == original.post_id
    assert original.quote_of == quoted.post_id
    # The truncated original is read whole from extended_tweet, with that text's entities.
    assert original.text.endswith(
        "including the newborn ward. #EastgateGeneral https://t.co/QuOtE00001"
    )
    assert original.hashtags == ["EastgateGeneral"]
    assert "https://t.co/TrUnC00001" not in original.links
    assert quoted.published.start == datetime(2016, 9, 25, 11, 45, tzinfo=UTC)  # +0300 moved to UTC
    assert quoted.handle == "eastgate_health"


def test_a_video_is_its_best_mp4_and_the_language_is_kept():
    post = by_id(parse_twitter(FIXTURES / "v1_search.json"))["780000000000000300"]
    (video,) = post.media
    assert (video.url, video.kind, video.media_type) == (
        "https://video.twimg.example/ext_tw_video/Wing/1280x720.mp4", "video", "video/mp4",
    )  # fmt: skip
    assert post.language == "ar"
    assert post.text == "مستشفى إيستغيت العام: الجناح الشرقي مدمر"


def test_an_array_keeps_good_tweets_and_names_the_one_without_an_id():
    result = parse_twitter(FIXTURES / "v1_array.json")
    assert [post.post_id for post in result.records] == ["780000000000000400", "780000000000000401"]
    assert [post.where.rsplit("#", 1)[1] for post in result.records] == ["1", "3"]
    assert [(p.line, p.message) for p in result.problems] == [(2, "tweet has no id")]
    assert result.records[1].language is None  # 'und' says nothing


def test_a_v2_response_joins_users_media_and_references():
    result = parse_twitter(FIXTURES / "v2_response.json")
    assert result.problems == []
    posts = by_id(result)
    first = posts["1570000000000000001"]
    assert (first.handle, first.display_name) == ("eastgate_medic", "Eastgate Medic")
    assert first.published.start == datetime(2022, 9, 14, 23, 40, 12, tzinfo=UTC)
    assert first.published.precision is TimePrecision.SECOND
    assert [(m.kind, m.url) for m in first.media] == [
        ("video", "https://video.twimg.example/CarPark/1280x720.mp4"),
        ("photo", "https://pbs.twimg.example/media/CarPark.png"),
    ]
    assert (first.hashtags, first.mentions) == (["Eastgate"], ["eastgate_health"])
    assert first.links == [
        "https://twitter.com/eastgate_medic/status/1570000000000000001/video/1",
        "https://t.co/V2LiNk0001",
    ]
    assert first.quote_of == "1569999999999999999"
    assert first.native["public_metrics"]["like_count"] == 95
    assert posts["1570000000000000002"].reply_to == "1570000000000000001"
    assert posts["1570000000000000002"].handle == "harbour_reports"
    assert posts["1569999999999999999"].handle == "eastgate_health"  # the included tweet


def test_twarc1_lines_keep_good_tweets_and_name_each_bad_line():
    result = parse_twitter(FIXTURES / "twarc1.jsonl")
    assert [post.post_id for post in result.records] == ["780000000000000500", "780000000000000503"]
    assert result.records[1].where.endswith("twarc1.jsonl:7")
    lines = {problem.line: problem.message for problem in result.problems}
    assert set(lines) == {2, 6, 8}
    assert lines[2] == "not valid JSON (Expecting ',' delimiter at column 134)"
    assert "'Yesterday afternoon' is not a Twitter time" in lines[6]
    assert lines[8].startswith("not valid JSON (Unterminated string")  # the line cut short
    assert result.skipped == {"stream notice": 1, "duplicate tweet": 1}


def test_twarc2_pages_give_every_tweet_and_name_the_bad_ones():
    result = parse_twitter(FIXTURES / "twarc2.jsonl")
    posts = by_id(result)
    assert set(posts) == {
        "1570000000000000101", "1570000000000000102", "1570000000000000100", "1570000000000000104",
    }  # fmt: skip
    assert posts["1570000000000000102"].repost_of == "1570000000000000100"
    assert posts["1570000000000000104"].where.endswith("twarc2.jsonl:2")
    assert [(p.line, p.message.split(" '")[0]) for p in result.problems] == [
        (2, "tweet 1 has no id"),
        (2, "tweet 2's created_at"),
    ]
    assert result.skipped == {"page without tweets": 1}


def test_flattened_twarc2_tweets_carry_their_author_media_and_quoted_tweet():
    posts = by_id(parse_twitter(FIXTURES / "twarc2_flat.jsonl"))
    tweet, quoted = posts["1570000000000000201"], posts["1570000000000000200"]
    assert (tweet.handle, tweet.quote_of) == ("eastgate_medic", quoted.post_id)
    assert [m.url for m in tweet.media] == ["https://pbs.twimg.example/media/Morning.jpg"]
    assert quoted.handle == "eastgate_health"


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("v1_tweet.json", "v1.1"),
        ("v1_search.json", "v1.1"),
        ("v1_array.json", "v1.1"),
        ("v2_response.json", "v2"),
        ("twarc1.jsonl", "twarc1"),
        ("twarc2.jsonl", "twarc2"),
        ("twarc2_flat.jsonl", "twarc2"),
    ],
)
def test_the_form_is_found_from_the_contents(name, form):
    assert detect_twitter_form(FIXTURES / name) == form


def twarc_line(tweet_id: str, text: str) -> str:
    return json.dumps(
        {"id_str": tweet_id, "text": text, "created_at": "Tue Sep 27 10:00:00 +0000 2016",
         "user": {"screen_name": "eastgate_medic"}},
        ensure_ascii=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b"  \r\n\n", "the file is empty"),
        (b"created_at,text\n2016,hello\n", "not JSON: it begins with 'created_at,text'"),
        (b'{"data": [1, 2', "not valid JSON (Expecting ',' delimiter at line 1 column 15)"),
        (b'{"name": "Eastgate", "messages": []}', "not a Twitter export"),
    ],
)
def test_a_file_that_is_no_twitter_json_is_refused(tmp_path, content, problem):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as refused:
        parse_twitter(path)
    assert refused.value.field == str(path)
    assert refused.value.problem.startswith(problem)


def test_a_folder_or_a_missing_file_is_refused(tmp_path):
    for path in (tmp_path, tmp_path / "missing.jsonl"):
        with pytest.raises(InvalidInput, match="not a file"):
            parse_twitter(path)


def test_hostile_values_are_neither_kept_as_media_nor_spliced_into_addresses(tmp_path):
    tweet = {
        "id_str": "42", "text": "x", "user": {"screen_name": "evil/../../x"},
        "entities": {"media": [{"type": "photo", "media_url_https": "file:///etc/passwd"}]},
    }  # fmt: skip
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tweet))
    (post,) = parse_twitter(path).records
    assert post.media == []
    assert post.url == "https://twitter.com/i/web/status/42"


# Fuzzing: only a ParseResult or InvalidInput may come out.

TWEET_KEYS = [
    "id", "id_str", "text", "full_text", "created_at", "user", "screen_name", "name", "entities",
    "extended_entities", "extended_tweet", "urls", "hashtags", "user_mentions", "media", "type",
    "media_url_https", "video_info", "variants", "bitrate", "content_type", "url", "expanded_url",
    "retweeted_status", "quoted_status", "quoted_status_id_str", "in_reply_to_status_id_str",
    "lang", "statuses", "data", "includes", "users", "tweets", "meta", "author_id", "author",
    "username", "attachments", "media_keys", "media_key", "referenced_tweets", "note_tweet",
    "mentions", "tag", "preview_image_url", "bit_rate", "delete", "errors", "__twarc",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_parser(data):
    parse_bytes(parse_twitter, data)


@settings(max_examples=300, deadline=None)
@given(json_values(TWEET_KEYS), FORMS)
def test_random_tweet_shaped_json_never_crashes_the_parser(value, form):
    result = parse_bytes(parse_twitter, written(value, form))
    if result is not None:
        assert all(post.platform == "twitter" and post.post_id for post in result.records)


def test_an_embedded_tweet_without_an_id_is_named_and_its_retweet_kept(tmp_path):
    tweet = {
        "id_str": "7",
        "text": "RT",
        "user": {"screen_name": "a"},
        "retweeted_status": {"text": "x", "user": {}},
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps([tweet]))
    result = parse_twitter(path)
    assert [post.post_id for post in result.records] == ["7"]
    assert [p.message for p in result.problems] == ["the retweeted tweet in 7 has no id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_at", "Mon Jan 01 00:00:00 +0100 0001"),  # before year 1 in UTC
        ("created_at", "Fri Dec 31 23:59:99 -0100 9999"),  # after year 9999
        ("created_at", "Mon Feb 30 10:00:00 +0000 2016"),
    ],
)
def test_a_created_at_outside_the_calendar_is_a_problem(tmp_path, field, value):
    path = tmp_path / "t.jsonl"
    path.write_text(
        json.dumps({"id_str": "1", "user": {}, field: value}) + "\n" + twarc_line("2", "ok")
    )
    result = parse_twitter(path)
    assert [post.post_id for post in result.records] == ["2"]
    assert "is not a real time" in result.problems[0].message


def test_a_v2_created_at_before_year_one_in_utc_is_a_problem(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps({"data": [{"id": "1", "text": "x", "created_at": "0001-01-01T00:00:00+01:00"}]})
    )
    result = parse_twitter(path)
    assert result.records == []
    message = result.problems[0].message
    assert message.startswith("tweet 1's created_at '0001-01-01T00:00:00+01:00'")
    assert "outside the years 1..9999 in UTC" in message
