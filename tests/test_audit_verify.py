"""`audit verify` against a case tampered with behind Siteline's back.

A small case is built through the services; then its database is changed with plain SQL
and its blob files are changed on disk, each in one way, and verification must report
it, the first problem naming the entry, record or file that was touched.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from siteline.domain.entities import (
    Claim,
    Custody,
    EvidenceItem,
    EvidenceLink,
    Incident,
    Site,
    Source,
)
from siteline.domain.values import FuzzyTime
from siteline.services import (
    audit,
    cases,
    claims,
    evidence,
    incidents,
    sites,
    sources,
    verification,
)
from siteline.store import audit as chain
from siteline.store.case_folder import HEAD_FILE, read_head, write_head
from siteline.store.schema import audit_log, blobs
from siteline.store.schema import claims as claims_table
from siteline.store.schema import evidence as evidence_table
from siteline.store.schema import sites as sites_table


@pytest.fixture
def built(case, tmp_path):
    """A case with sites, a source, three items from files, an update, a soft delete,
    an incident with a link, and a claim. Returns what was made, by name."""
    hospital = sites.add_site(case, Site("Northgate Hospital", aliases=["NGH"], lat=36.2, lon=37.1))
    school = sites.add_site(case, Site("Riverside School", kind="school", lat=36.21, lon=37.12))
    outlet = sources.add_source(case, Source("Aleppo Media Desk", kind="outlet", reliability="C"))
    made = {"hospital": hospital, "school": school, "outlet": outlet}
    for name, content in (
        ("photo", b"\xff\xd8 the east wing after the strike"),
        ("video", b"\x00\x00\x00\x18ftypmp42 smoke over the roof"),
        ("scan", b"%PDF-1.4 a ward register"),
    ):
        path = tmp_path / f"{name}.bin"
        path.write_bytes(content)
        data, media_type = evidence.read_file(path)
        made[name] = evidence.add_evidence(
            case,
            EvidenceItem(
                kind="photo" if name == "photo" else "video" if name == "video" else "document",
                title=f"the {name}",
                data=data,
                media_type=media_type,
                original_filename=path.name,
                source_id=outlet["id"],
                site_id=hospital["id"],
                published=FuzzyTime.parse("2016-09-28", "published"),
            ),
            Custody(method="downloaded", source_url=f"https://example.org/{name}"),
        )
    verification.transition(case, made["photo"]["id"], "in_review")
    evidence.delete_evidence(case, made["scan"]["id"], "a copy of another item")
    made["incident"] = incidents.add_incident(
        case,
        Incident(
            site_id=hospital["id"],
            window_start=FuzzyTime.parse("2016-09-28T04:00", "start"),
            type="airstrike",
        ),
    )
    made["link"] = incidents.link_evidence(
        case, EvidenceLink(made["incident"]["id"], made["photo"]["id"], "supports", "shows it")
    )
    made["claim"] = claims.add_claim(
        case,
        Claim(
            speaker="Ministry spokesperson",
            stated=FuzzyTime.parse("2016-10-01", "stated"),
            quote="No hospital was hit.",
            proposition_kind="not_attacked",
            site_id=hospital["id"],
            period_start=FuzzyTime.parse("2016-09-28", "period"),
        ),
    )
    assert audit.verify(case).ok
    return made


def chain_of(case) -> list[dict]:
    return audit.load_chain(case)


def entry_for(case, action: str, object_type: str, object_id) -> dict:
    matches = [
        entry
        for entry in chain_of(case)
        if (entry["action"], entry["object_type"], entry["object_id"])
        == (action, object_type, str(object_id))
    ]
    assert len(matches) == 1
    return matches[0]


def first_problem(case):
    report = audit.verify(case)
    assert not report.ok, "verification missed the tampering"
    return report.problems[0]


def execute(case, *statements) -> None:
    """Changes the database directly, in one transaction, bypassing Siteline."""
    with case.engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)


def set_seq(seq: int, new_seq: int):
    return update(audit_log).where(audit_log.c.seq == seq).values(seq=new_seq)


def blob_file(case, item: dict) -> Path:
    return case.blobs.path_for(item["blob_sha256"])


def overwrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)  # stored originals are read-only
    path.write_bytes(data)


def names_file(problem, path: Path, case) -> bool:
    return problem.where == f"file {path.relative_to(case.folder)}"


# A clean case.


def test_a_clean_case_verifies_and_counts_what_it_checked(case, built):
    report = audit.verify(case)
    assert report.ok, report.problems
    assert report.entries == len(chain_of(case))
    assert report.blobs == 3
    # the case record, 2 sites, 1 source, 3 blobs, 3 items, 3 custody records,
    # 1 review, 1 incident, 1 link, 1 claim
    assert report.records == 17


def test_a_soft_deleted_item_is_still_there_and_still_verified(case, built):
    scan = evidence.get_evidence(case, built["scan"]["id"])
    assert scan["deleted_at"] is not None
    execute(
        case,
        update(evidence_table)
        .where(evidence_table.c.id == scan["id"])
        .values(deleted_at=None, deleted_reason=None),
    )
    problem = first_problem(case)
    assert problem.where == f"evidence {scan['id']}"
    assert "altered" in problem.what


# The audit chain.


def test_an_entry_whose_after_record_was_altered_is_named(case, built):
    target = entry_for(case, "update", "evidence", built["photo"]["id"])
    after = json.loads(target["after"])
    after["verification_status"] = "discarded"
    execute(
        case,
        update(audit_log)
        .where(audit_log.c.seq == target["seq"])
        .values(after=json.dumps(after, sort_keys=True, separators=(",", ":"))),
    )
    problem = first_problem(case)
    assert problem.where.startswith(f"audit entry #{target['seq']} ")
    assert "altered" in problem.what and "'after'" in problem.what


def test_an_entry_whose_actor_was_altered_is_named(case, built):
    target = entry_for(case, "create", "claim", built["claim"]["id"])
    execute(case, update(audit_log).where(audit_log.c.seq == target["seq"]).values(actor="nobody"))
    problem = first_problem(case)
    assert problem.where.startswith(f"audit entry #{target['seq']} ")
    assert "altered" in problem.what


def test_a_redacted_entry_that_carries_records_is_named(case, built):
    """Redaction drops records and keeps their digests; an entry marked redacted that
    still carries a record was edited, whatever its hash says."""
    target = entry_for(case, "create", "site", built["school"]["id"])
    forged = json.dumps({"name": "a different school"})
    execute(
        case,
        update(audit_log)
        .where(audit_log.c.seq == target["seq"])
        .values(redacted=True, after=forged),
    )
    problem = first_problem(case)
    assert problem.where.startswith(f"audit entry #{target['seq']} ")
    assert "redacted yet carries records" in problem.what


def test_an_entry_altered_and_rehashed_is_named_by_the_link_that_follows(case, built):
    """A forger who knows the hashing recomputes the entry's hash; the next entry's link
    to it still holds the old one."""
    target = entry_for(case, "create", "source", built["outlet"]["id"])
    forged = {**target, "actor": "nobody"}
    forged["hash"] = chain.entry_hash(forged)
    execute(
        case,
        update(audit_log)
        .where(audit_log.c.seq == target["seq"])
        .values(actor="nobody", hash=forged["hash"]),
    )
    problem = first_problem(case)
    assert problem.where.startswith(f"audit entry #{target['seq']} ")
    assert "altered" in problem.what


def test_the_last_entry_altered_and_rehashed_is_caught_by_the_audit_head(case, built):
    last = chain_of(case)[-1]
    forged = {**last, "actor": "nobody"}
    forged["hash"] = chain.entry_hash(forged)
    execute(
        case,
        update(audit_log)
        .where(audit_log.c.seq == last["seq"])
        .values(actor="nobody", hash=forged["hash"]),
    )
    problem = first_problem(case)
    assert problem.where == f"audit entry #{last['seq']}"
    assert "audit head" in problem.what


def test_an_entry_removed_from_the_middle_is_named(case, built):
    target = entry_for(case, "create", "site", built["school"]["id"])
    execute(case, delete(audit_log).where(audit_log.c.seq == target["seq"]))
    problem = first_problem(case)
    assert problem.where == f"audit entry #{target['seq']}"
    assert "removed" in problem.what


def test_the_last_entry_removed_is_caught_by_the_audit_head(case, built):
    last = chain_of(case)[-1]
    execute(case, delete(audit_log).where(audit_log.c.seq == last["seq"]))
    problem = first_problem(case)
    assert problem.where == f"audit entry #{last['seq']}"
    assert "removed" in problem.what


def test_the_last_entry_removed_and_the_head_rewritten_is_caught_by_its_record(case, built):
    entries = chain_of(case)
    last, before_last = entries[-1], entries[-2]
    # The last entry is the claim's verdict, computed as the claim was stored.
    assert (last["object_type"], last["object_id"]) == ("claim", str(built["claim"]["id"]))
    assert (last["action"], before_last["action"]) == ("update", "create")
    execute(case, delete(audit_log).where(audit_log.c.seq == last["seq"]))
    write_head(case.folder, before_last["seq"], before_last["hash"])
    problem = first_problem(case)
    assert problem.where == f"claim {built['claim']['id']}"
    assert problem.what == f"altered: differs from its record in audit entry #{before_last['seq']}"


def test_a_missing_audit_head_is_named(case, built):
    (case.folder / HEAD_FILE).unlink()
    problem = first_problem(case)
    assert problem.where == f"file {HEAD_FILE}"
    assert "removed" in problem.what


def forged_entry(case, seq: int, prev_hash: str) -> dict:
    """An entry made as Siteline would make it, so only its place in the chain betrays it."""
    return chain.make_entry(
        seq,
        prev_hash,
        "2016-10-02T00:00:00.000000Z",
        "forger",
        "update",
        "site",
        "99",
        None,
        {"note": "forged"},
    )


@pytest.mark.parametrize("count", [1, 2])
def test_entries_inserted_in_the_middle_are_named(case, built, count):
    entries = chain_of(case)
    position = entry_for(case, "create", "incident", built["incident"]["id"])["seq"]
    shifted = [entry for entry in entries if entry["seq"] >= position]
    forged, prev_hash = [], entries[position - 2]["hash"]
    for offset in range(count):
        forged.append(forged_entry(case, position + offset, prev_hash))
        prev_hash = forged[-1]["hash"]
    execute(
        case,
        # two steps, so that no two rows ever share a number
        *[set_seq(entry["seq"], entry["seq"] + 10_000) for entry in shifted],
        *[set_seq(entry["seq"] + 10_000, entry["seq"] + count) for entry in shifted],
        *[insert(audit_log).values(**entry) for entry in forged],
    )
    problem = first_problem(case)
    if count == 1:
        assert problem.where.startswith(f"audit entry #{position} ")
    else:
        assert problem.where == f"audit entries #{position}..#{position + count - 1}"
    assert problem.what.startswith("inserted")


def test_an_entry_appended_after_the_head_is_named(case, built):
    last = chain_of(case)[-1]
    forged = forged_entry(case, last["seq"] + 1, last["hash"])
    execute(case, insert(audit_log).values(**forged))
    problem = first_problem(case)
    assert problem.where == f"audit entry #{last['seq'] + 1}"
    assert "inserted" in problem.what


@pytest.mark.parametrize("distance", [1, 3])
def test_two_entries_swapped_are_named(case, built, distance):
    first = entry_for(case, "create", "site", built["school"]["id"])["seq"]
    second = first + distance
    execute(case, set_seq(first, -1), set_seq(second, first), set_seq(-1, second))
    problem = first_problem(case)
    assert problem.where.startswith(f"audit entry #{first} ")
    assert "reordered" in problem.what


# Records the chain accounts for.


def test_a_record_altered_is_named_with_the_entry_that_recorded_it(case, built):
    item = built["video"]
    execute(
        case,
        update(evidence_table).where(evidence_table.c.id == item["id"]).values(title="retitled"),
    )
    problem = first_problem(case)
    assert problem.where == f"evidence {item['id']}"
    recorded_by = entry_for(case, "create", "evidence", item["id"])["seq"]
    assert problem.what == f"altered: differs from its record in audit entry #{recorded_by}"


def test_a_record_removed_is_named(case, built):
    claim = built["claim"]
    execute(case, delete(claims_table).where(claims_table.c.id == claim["id"]))
    problem = first_problem(case)
    assert problem.where == f"claim {claim['id']}"
    assert "removed" in problem.what


def test_a_soft_deleted_record_erased_is_named(case, built):
    scan = built["scan"]
    execute(case, delete(evidence_table).where(evidence_table.c.id == scan["id"]))
    problem = first_problem(case)
    assert problem.where == f"evidence {scan['id']}"
    assert "removed" in problem.what


def test_a_record_inserted_outside_siteline_is_named(case, built):
    execute(
        case,
        insert(sites_table).values(
            id=99,
            name="Ghost Clinic",
            aliases="[]",
            kind="clinic",
            created_at="2016-10-01T00:00:00Z",
        ),
    )
    problem = first_problem(case)
    assert problem.where == "site 99"
    assert "inserted" in problem.what


# Blob files.


def test_a_blob_file_altered_is_named(case, built):
    path = blob_file(case, built["photo"])
    overwrite(path, path.read_bytes() + b" retouched")
    problem = first_problem(case)
    assert names_file(problem, path, case)
    assert "altered" in problem.what


def test_a_blob_file_removed_is_named(case, built):
    path = blob_file(case, built["video"])
    path.unlink()
    problem = first_problem(case)
    assert names_file(problem, path, case)
    assert "removed" in problem.what


def test_an_unknown_blob_file_is_named(case, built):
    stray, _ = case.blobs.put(b"something nobody added")
    problem = first_problem(case)
    assert names_file(problem, case.blobs.path_for(stray), case)
    assert "inserted" in problem.what


def test_a_file_dropped_anywhere_in_the_store_is_named(case, built):
    path = case.blobs.path_for(built["photo"]["blob_sha256"]).parent / "notes.txt"
    path.write_text("left here")
    problem = first_problem(case)
    assert names_file(problem, path, case)
    assert "inserted" in problem.what


def test_two_blob_files_swapped_are_both_named(case, built):
    photo, video = blob_file(case, built["photo"]), blob_file(case, built["video"])
    photo_bytes, video_bytes = photo.read_bytes(), video.read_bytes()
    overwrite(photo, video_bytes)
    overwrite(video, photo_bytes)
    report = audit.verify(case)
    named = {problem.where for problem in report.problems}
    assert f"file {photo.relative_to(case.folder)}" in named
    assert f"file {video.relative_to(case.folder)}" in named
    assert all("files swapped" in problem.what for problem in report.problems)
    assert names_file(report.problems[0], min(photo, video), case)


# Confidential material.


def test_confidential_material_verifies_without_the_key(case, built, key_file):
    testimony = evidence.add_evidence(
        case,
        EvidenceItem(kind="testimony", text="I saw the second strike from the bakery."),
        Custody(method="interview"),
    )
    sources.add_source(case, Source("Witness K", kind="witness", identity="Real Name Here"))
    case.close()
    keyless = cases.open_case(case.folder)
    try:
        assert not keyless.sealer.has_key
        assert audit.verify(keyless).ok
        with keyless.read() as connection:
            stored = connection.execute(
                select(blobs.c.stored_sha256).where(blobs.c.id == testimony["blob_sha256"])
            ).scalar_one()
        path = keyless.blobs.path_for(stored)
        sealed = path.read_bytes()
        overwrite(path, sealed[:-1] + bytes([sealed[-1] ^ 1]))
        problem = first_problem(keyless)
        assert names_file(problem, path, keyless)
        assert "altered" in problem.what
    finally:
        keyless.close()


def test_a_verified_case_reads_its_chain_in_order(case, built):
    with case.read() as connection:
        seqs = list(connection.execute(select(audit_log.c.seq).order_by(audit_log.c.seq)).scalars())
    assert seqs == list(range(1, len(seqs) + 1))
    assert read_head(case.folder) == {"seq": seqs[-1], "hash": chain_of(case)[-1]["hash"]}


def test_concurrent_writers_leave_the_head_at_the_end_of_the_chain(case, key_file):
    """Each writer records the head while it holds the write lock, so the last to commit
    is the last to write it, and verification never sees a chain run past its head."""
    writers = [cases.open_case(case.folder, key_file=key_file) for _ in range(3)]

    def write(number: int, opened) -> None:
        for step in range(8):
            sites.add_site(opened, Site(f"Clinic {number}-{step}", kind="clinic"))

    try:
        threads = [
            threading.Thread(target=write, args=(number, opened))
            for number, opened in enumerate(writers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for opened in writers:
            opened.close()
    entries = chain_of(case)
    assert len(entries) == 1 + 3 * 8
    assert read_head(case.folder) == {"seq": entries[-1]["seq"], "hash": entries[-1]["hash"]}
    assert audit.verify(case).ok
