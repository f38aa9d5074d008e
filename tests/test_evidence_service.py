"""Evidence through the service layer: adding from real files with custody, finding,
showing with history, changing, soft deleting, and refusing bad input without a trace."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest

from siteline import __version__
from siteline.domain.entities import Custody, EvidenceItem, Site, Source
from siteline.domain.values import FuzzyTime, Location
from siteline.errors import CaseError, Duplicate, InvalidInput, NotFound
from siteline.services import audit, cases, evidence, sites, sources, verification
from siteline.store.case_folder import read_head

PHOTO = b"\xff\xd8\xff\xe0 JFIF the east wing after the strike"


@pytest.fixture
def places(case):
    return {
        "hospital": sites.add_site(case, Site("Northgate Hospital", lat=36.2, lon=37.1)),
        "school": sites.add_site(case, Site("Riverside School", kind="school")),
        "outlet": sources.add_source(case, Source("Aleppo Media Desk", kind="outlet")),
        "account": sources.add_source(case, Source("@eyewitness", kind="social_account")),
    }


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "east-wing.jpg"
    path.write_bytes(PHOTO)
    return path


def state(case) -> tuple:
    """What a refused change must leave exactly as it was."""
    return (
        cases.summary(case),
        sorted(name for name, _ in case.blobs.stored_names()),
        read_head(case.folder),
    )


def add_file(case, path, **fields) -> dict:
    data, media_type = evidence.read_file(path)
    return evidence.add_evidence(
        case,
        EvidenceItem(
            kind=fields.pop("kind", "photo"),
            data=data,
            media_type=media_type,
            original_filename=path.name,
            **fields,
        ),
        Custody(method="downloaded from the post", source_url="https://example.org/post/1"),
    )


def add_text(case, text: str, **fields) -> dict:
    return evidence.add_evidence(
        case,
        EvidenceItem(kind=fields.pop("kind", "article"), text=text, **fields),
        Custody("copied"),
    )


# Adding from a file.


def test_an_item_is_added_from_a_real_file(case, places, photo_file):
    item = add_file(case, photo_file, site_id=places["hospital"]["id"], title="East wing")
    assert item["blob_sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert item["original_filename"] == "east-wing.jpg"
    assert item["source_url"] == "https://example.org/post/1"
    assert evidence.read_original(case, item["id"]) == PHOTO
    stored = case.blobs.path_for(item["blob_sha256"])
    assert stored.read_bytes() == PHOTO
    assert stat.S_IMODE(stored.stat().st_mode) == 0o444
    assert audit.verify(case).ok


def test_custody_is_recorded_in_full(case, photo_file):
    data, _ = evidence.read_file(photo_file)
    item = evidence.add_evidence(
        case,
        EvidenceItem(kind="photo", data=data),
        Custody(
            method="captured with the archiver",
            collector="analyst-7",
            tool="auto-archiver",
            tool_version="1.4.2",
            source_url="https://example.org/post/9",
            collected_at=FuzzyTime.parse("2016-10-01T08:15:00Z", "collected"),
        ),
    )
    (record,) = evidence.show_evidence(case, item["id"])["custody"]
    assert {key: record[key] for key in record if key not in ("id", "created_at")} == {
        "object_type": "evidence",
        "object_id": item["id"],
        "collector": "analyst-7",
        "tool": "auto-archiver",
        "tool_version": "1.4.2",
        "collected_at": "2016-10-01T08:15:00Z",
        "method": "captured with the archiver",
        "source_url": "https://example.org/post/9",
        "sha256": hashlib.sha256(PHOTO).hexdigest(),
        "notes": None,
        "deleted_at": None,
        "deleted_reason": None,
    }
    assert item["collected_at"] == "2016-10-01T08:15:00Z"


def test_custody_defaults_name_the_actor_the_tool_and_the_utc_time(case, photo_file):
    item = add_file(case, photo_file)
    (record,) = evidence.show_evidence(case, item["id"])["custody"]
    assert record["collector"] == "tester"
    assert (record["tool"], record["tool_version"]) == ("siteline", __version__)
    collected = FuzzyTime.parse(record["collected_at"], "collected_at")
    assert record["collected_at"].endswith("Z")
    assert abs((FuzzyTime.now().start - collected.start).total_seconds()) < 60


def test_show_gives_the_whole_history(case, places, photo_file):
    item = add_file(case, photo_file)
    verification.transition(case, item["id"], "in_review")
    evidence.delete_evidence(case, item["id"], "wrong hospital")
    shown = evidence.show_evidence(case, item["id"])
    assert [entry["action"] for entry in shown["history"]] == ["create", "update", "delete"]
    assert all(entry["actor"] == "tester" for entry in shown["history"])
    seqs = [entry["seq"] for entry in shown["history"]]
    assert seqs == sorted(seqs)


def test_show_gives_the_admiralty_grade(case, places, photo_file):
    graded = sources.add_source(case, Source("Monitor", kind="ngo", reliability="B"))
    item = add_file(case, photo_file, source_id=graded["id"], credibility=2)
    assert evidence.show_evidence(case, item["id"])["grade"] == "B2"
    text = evidence.add_evidence(
        case, EvidenceItem(kind="statement", text="no source"), Custody(method="typed")
    )
    assert evidence.show_evidence(case, text["id"])["grade"] == "F6"  # none given: ungraded


# Finding.


def test_every_filter_selects_what_it_names(case, places, photo_file):
    hospital, school = places["hospital"]["id"], places["school"]["id"]
    outlet, account = places["outlet"]["id"], places["account"]["id"]
    photo = add_file(
        case,
        photo_file,
        site_id=hospital,
        source_id=account,
        published=FuzzyTime.parse("2016-09-28T04:10Z", "published"),
    )
    article = add_text(
        case,
        "Doctors said the hospital's generator was destroyed.",
        title="Hospital hit again",
        site_id=school,
        source_id=outlet,
        published=FuzzyTime.parse("2016-10-03", "published"),
    )
    verification.transition(case, article["id"], "in_review")
    statement = add_text(
        case,
        "We don't attack any hospital.",
        kind="statement",
        sensitivity="restricted",
        published=FuzzyTime.parse("2016-10", "published"),
    )
    gone = add_text(case, "A duplicate report.", site_id=hospital)
    evidence.delete_evidence(case, gone["id"], "duplicate")

    def ids(**filters) -> list[int]:
        return [row["id"] for row in evidence.list_evidence(case, **filters)]

    assert ids() == [photo["id"], article["id"], statement["id"]]
    assert ids(kind="Photo") == [photo["id"]]
    assert ids(kind="statement") == [statement["id"]]
    assert ids(site_id=hospital) == [photo["id"]]
    assert ids(site_id=hospital, include_deleted=True) == [photo["id"], gone["id"]]
    assert ids(source_id=outlet) == [article["id"]]
    assert ids(sensitivity="restricted") == [statement["id"]]
    assert ids(status="in review") == [article["id"]]
    assert ids(status="collected") == [photo["id"], statement["id"]]
    assert ids(status="verified") == []
    with pytest.raises(
        InvalidInput, match="status: 'done' is not a status of this case's workflow"
    ):
        evidence.list_evidence(case, status="done")
    assert ids(published_from=FuzzyTime.parse("2016-10", "from")) == [
        article["id"],
        statement["id"],
    ]
    assert ids(published_to=FuzzyTime.parse("2016-09", "to")) == [photo["id"]]
    assert ids(published_to=FuzzyTime.parse("2016-09-28T04", "to")) == [photo["id"]]
    assert ids(published_to=FuzzyTime.parse("2016-09-28T03", "to")) == []
    assert ids(text="GENERATOR") == [article["id"]]
    assert ids(text="hit again") == [article["id"]]
    assert ids(text="attack", kind="article") == []
    assert ids(limit=2) == [photo["id"], article["id"]]
    with pytest.raises(InvalidInput, match="kind: 'selfie' is not one of"):
        evidence.list_evidence(case, kind="selfie")


# Refusals that leave the case as it was.


def test_the_same_bytes_twice_are_refused_naming_the_first(case, photo_file, tmp_path):
    first = add_file(case, photo_file)
    copy = tmp_path / "renamed-copy.jpg"
    copy.write_bytes(PHOTO)
    before = state(case)
    with pytest.raises(Duplicate) as refused:
        add_file(case, copy)
    message = str(refused.value)
    assert message.startswith("renamed-copy.jpg: ")
    assert f"evidence #{first['id']}" in message
    assert first["blob_sha256"] in message
    assert state(case) == before


def test_the_same_bytes_twice_in_one_batch_are_refused(case):
    before = state(case)
    pair = [
        (EvidenceItem(kind="photo", data=PHOTO, original_filename=name), Custody("copied"))
        for name in ("a.jpg", "b.jpg")
    ]
    with pytest.raises(Duplicate, match="b.jpg: the same bytes as a.jpg"):
        evidence.add_many(case, pair)
    assert state(case) == before


def test_bytes_of_a_deleted_item_may_come_back_but_are_stored_once(case, photo_file):
    first = add_file(case, photo_file)
    evidence.delete_evidence(case, first["id"], "added to the wrong case folder by mistake")
    again = add_file(case, photo_file)
    assert again["id"] != first["id"]
    assert again["blob_sha256"] == first["blob_sha256"]
    assert cases.summary(case)["blob"] == 1
    assert audit.verify(case).ok


def test_a_missing_file_is_refused_naming_it(case, tmp_path):
    before = state(case)
    missing = tmp_path / "no-such-photo.jpg"
    with pytest.raises(InvalidInput) as refused:
        add_file(case, missing)
    assert refused.value.field == str(missing)
    assert refused.value.problem == "no such file"
    with pytest.raises(InvalidInput, match="not a file"):
        add_file(case, tmp_path)
    assert state(case) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file, whatever its mode")
def test_an_unreadable_file_is_refused_naming_it(case, photo_file):
    before = state(case)
    photo_file.chmod(0)
    try:
        with pytest.raises(InvalidInput) as refused:
            add_file(case, photo_file)
    finally:
        photo_file.chmod(0o644)
    assert refused.value.field == str(photo_file)
    assert "cannot be read" in refused.value.problem
    assert state(case) == before


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux's /proc")
def test_a_file_that_fails_to_read_is_refused_naming_it(case):
    """/proc/self/mem is a file that no one, root included, can read from its start."""
    before = state(case)
    with pytest.raises(InvalidInput) as refused:
        evidence.read_file("/proc/self/mem")
    assert refused.value.field == "/proc/self/mem"
    assert "cannot be read" in refused.value.problem
    assert state(case) == before


def test_invalid_coordinates_are_refused(case):
    before = state(case)
    with pytest.raises(InvalidInput, match="claimed location: latitude 136.2 is outside"):
        add_text(
            case,
            "Report.",
            claimed_location=Location.parse("136.2,37.1", "exact", "claimed location"),
        )
    with pytest.raises(InvalidInput, match="location: longitude 190.0"):
        add_text(case, "Report.", verified_location=Location(36.2, 190.0, "exact"))
    assert state(case) == before


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ({"site_id": 99}, "site: no site #99 in this case"),
        ({"source_id": 42}, "source: no source #42 in this case"),
    ],
)
def test_an_unknown_site_or_source_is_refused(case, places, photo_file, reference, message):
    before = state(case)
    with pytest.raises(NotFound, match=message):
        add_file(case, photo_file, **reference)
    assert state(case) == before


def test_a_deleted_site_is_unknown(case, photo_file):
    site = sites.add_site(case, Site("Closed Clinic", kind="clinic"))
    with case.write() as transaction:
        transaction.soft_delete("site", site["id"], "not a clinic")
    before = state(case)
    with pytest.raises(NotFound, match=f"site: no site #{site['id']}"):
        add_file(case, photo_file, site_id=site["id"])
    assert state(case) == before


def test_one_bad_item_in_a_batch_refuses_the_whole_batch(case, places):
    before = state(case)
    batch = [
        (EvidenceItem(kind="photo", data=PHOTO), Custody("copied")),
        (EvidenceItem(kind="photo", data=b"another", site_id=99), Custody("copied")),
    ]
    with pytest.raises(NotFound, match="site #99"):
        evidence.add_many(case, batch)
    assert state(case) == before


def test_a_failure_after_files_were_written_takes_them_back(case):
    before = state(case)
    batch = [
        (EvidenceItem(kind="photo", data=PHOTO), Custody("copied")),
        (EvidenceItem(kind="photo", data=b"second", native={"bad": object()}), Custody("copied")),
    ]
    with pytest.raises(TypeError):
        evidence.add_many(case, batch)
    assert state(case) == before
    assert not case.blobs.has(hashlib.sha256(PHOTO).hexdigest())


def test_a_stray_file_under_a_new_blob_name_is_replaced_by_the_right_bytes(case):
    # As left by a process that wrote the file and stopped before its commit.
    stray = case.blobs.path_for(hashlib.sha256(PHOTO).hexdigest())
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"half a photo")
    item = evidence.add_evidence(case, EvidenceItem(kind="photo", data=PHOTO), Custody("copied"))
    assert evidence.read_original(case, item["id"]) == PHOTO
    assert audit.verify(case).ok


def test_a_blob_store_that_cannot_be_written_fails_cleanly_naming_the_path(case):
    first, second = b"first original", b"second original"
    blocked = case.blobs.root / "sha256" / hashlib.sha256(second).hexdigest()[:2]
    if blocked == case.blobs.path_for(hashlib.sha256(first).hexdigest()).parent:
        pytest.fail("the two originals must fall in different folders for this test")
    blocked.write_text("a file where the store needs a folder")
    before = state(case)
    batch = [
        (EvidenceItem(kind="photo", data=first), Custody("copied")),
        (EvidenceItem(kind="photo", data=second), Custody("copied")),
    ]
    with pytest.raises(CaseError, match=f"{blocked}: the original cannot be stored"):
        evidence.add_many(case, batch)
    assert state(case) == before
    assert not case.blobs.has(hashlib.sha256(first).hexdigest())
    assert not any((case.blobs.root / "incoming").iterdir())


@pytest.mark.parametrize(
    ("build", "field", "complaint"),
    [
        (lambda: FuzzyTime.parse("2016-02-30", "published"), "published", "not a real date"),
        (lambda: FuzzyTime.parse("2016-13-01", "captured"), "captured", "not a real date"),
        (lambda: FuzzyTime.parse("2016-09-25T25:10", "captured"), "captured", "not a real time"),
        (
            lambda: EvidenceItem(
                kind="photo",
                data=PHOTO,
                published=FuzzyTime.parse("2016-09-28", "published"),
                captured=FuzzyTime.parse("2016-09-29", "captured"),
            ),
            "captured",
            "after it was published",
        ),
        (
            lambda: EvidenceItem(
                kind="photo", data=PHOTO, published=FuzzyTime.parse("2999-01-01", "published")
            ),
            "published",
            "in the future",
        ),
        (lambda: EvidenceItem(kind="photo", credibility=7, data=PHOTO), "credibility", "1..6"),
        (lambda: EvidenceItem(kind="photo"), "evidence", "give a file or a text"),
    ],
)
def test_impossible_dates_and_values_are_refused_naming_the_field(case, build, field, complaint):
    before = state(case)
    with pytest.raises(InvalidInput) as refused:
        build()
    assert refused.value.field == field
    assert complaint in refused.value.problem
    assert state(case) == before


# Changing and deleting.


def test_an_update_records_before_and_after(case, places, photo_file):
    item = add_file(case, photo_file)
    updated = evidence.update_evidence(
        case,
        item["id"],
        credibility=2,
        verified_location=Location(36.2001, 37.1002, "exact"),
        site_id=places["hospital"]["id"],
    )
    assert (updated["verification_status"], updated["credibility"]) == ("collected", 2)
    entry = audit.load_chain(case)[-1]
    assert (entry["action"], entry["object_type"], entry["object_id"]) == (
        "update",
        "evidence",
        str(item["id"]),
    )
    before, after = json.loads(entry["before"]), json.loads(entry["after"])
    assert before["credibility"] == 6
    assert before["verified_lat"] is None and before["site_id"] is None
    assert after["credibility"] == 2
    assert (after["verified_lat"], after["verified_lon"]) == (36.2001, 37.1002)
    assert after["site_id"] == places["hospital"]["id"]
    assert {key for key in before if before[key] != after[key]} == {
        "credibility",
        "verified_lat",
        "verified_lon",
        "verified_precision",
        "site_id",
    }
    assert evidence.get_evidence(case, item["id"]) == after
    assert audit.verify(case).ok


def test_an_update_that_changes_nothing_records_nothing(case, photo_file):
    item = add_file(case, photo_file)
    before = state(case)
    evidence.update_evidence(case, item["id"], credibility=6)
    assert state(case) == before


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"credibility": 0}, InvalidInput, "credibility: 0 is outside 1..6"),
        (
            {"verification_status": "verified"},
            InvalidInput,
            "verification_status: .* only through the case's workflow: use 'siteline review",
        ),
        ({"site_id": 99}, NotFound, "site: no site #99"),
    ],
)
def test_a_bad_update_is_refused_and_changes_nothing(case, photo_file, changes, error, message):
    item = add_file(case, photo_file)
    before = state(case)
    with pytest.raises(error, match=message):
        evidence.update_evidence(case, item["id"], **changes)
    assert state(case) == before


def test_a_soft_delete_keeps_the_row_and_records_why(case, photo_file):
    item = add_file(case, photo_file)
    evidence.delete_evidence(case, item["id"], "  geolocated to another town  ")
    kept = evidence.get_evidence(case, item["id"])
    assert kept["deleted_at"] is not None
    assert kept["deleted_reason"] == "geolocated to another town"
    assert evidence.read_original(case, item["id"]) == PHOTO
    assert evidence.list_evidence(case) == []
    assert [row["id"] for row in evidence.list_evidence(case, include_deleted=True)] == [item["id"]]
    entry = audit.load_chain(case)[-1]
    assert (entry["action"], entry["object_id"]) == ("delete", str(item["id"]))
    assert json.loads(entry["before"])["deleted_at"] is None
    assert json.loads(entry["after"])["deleted_reason"] == "geolocated to another town"
    assert audit.verify(case).ok


def test_a_delete_needs_a_reason_and_a_live_item(case, photo_file):
    item = add_file(case, photo_file)
    before = state(case)
    with pytest.raises(InvalidInput, match="reason: say why"):
        evidence.delete_evidence(case, item["id"], "  ")
    with pytest.raises(NotFound, match="evidence: no evidence #77"):
        evidence.delete_evidence(case, 77, "gone")
    assert state(case) == before
    evidence.delete_evidence(case, item["id"], "wrong case")
    with pytest.raises(NotFound):
        evidence.delete_evidence(case, item["id"], "again")
    with pytest.raises(NotFound):
        evidence.update_evidence(case, item["id"], credibility=3)


def test_entries_written_before_the_commit_still_go_back_with_a_failure(case, monkeypatch):
    from siteline.store import transaction

    monkeypatch.setattr(transaction, "FLUSH_EVERY", 4)  # so that a batch flushes midway
    batch = [
        (EvidenceItem(kind="photo", data=b"photo %d" % n), Custody("copied")) for n in range(5)
    ]
    evidence.add_many(case, batch)
    assert audit.verify(case).ok
    before = state(case)
    more = [(EvidenceItem(kind="photo", data=b"more %d" % n), Custody("copied")) for n in range(5)]
    with pytest.raises(RuntimeError, match="stopped midway"), case.write() as writing:
        evidence.add_items(case, writing, more)  # 15 entries: three flushes before the end
        raise RuntimeError("stopped midway")
    assert state(case) == before
    assert audit.verify(case).ok
