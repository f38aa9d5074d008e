"""Platform exports into a case: idempotent runs, versions, relations, problems named,
and a run that fails leaving the case as it was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from siteline.cli import cli
from siteline.errors import CaseError, InvalidInput
from siteline.services import audit, cases, evidence
from siteline.services.ingest_posts import ingest_exports
from siteline.store.case_folder import read_head


def tweet(number: int, text: str, reply_to: int | None = None, **extra) -> dict:
    record = {
        "created_at": f"Tue Sep 27 10:{number:02d}:00 +0000 2016",
        "id_str": str(900 + number),
        "text": text,
        "user": {"id_str": "7001", "name": "Eastgate Medic", "screen_name": "eastgate_medic"},
        "entities": {"hashtags": [{"text": "Eastgate"}], "user_mentions": [], "urls": []},
        "lang": "en",
        **extra,
    }
    if reply_to is not None:
        record["in_reply_to_status_id_str"] = str(900 + reply_to)
    return record


def write_lines(path, records) -> None:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def state(case) -> tuple:
    return (
        cases.summary(case),
        sorted(name for name, _ in case.blobs.stored_names()),
        read_head(case.folder),
    )


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "eastgate.jsonl"
    write_lines(
        path,
        [
            tweet(1, "Field ward opens in the car park. #Eastgate"),
            tweet(2, "Generators are down again.", reply_to=1),
        ],
    )
    return path


def posts(case) -> list[dict]:
    return evidence.list_evidence(case, kind="social_post")


def test_posts_become_items_within_the_export_file(case, export):
    report = ingest_exports(case, [export], "twitter")
    assert report.ok and report.added == 3 and report.files == 1
    found = posts(case)
    assert [post["platform_id"] for post in found] == ["901", "902"]
    file_item = evidence.get_evidence(case, found[0]["within_id"])
    assert file_item["kind"] == "document"
    assert evidence.read_original(case, file_item["id"]) == export.read_bytes()
    assert found[0]["author_handle"] == "eastgate_medic"
    assert found[0]["author_name"] == "Eastgate Medic"
    assert found[0]["published_at"] == "2016-09-27T10:01:00Z"
    assert json.loads(found[0]["details"])["hashtags"] == ["Eastgate"]
    assert found[0]["ingest_key"] == "twitter:901"
    assert audit.verify(case).ok


def test_a_reply_is_related_to_the_post_it_answers(case, export):
    ingest_exports(case, [export], "twitter")
    first, second = posts(case)
    shown = evidence.show_evidence(case, second["id"])
    assert [(r["relation"], r["related_id"]) for r in shown["relations"]] == [
        ("reply_to", first["id"])
    ]


def test_the_same_export_twice_adds_nothing(case, export):
    ingest_exports(case, [export], "twitter")
    before = state(case)
    again = ingest_exports(case, [export], "twitter")
    assert again.added == 0 and again.unchanged == 3  # the file and its two posts
    assert state(case) == before


def test_a_changed_post_is_a_new_version_of_the_old(case, export, tmp_path):
    ingest_exports(case, [export], "twitter")
    changed = tmp_path / "later.jsonl"
    write_lines(
        changed, [tweet(1, "Field ward opens in the car park. #Eastgate"), tweet(2, "Edited.")]
    )
    report = ingest_exports(case, [changed], "twitter")
    assert (report.added, report.unchanged, report.versions) == (2, 1, 1)  # file + new version
    old, new = [post for post in posts(case) if post["platform_id"] == "902"]
    assert new["text"] == "Edited." and old["text"] == "Generators are down again."
    relations = evidence.show_evidence(case, new["id"])["relations"]
    assert ("version_of", old["id"]) in [(r["relation"], r["related_id"]) for r in relations]
    assert audit.verify(case).ok


def test_bad_records_are_named_and_good_ones_kept(case, tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = json.dumps(tweet(1, "Kept."))
    path.write_text(
        f'{good}\n{{"id_str": "5", "text": "broken"\n{json.dumps(tweet(3, "Also kept."))}\n'
    )
    report = ingest_exports(case, [path], "twitter")
    assert [post["text"] for post in posts(case)] == ["Kept.", "Also kept."]
    assert [(problem.file, problem.line) for problem in report.problems] == [(str(path), 2)]
    assert "not valid JSON" in report.problems[0].message


def test_a_post_dated_in_the_future_is_a_problem_not_a_failure(case, tmp_path):
    path = tmp_path / "future.jsonl"
    write_lines(
        path, [tweet(1, "Now."), tweet(2, "Later.", created_at="Tue Sep 27 10:00:00 +0000 2999")]
    )
    report = ingest_exports(case, [path], "twitter")
    assert [post["text"] for post in posts(case)] == ["Now."]
    assert len(report.problems) == 1 and report.problems[0].line == 2
    assert "future" in report.problems[0].message


def test_a_run_that_fails_midway_leaves_the_case_as_it_was(case, export, tmp_path):
    second = tmp_path / "second.jsonl"
    write_lines(second, [tweet(5, "Another day.")])
    # The second file's original cannot be stored: the run fails after the first file.
    blocked = case.blobs.root / "sha256" / hashlib.sha256(second.read_bytes()).hexdigest()[:2]
    first_folder = hashlib.sha256(export.read_bytes()).hexdigest()[:2]
    if blocked.name == first_folder:
        pytest.fail("the two files must fall in different folders for this test")
    blocked.write_text("a file where the store needs a folder")
    before = state(case)
    with pytest.raises(CaseError, match="the original cannot be stored"):
        ingest_exports(case, [export, second], "twitter")
    assert state(case) == before


def test_a_missing_path_or_unknown_format_is_refused(case, tmp_path):
    with pytest.raises(InvalidInput, match="no such file or folder"):
        ingest_exports(case, [tmp_path / "absent.json"], "twitter")
    with pytest.raises(InvalidInput, match="'myspace' is not one of"):
        ingest_exports(case, [tmp_path], "myspace")


def test_the_command_reports_problems_and_exits_8(case, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(tweet(1, "Kept.")) + "\nnot json\n")
    case.close()
    result = CliRunner().invoke(cli, ["-C", str(case.folder), "ingest", "twitter", str(path)])
    assert result.exit_code == 8
    assert "1 files, 2 added" in result.output
    assert f"{path}:2: not valid JSON" in result.output


FIXTURES = Path(__file__).parent / "fixtures" / "exports"


def test_a_telegram_export_keeps_its_photos_as_originals_of_their_messages(case):
    folder = FIXTURES / "telegram" / "channel"
    report = ingest_exports(case, [folder], "telegram")
    photos = evidence.list_evidence(case, kind="photo")
    assert photos, report.as_dict()
    photo = photos[0]
    on_disk = folder / "photos" / photo["original_filename"]
    assert evidence.read_original(case, photo["id"]) == on_disk.read_bytes()
    relations = evidence.show_evidence(case, photo["id"])["relations"]
    [(relation, post_id)] = [(r["relation"], r["related_id"]) for r in relations]
    assert relation == "attachment_of"
    assert evidence.get_evidence(case, post_id)["platform"] == "telegram"
    before = state(case)
    again = ingest_exports(case, [folder], "telegram")
    assert again.added == 0 and state(case) == before
    assert audit.verify(case).ok


def test_a_ytdlp_download_is_stored_beside_its_post(case):
    folder = FIXTURES / "ytdlp"
    ingest_exports(case, [folder], "ytdlp")
    [video] = evidence.list_evidence(case, kind="video")
    assert video["original_filename"].endswith(".mp4")
    relations = evidence.show_evidence(case, video["id"])["relations"]
    assert [r["relation"] for r in relations] == ["attachment_of"]


def test_one_key_twice_in_one_input_keeps_both_the_second_a_version(case):
    from siteline.domain.entities import Custody, EvidenceItem
    from siteline.services.ingest import IngestReport, add_file_item, add_keyed_items

    report = IngestReport()
    with case.write() as writing:
        container = EvidenceItem(kind="document", data=b"an export", original_filename="x.json")
        file_id = add_file_item(case, writing, container, Custody("copied"), report)

        def post(text):
            item = EvidenceItem(
                kind="social_post", text=text, within_id=file_id, ingest_key="twitter:7"
            )
            return item, Custody("read")

        ids = add_keyed_items(
            case, writing, [post("First."), post("First."), post("Fixed.")], report
        )
    assert ids[0] == ids[1] != ids[2]
    assert (report.unchanged, report.versions) == (1, 1)
    relations = evidence.show_evidence(case, ids[2])["relations"]
    assert [(r["relation"], r["related_id"]) for r in relations] == [("version_of", ids[0])]


def test_posts_are_listed_by_their_author_in_any_letter_case(case, export):
    ingest_exports(case, [export], "twitter")
    found = evidence.list_evidence(case, author="@Eastgate_Medic")
    assert [post["platform_id"] for post in found] == ["901", "902"]
    assert evidence.list_evidence(case, author="someone_else") == []
