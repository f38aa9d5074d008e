"""Confidential material: sealed at rest with the case key, readable only with it.

Testimony is always confidential; a witness is known by a pseudonym and their identity is
sealed. Without the key a case still opens, lists and verifies, but opens nothing sealed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from siteline.domain.entities import Custody, DerivedItem, EvidenceItem, Source
from siteline.errors import CaseError, InvalidInput, KeyRequired
from siteline.keys import Sealer, load_key, write_new_key
from siteline.services import audit, cases, derived, evidence, sources
from siteline.store import case_folder
from siteline.store.schema import blobs, metadata
from siteline.store.schema import evidence as evidence_table

TESTIMONY = "Umm Khaled saw the second strike from the Qasr bakery at dawn."
FILENAME = "interview-umm-khaled.txt"
IDENTITY = "Khadija Al-Masri, nurse, ward 3"


def add_testimony(case, text: str = TESTIMONY, **fields) -> dict:
    return evidence.add_evidence(
        case,
        EvidenceItem(kind="testimony", text=text, original_filename=FILENAME, **fields),
        Custody(method="interview recorded by the team"),
    )


def everything_in_the_database(case) -> str:
    """Every value of every row of every table, audit chain included, as one text."""
    values = []
    with case.read() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                values.extend(str(value) for value in row)
    return "\n".join(values)


def every_file_in_the_folder(case) -> bytes:
    """The bytes of every file in the case folder: blobs, head, and the SQLite files."""
    return b"".join(path.read_bytes() for path in sorted(case.folder.rglob("*")) if path.is_file())


def blob_files(case) -> list[str]:
    return sorted(name for name, _ in case.blobs.stored_names())


def state(case) -> tuple:
    return (
        cases.summary(case),
        blob_files(case),
        case_folder.read_head(case.folder),
        everything_in_the_database(case),
    )


@pytest.fixture
def keyless(case):
    """The same case, opened by someone who does not hold the key."""
    case.close()
    opened = cases.open_case(case.folder)
    assert not opened.sealer.has_key
    yield opened
    opened.close()


def test_testimony_is_always_confidential(case):
    item = add_testimony(case, sensitivity="public")
    assert item["sensitivity"] == "confidential"
    assert item["text"] is None and item["original_filename"] is None
    assert item["sealed"]
    assert evidence.list_evidence(case, sensitivity="confidential")[0]["id"] == item["id"]


def test_testimony_is_nowhere_in_plaintext(case):
    add_testimony(case)
    stored = everything_in_the_database(case)
    on_disk = every_file_in_the_folder(case)
    for secret in (TESTIMONY, "Umm Khaled", FILENAME):
        assert secret not in stored
        assert secret.encode() not in on_disk
    assert evidence.list_evidence(case, text="bakery") == []


def test_a_confidential_file_is_sealed_on_disk(case):
    photo = b"\xff\xd8 faces of the wounded, unblurred"
    item = evidence.add_evidence(
        case,
        EvidenceItem(kind="photo", data=photo, sensitivity="confidential", graphic=True),
        Custody(method="given by a doctor"),
    )
    assert b"faces of the wounded" not in every_file_in_the_folder(case)
    assert not case.blobs.has(item["blob_sha256"])  # stored under the hash of the sealed bytes
    assert evidence.read_original(case, item["id"]) == photo


def test_testimony_is_read_back_with_the_key(case):
    item = add_testimony(case)
    revealed = evidence.get_evidence(case, item["id"], reveal=True)
    assert revealed["text"] == TESTIMONY
    assert revealed["original_filename"] == FILENAME
    assert evidence.read_original(case, item["id"]) == TESTIMONY.encode()
    assert evidence.get_evidence(case, item["id"])["text"] is None  # only when asked


def test_without_the_key_the_item_shows_but_does_not_open(case, key_file):
    item = add_testimony(case)
    case.close()
    keyless = cases.open_case(case.folder)
    try:
        listed = evidence.list_evidence(keyless)
        assert [row["id"] for row in listed] == [item["id"]]
        shown = evidence.show_evidence(keyless, item["id"])
        assert shown["kind"] == "testimony" and shown["text"] is None
        assert shown["custody"][0]["method"] == "interview recorded by the team"
        with pytest.raises(KeyRequired):
            evidence.get_evidence(keyless, item["id"], reveal=True)
        with pytest.raises(KeyRequired):
            evidence.read_original(keyless, item["id"])
        assert audit.verify(keyless).ok
    finally:
        keyless.close()


def test_a_wrong_key_is_refused(case, tmp_path):
    item = add_testimony(case)
    case.close()
    wrong = tmp_path / "wrong.key"
    write_new_key(wrong)
    with pytest.raises(CaseError, match="not this case's key"):
        cases.open_case(case.folder, key_file=wrong)
    # Below the fingerprint check, the seal itself refuses the wrong key.
    forced = case_folder.open_case(case.folder, Sealer(load_key(wrong)))
    try:
        with pytest.raises(CaseError, match="key is wrong or the sealed value was altered"):
            evidence.get_evidence(forced, item["id"], reveal=True)
        with pytest.raises(CaseError):
            evidence.read_original(forced, item["id"])
    finally:
        forced.close()


def test_a_sealed_value_cannot_be_moved_to_another_item(case):
    first, second = add_testimony(case), add_testimony(case, text="Another account.")
    with case.engine.begin() as connection:
        connection.execute(
            evidence_table.update()
            .where(evidence_table.c.id == second["id"])
            .values(sealed=first["sealed"])
        )
    with pytest.raises(CaseError, match=f"evidence:{second['id']}"):
        evidence.get_evidence(case, second["id"], reveal=True)


def test_a_witness_identity_is_sealed_and_revealed_only_with_the_key(case):
    witness = sources.add_source(case, Source("Witness K", kind="witness", identity=IDENTITY))
    assert witness["name"] == "Witness K"
    assert witness["identity_sealed"] and IDENTITY not in witness["identity_sealed"]
    assert "identity" not in sources.get_source(case, witness["id"])
    assert IDENTITY not in everything_in_the_database(case)
    assert b"Khadija" not in every_file_in_the_folder(case)
    revealed = sources.get_source(case, witness["id"], reveal_identity=True)
    assert revealed["identity"] == IDENTITY
    case.close()
    keyless = cases.open_case(case.folder)
    try:
        assert sources.find_source(keyless, "Witness K")["id"] == witness["id"]
        with pytest.raises(KeyRequired):
            sources.get_source(keyless, witness["id"], reveal_identity=True)
    finally:
        keyless.close()


@pytest.mark.parametrize(
    "add",
    [
        pytest.param(lambda case: add_testimony(case), id="testimony"),
        pytest.param(
            lambda case: evidence.add_evidence(
                case,
                EvidenceItem(kind="video", data=b"\x00 raw footage", sensitivity="confidential"),
                Custody(method="given"),
            ),
            id="confidential-file",
        ),
        pytest.param(
            lambda case: sources.add_source(
                case, Source("Witness K", kind="witness", identity=IDENTITY)
            ),
            id="witness-identity",
        ),
    ],
)
def test_confidential_material_without_the_key_is_refused_and_changes_nothing(keyless, add):
    evidence.add_evidence(
        keyless, EvidenceItem(kind="article", text="Public reporting."), Custody(method="copied")
    )
    before = state(keyless)
    with pytest.raises(KeyRequired, match="needs the case key"):
        add(keyless)
    assert state(keyless) == before
    assert audit.verify(keyless).ok


def test_a_case_made_without_a_key_is_bound_to_the_first_key_that_seals(case_dir, tmp_path):
    folder = case_dir("unkeyed")
    cases.init_case(folder, "No key yet").close()
    first, other = tmp_path / "first.key", tmp_path / "other.key"
    write_new_key(first)
    write_new_key(other)
    opened = cases.open_case(folder, key_file=first)
    try:
        assert cases.case_record(opened)["key_fingerprint"] is None
        add_testimony(opened)
        assert cases.case_record(opened)["key_fingerprint"] == opened.sealer.fingerprint
    finally:
        opened.close()
    with pytest.raises(CaseError, match="not this case's key"):
        cases.open_case(folder, key_file=other)


def test_bytes_stored_in_the_clear_cannot_return_as_confidential(case):
    public = evidence.add_evidence(
        case, EvidenceItem(kind="document", text=TESTIMONY), Custody(method="typed in")
    )
    evidence.delete_evidence(case, public["id"], "belongs in a testimony")
    before = state(case)
    with pytest.raises(InvalidInput, match="stored in the clear for a deleted item"):
        add_testimony(case)
    assert state(case) == before


def test_what_is_derived_from_sealed_material_is_sealed(case):
    testimony = add_testimony(case)
    redacted = b"A witness saw the second strike at dawn."
    made = derived.add_derived(
        case,
        DerivedItem(
            kind="redacted_copy",
            parents=[testimony["blob_sha256"]],
            method="manual redaction",
            method_version="1",
            data=redacted,
            evidence_id=testimony["id"],
        ),
    )
    assert redacted not in every_file_in_the_folder(case)
    with case.read() as connection:
        stored = connection.execute(select(blobs).where(blobs.c.id == made["blob_sha256"])).one()
    assert stored.encrypted
    assert case.sealer.open(case.blobs.read(stored.stored_sha256), f"blob:{stored.id}") == redacted
