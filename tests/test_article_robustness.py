"""Bad input to the article extractor and the gazetteer reader: extracted, or refused with
InvalidInput naming the file and the problem; never a crash. Hypothesis fuzzes both."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteline.errors import InvalidInput
from siteline.ingest.articles import PlaceIndex, extract_article
from siteline.ingest.gazetteer import read_gazetteer_csv
from siteline.ingest.model import PlaceEntry

INDEX = PlaceIndex.from_entries(
    [PlaceEntry("Eastgate General Hospital", "site", aliases=["EGH"])], include_world=False
)


def test_empty_file_gives_an_empty_extraction():
    result = extract_article(b"", source_name="empty.txt")
    assert (result.body, result.posts, result.dates) == ("", [], [])


def test_binary_garbage_is_refused_naming_the_file():
    garbage = bytes(range(256)) * 64
    with pytest.raises(InvalidInput) as refused:
        extract_article(garbage, source_name="photo.jpg")
    assert refused.value.field == "photo.jpg" and "binary" in refused.value.problem


def test_truncated_utf8_keeps_the_whole_characters():
    data = "Aleppo — the clinic “".encode()[:-1]
    result = extract_article(data, source_name="cut.txt")
    assert result.encoding == "utf-8"
    assert result.body == "Aleppo — the clinic"
    assert "incomplete UTF-8" in result.notes[0]


def test_invalid_utf8_in_the_middle_is_read_as_windows_1252():
    result = extract_article(b"caf\xe9 \x97 here \x81", source_name="old.txt")
    assert result.encoding == "windows-1252"
    assert result.body == "café — here \x81"


def test_huge_file_is_refused_with_its_size():
    data = b"The clinic was hit. " * 1_000_000  # 20 MB
    with pytest.raises(InvalidInput) as refused:
        extract_article(data, source_name="huge.txt")
    assert refused.value.field == "huge.txt" and "20,000,000 bytes" in refused.value.problem


def test_a_long_article_with_many_posts_is_extracted():
    post = "Smoke over the clinic pic.twitter.com/AbCdEf1234\n— Lina (@lina) March 3, 2021\n"
    result = extract_article((post + "Reporting continues here.\n") * 2000, source_name="long.txt")
    assert len(result.posts) == 2000


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_fuzz_bytes(data):
    try:
        result = extract_article(data, places=INDEX, source_name="fuzz.bin")
    except InvalidInput as error:
        assert error.field == "fuzz.bin"
    else:
        result.to_json()


SIGNATURE_BITS = st.sampled_from(
    ["(@a_b)", " March 3, 2021", "—", "  ", "\n", " Follow\n", "pic.twitter.com", "httpst.co",
     "“", "”", '"', ": ", " said ", "12 attacks", " in the last 3 months", "EGH", "Sept. 24",
     "(Reuters) - ", "Featured image via ", "<p>", "<html>", " 9:41 PM - 2 Mar 2021\n", "(h) 6 2021"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(SIGNATURE_BITS, st.text(max_size=20)), max_size=40))
def test_fuzz_text_built_from_the_pieces_of_posts(pieces):
    result = extract_article("".join(pieces), places=INDEX, source_name="fuzz.txt")
    data = result.to_json()
    for post in data["posts"]:
        assert post["handle"]
    for found in result.places:
        assert result.text[found.start : found.end] == found.text


HEADER = (
    "id,name_en,name_ar,latitude,longitude,parent_id,parent_name_en,is_governorate,dataset_id\n"
)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(lambda t: (HEADER + t).encode()))
)
def test_fuzz_gazetteer_csv(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("gazetteer") / "places.csv"
    try:
        result = read_gazetteer_csv(path, data=data)
    except InvalidInput as error:
        assert error.field == str(path)
    else:
        for problem in result.problems:
            assert problem.file == str(path)
