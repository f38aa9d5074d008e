"""Bundles: a case exported as a BagIt package and restored as a new case, whole, checked,
and without carrying what must stay behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import bagit
import pytest
from sqlalchemy import create_engine, select, text

from siteline.domain.entities import (
    Claim,
    Custody,
    DerivedItem,
    EvidenceItem,
    EvidenceLink,
    Incident,
    Site,
    Source,
)
from siteline.domain.values import FuzzyTime, Location
from siteline.errors import BundleError, CaseError, InvalidInput, NotFound
from siteline.services import (
    audit,
    bundles,
    claims,
    derived,
    evidence,
    incidents,
    sites,
    sources,
    verification,
)
from siteline.services.audit import load_chain
from siteline.store import case_folder, database
from siteline.store.schema import AUDITED_TABLES, blobs

TESTIMONY = "I am a nurse at Northgate. At 14:05 the second strike hit the emergency ward."
IDENTITY = "Dr. Rania Haddad, +963 944 000 111"
RESTRICTED = "Internal hospital damage report: ward B roof collapsed, generator destroyed."
REDACTED_COPY = b"A nurse at [REDACTED]. At 14:05 the second strike hit the emergency ward."
PHOTO = b"\x89PNG\r\n\x1a\n fake crater photo bytes"


def when(text_value: str) -> FuzzyTime:
    return FuzzyTime.parse(text_value, "time")


def verify_photo(case, photo: dict) -> None:
    """The photo goes through the whole default workflow; a second person signs it off."""
    geolocation = {"method": "the crater matched to imagery", "precision": "vicinity"}
    chronolocation = {"method": "shadows", "time": "2016-10-01T09"}
    verification.transition(case, photo["id"], "in_review")
    verification.transition(case, photo["id"], "geolocated", {"geolocation": geolocation})
    verification.transition(case, photo["id"], "chronolocated", {"chronolocation": chronolocation})
    verification.transition(case, photo["id"], "verified", {"source_assessment": {"grade": "C2"}})
    asker, case.actor = case.actor, "second reviewer"
    try:
        verification.sign_off(case, photo["id"])
    finally:
        case.actor = asker


def build_case(case) -> dict:
    """A small investigation touching every table, with each kind of sensitive material."""
    site = sites.add_site(case, Site("Northgate Hospital", aliases=["M10"], lat=36.2, lon=37.15))
    outlet = sources.add_source(case, Source("Aleppo Media Centre", kind="outlet", reliability="C"))
    ministry = sources.add_source(case, Source("Ministry of Defence", kind="official_body"))
    witness = sources.add_source(
        case, Source("Witness W-1", kind="witness", reliability="B", identity=IDENTITY)
    )
    custody = Custody(method="saved by the investigator", source_url="https://example.org/p/1")
    photo = evidence.add_evidence(
        case,
        EvidenceItem(
            kind="photo",
            data=PHOTO,
            original_filename="crater.png",
            media_type="image/png",
            source_id=outlet["id"],
            site_id=site["id"],
            published=when("2016-10-01T10:00Z"),
            claimed_location=Location(36.2001, 37.1502, "vicinity"),
            credibility=2,
        ),
        custody,
    )
    statement = evidence.add_evidence(
        case,
        EvidenceItem(
            kind="statement",
            text="We don't attack any hospital.",
            source_id=ministry["id"],
            published=when("2016-10-02"),
        ),
        custody,
    )
    report = evidence.add_evidence(
        case,
        EvidenceItem(
            kind="document", text=RESTRICTED, site_id=site["id"], sensitivity="restricted"
        ),
        custody,
    )
    testimony = evidence.add_evidence(
        case,
        EvidenceItem(kind="testimony", text=TESTIMONY, source_id=witness["id"], language="en"),
        Custody(method="interview"),
    )
    witness_post = evidence.add_evidence(
        case,
        EvidenceItem(
            kind="social_post", text="Strike on the hospital now", source_id=witness["id"]
        ),
        custody,
    )
    duplicate = evidence.add_evidence(
        case, EvidenceItem(kind="photo", data=b"a duplicate upload"), custody
    )
    evidence.delete_evidence(case, duplicate["id"], "duplicate of the crater photo")
    verify_photo(case, photo)
    for item in (report, testimony):
        verification.transition(case, item["id"], "in_review", note="read it through")
    incident = incidents.add_incident(
        case,
        Incident(
            site_id=site["id"],
            window_start=when("2016-10-01"),
            type="airstrike",
            certainty="probable",
            killed=2,
        ),
    )
    for item, rationale in (
        (photo, "a new crater by the east wing"),
        (report, "the hospital's own damage report"),
        (testimony, "a witness describes the second strike"),
    ):
        incidents.link_evidence(
            case, EvidenceLink(incident["id"], item["id"], "supports", rationale)
        )
    denial = claims.add_claim(
        case,
        Claim(
            speaker="Ministry of Defence",
            stated=when("2016-10-02"),
            quote="We don't attack any hospital",
            proposition_kind="not_attacked",
            site_id=site["id"],
            period_start=when("2016-10-01"),
            evidence_id=statement["id"],
        ),
    )
    account = claims.add_claim(
        case,
        Claim(
            speaker="Witness W-1",
            stated=when("2016-10-03"),
            quote="the second strike hit the emergency ward",
            proposition="the emergency ward was struck twice",
            evidence_id=testimony["id"],
        ),
    )
    crop = derived.add_derived(
        case,
        DerivedItem(
            kind="crop",
            parents=[photo["blob_sha256"]],
            method="crop",
            method_version="1",
            parameters={"box": [0, 0, 10, 10]},
            data=b"cropped crater",
            evidence_id=photo["id"],
        ),
    )
    redacted = derived.add_derived(
        case,
        DerivedItem(
            kind="redacted_copy",
            parents=[testimony["blob_sha256"]],
            method="redact",
            method_version="1",
            data=REDACTED_COPY,
        ),
    )
    return {
        "site": site,
        "witness": witness,
        "photo": photo,
        "statement": statement,
        "report": report,
        "testimony": testimony,
        "witness_post": witness_post,
        "duplicate": duplicate,
        "incident": incident,
        "denial": denial,
        "account": account,
        "crop": crop,
        "redacted": redacted,
    }


def all_rows(case) -> dict[str, list[dict]]:
    with case.read() as connection:
        return {
            object_type: [
                dict(row)
                for row in connection.execute(select(table).order_by(table.c.id)).mappings()
            ]
            for object_type, table in AUDITED_TABLES.items()
        }


def ids(rows: dict, object_type: str) -> set:
    return {row["id"] for row in rows[object_type]}


def read_lines(bundle: Path, relative: str) -> list[dict]:
    path = bundle / "data" / relative
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def every_file_bytes(folder: Path) -> list[tuple[Path, bytes]]:
    return [(path, path.read_bytes()) for path in folder.rglob("*") if path.is_file()]


def rebag(bundle: Path) -> None:
    """Rewrites the manifests, as someone altering a bundle on purpose would."""
    bagit.Bag(str(bundle)).save(manifests=True)


@pytest.fixture
def built(case):
    return build_case(case)


@pytest.fixture
def creations(monkeypatch):
    """The case folders an import creates, so a test can check that a failure removed them."""
    made: list[tuple[Path, dict]] = []
    original = case_folder.create_case_folder

    def spy(folder, name, database_url, case_uid=None):
        description = original(folder, name, database_url, case_uid)
        made.append((Path(folder), description))
        return description

    monkeypatch.setattr(case_folder, "create_case_folder", spy)
    return made


def assert_nothing_left(made: list[tuple[Path, dict]], folder: Path) -> None:
    assert not folder.exists()
    url = os.environ.get("SITELINE_DATABASE_URL")
    for _folder, description in made:
        if description["database"]["backend"] == "postgresql":
            engine = create_engine(database.normalise_postgres_url(url))
            try:
                with engine.connect() as connection:
                    found = connection.execute(
                        text(
                            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"
                        ),
                        {"s": description["database"]["schema"]},
                    ).scalar()
            finally:
                engine.dispose()
            assert found == 0, f"schema {description['database']['schema']} was left behind"


# 1. The package.


def test_export_writes_a_valid_bag_with_every_part(case, built, tmp_path):
    bundle = tmp_path / "out" / "northgate-bundle"
    summary = bundles.export_bundle(case, bundle)

    bag = bagit.Bag(str(bundle))
    assert bag.validate()
    assert bag.algorithms == ["sha256"]
    data = bundle / "data"
    for object_type in AUDITED_TABLES:
        assert (data / "records" / f"{object_type}.jsonl").is_file(), object_type
    assert (data / "case.json").is_file()
    assert (data / "audit" / "chain.jsonl").is_file()
    assert "data/audit/chain.jsonl" in (data / "README.txt").read_text()
    description = json.loads((data / "case.json").read_text())
    assert description["format"] == "siteline-bundle"
    assert description["schema_revision"] == database.current_revision(case.engine)
    assert description["options"] == {"confidential": "omit", "public": False}
    assert bag.info["Siteline-Case-UID"] == case.uid
    assert bag.info["Siteline-Confidential"] == "omit"
    assert bag.info["Siteline-Public"] == "no"

    blob_rows = read_lines(bundle, "records/blob.jsonl")
    stored_names = sorted(path.name for path in (data / "blobs" / "sha256").iterdir())
    assert stored_names == sorted(row["stored_sha256"] for row in blob_rows)
    for name in stored_names:
        assert (data / "blobs" / "sha256" / name).read_bytes() == case.blobs.read(name)
    assert summary["blobs"] == len(stored_names)
    assert summary["records"]["evidence"] == len(read_lines(bundle, "records/evidence.jsonl"))
    assert summary["path"] == str(bundle)
    assert not [p for p in bundle.parent.iterdir() if p.name.endswith(".part")]

    chain = load_chain(case)
    last = chain[-1]
    assert (last["action"], last["object_type"], last["object_id"]) == (
        "export",
        "bundle",
        "northgate-bundle",
    )
    detail = json.loads(last["after"])
    assert detail["records"] == summary["records"]
    assert detail["tagmanifest_sha256"] == summary["tagmanifest_sha256"]
    assert len(read_lines(bundle, "audit/chain.jsonl")) == len(chain) - 1
    assert audit.verify(case).ok


# 2. The round trip, sealed.


def test_sealed_round_trip_restores_every_record_blob_and_entry(case, built, tmp_path, restore):
    bundle = tmp_path / "sealed-bundle"
    summary = bundles.export_bundle(case, bundle, confidential="sealed")
    assert summary["redacted_entries"] == 0
    assert sum(summary["omitted"].values()) == 0
    original_rows = all_rows(case)
    original_chain = load_chain(case)

    restored = restore(bundle)

    assert all_rows(restored) == original_rows
    for row in original_rows["blob"]:
        assert restored.blobs.read(row["stored_sha256"]) == case.blobs.read(row["stored_sha256"])
    restored_chain = load_chain(restored)
    exported = original_chain[:-1]  # the original's last entry records the export itself
    assert original_chain[-1]["action"] == "export"
    assert restored_chain[: len(exported)] == exported
    assert restored_chain[len(exported)]["action"] == "import"
    assert restored_chain[len(exported)]["actor"] == "importer"
    report = audit.verify(restored)
    assert report.ok, report.problems
    assert report.blobs == len(original_rows["blob"])

    testimony_id = built["testimony"]["id"]
    assert evidence.read_original(restored, testimony_id) == TESTIMONY.encode()
    assert evidence.get_evidence(restored, testimony_id, reveal=True)["text"] == TESTIMONY
    witness = sources.get_source(restored, built["witness"]["id"], reveal_identity=True)
    assert witness["identity"] == IDENTITY

    # The restored case goes on: new entries continue the imported chain.
    sites.add_site(restored, Site("Southgate Clinic", kind="clinic"))
    assert audit.verify(restored).ok


# 3. The default: confidential material stays behind.


def test_omit_leaves_confidential_items_and_dependants_out(case, built, tmp_path, restore):
    testimony, redacted = built["testimony"], built["redacted"]
    with case.read() as connection:
        testimony_blob = (
            connection.execute(select(blobs).where(blobs.c.id == testimony["blob_sha256"]))
            .mappings()
            .one()
        )
    ciphertext = case.blobs.read(testimony_blob["stored_sha256"])
    bundle = tmp_path / "bundle"
    summary = bundles.export_bundle(case, bundle)

    records = {t: read_lines(bundle, f"records/{t}.jsonl") for t in AUDITED_TABLES}
    assert testimony["id"] not in {row["id"] for row in records["evidence"]}
    assert {testimony["blob_sha256"], redacted["blob_sha256"]}.isdisjoint(
        row["id"] for row in records["blob"]
    )
    assert not (bundle / "data/blobs/sha256" / testimony_blob["stored_sha256"]).exists()
    assert redacted["id"] not in {row["id"] for row in records["derived"]}
    assert built["crop"]["id"] in {row["id"] for row in records["derived"]}
    assert testimony["id"] not in {row["evidence_id"] for row in records["link"]}
    assert len(records["link"]) == 2
    assert {row["id"] for row in records["claim"]} == {built["denial"]["id"]}
    assert not [
        row
        for row in records["custody"]
        if (row["object_type"], row["object_id"])
        in {("evidence", testimony["id"]), ("derived", redacted["id"])}
    ]
    # Restricted material and the (sealed) witness identity are kept in a non-public bundle.
    assert built["report"]["id"] in {row["id"] for row in records["evidence"]}
    assert built["witness"]["id"] in {row["id"] for row in records["source"]}
    assert summary["omitted"]["evidence"] == 1
    assert summary["omitted"]["derived"] == 1
    assert testimony["id"] not in {row["evidence_id"] for row in records["review"]}
    assert built["report"]["id"] in {row["evidence_id"] for row in records["review"]}

    chain = read_lines(bundle, "audit/chain.jsonl")
    of_testimony = [
        e for e in chain if (e["object_type"], e["object_id"]) == ("evidence", str(testimony["id"]))
    ]
    assert of_testimony and all(
        e["redacted"] and e["before"] is None and e["after"] is None for e in of_testimony
    )
    original = [
        e
        for e in load_chain(case)
        if (e["object_type"], e["object_id"]) == ("evidence", str(testimony["id"]))
    ]
    assert [e["after_sha256"] for e in of_testimony] == [e["after_sha256"] for e in original]
    assert summary["redacted_entries"] == sum(e["redacted"] for e in chain) > 0
    assert not [e for e in chain if e["object_type"] == "source" and e["redacted"]]

    secrets = [
        TESTIMONY.encode(),
        TESTIMONY.encode("unicode_escape"),
        ciphertext,
        testimony["sealed"].encode(),
        REDACTED_COPY,
    ]
    for path, content in every_file_bytes(bundle):
        for secret in secrets:
            assert secret not in content, f"{path} carries confidential material"

    restored = restore(bundle)
    report = audit.verify(restored)
    assert report.ok, report.problems
    with pytest.raises(NotFound):
        evidence.get_evidence(restored, testimony["id"])
    assert evidence.read_original(restored, built["photo"]["id"]) == PHOTO
    restored_chain = load_chain(restored)
    assert len(restored_chain) == len(chain) + 1


def test_items_sharing_an_original_with_a_left_out_item_go_with_it(case, tmp_path):
    shared = b"bytes first kept as public, later given again as restricted"
    public = evidence.add_evidence(
        case, EvidenceItem(kind="document", data=shared), Custody(method="upload")
    )
    evidence.delete_evidence(case, public["id"], "uploaded to the wrong case")
    restricted = evidence.add_evidence(
        case,
        EvidenceItem(kind="document", data=shared, sensitivity="restricted"),
        Custody(method="upload"),
    )
    assert restricted["blob_sha256"] == public["blob_sha256"]
    kept = evidence.add_evidence(
        case, EvidenceItem(kind="article", text="unrelated article"), Custody(method="upload")
    )
    bundle = tmp_path / "bundle"
    summary = bundles.export_bundle(case, bundle, public=True)

    evidence_ids = {row["id"] for row in read_lines(bundle, "records/evidence.jsonl")}
    assert evidence_ids == {kept["id"]}
    assert public["blob_sha256"] not in {
        row["id"] for row in read_lines(bundle, "records/blob.jsonl")
    }
    assert summary["omitted"]["evidence"] == 2
    for path, content in every_file_bytes(bundle):
        assert shared not in content, path


def test_confidential_option_is_checked(case, tmp_path):
    with pytest.raises(InvalidInput, match="confidential"):
        bundles.export_bundle(case, tmp_path / "b", confidential="plaintext")
    with pytest.raises(InvalidInput, match="public"):
        bundles.export_bundle(case, tmp_path / "b", confidential="sealed", public=True)
    assert not (tmp_path / "b").exists()


# 4. Public bundles.


def test_public_bundle_leaves_restricted_items_and_identities_out(
    case, built, tmp_path, case_dir, creations
):
    bundle = tmp_path / "public-bundle"
    summary = bundles.export_bundle(case, bundle, public=True)

    assert bagit.Bag(str(bundle)).validate()
    records = {t: read_lines(bundle, f"records/{t}.jsonl") for t in AUDITED_TABLES}
    kept_evidence = {row["id"] for row in records["evidence"]}
    assert kept_evidence == {
        built["photo"]["id"],
        built["statement"]["id"],
        built["duplicate"]["id"],
    }
    assert built["witness"]["id"] not in {row["id"] for row in records["source"]}
    assert not [row for row in records["source"] if row["identity_sealed"]]
    assert {row["evidence_id"] for row in records["link"]} == {built["photo"]["id"]}
    # Reviews of items left out stay behind with them: their checks say where and when.
    assert {row["evidence_id"] for row in records["review"]} == {built["photo"]["id"]}
    assert summary["omitted"]["review"] == 2
    assert summary["omitted"]["source"] == 1
    description = json.loads((bundle / "data/case.json").read_text())
    assert description["options"]["public"] is True
    assert bagit.Bag(str(bundle)).info["Siteline-Public"] == "yes"
    assert "PUBLIC" in (bundle / "data/README.txt").read_text()

    witness_sealed = built["witness"]["identity_sealed"].encode()
    for path, content in every_file_bytes(bundle):
        for secret in (witness_sealed, IDENTITY.encode(), RESTRICTED.encode(), TESTIMONY.encode()):
            assert secret not in content, f"{path} carries what a public bundle must not"

    folder = case_dir("from-public")
    with pytest.raises(BundleError, match="public bundle .* cannot be restored as a case"):
        bundles.import_bundle(bundle, folder)
    assert_nothing_left(creations, folder)


# 5. Bad input.


@pytest.fixture
def exported(case, built, tmp_path) -> Path:
    bundle = tmp_path / "bundle"
    bundles.export_bundle(case, bundle, confidential="sealed")
    return bundle


def test_an_altered_payload_file_is_named(exported, case_dir, creations):
    path = exported / "data/records/evidence.jsonl"
    path.write_text(path.read_text().replace("crater.png", "crater.jpg"))
    folder = case_dir("restored")
    with pytest.raises(BundleError) as raised:
        bundles.import_bundle(exported, folder)
    assert "data/records/evidence.jsonl: checksum does not match" in str(raised.value)
    assert_nothing_left(creations, folder)


def test_a_resized_payload_file_is_named(exported, case_dir, creations):
    with open(exported / "data/records/site.jsonl", "a") as handle:
        handle.write("\n")
    folder = case_dir("restored")
    with pytest.raises(BundleError, match=r"data/records/site\.jsonl: checksum does not match"):
        bundles.import_bundle(exported, folder)
    assert_nothing_left(creations, folder)


def test_a_removed_blob_file_is_named(exported, case_dir, creations):
    victim = sorted((exported / "data/blobs/sha256").iterdir())[0]
    victim.unlink()
    folder = case_dir("restored")
    with pytest.raises(BundleError) as raised:
        bundles.import_bundle(exported, folder)
    assert f"data/blobs/sha256/{victim.name}: missing" in str(raised.value)
    assert_nothing_left(creations, folder)


def test_a_folder_that_is_not_a_bag_is_refused(tmp_path, case_dir, creations):
    not_a_bag = tmp_path / "notes"
    not_a_bag.mkdir()
    (not_a_bag / "case.json").write_text("{}")
    folder = case_dir("restored")
    with pytest.raises(BundleError, match="notes: not a BagIt bundle"):
        bundles.import_bundle(not_a_bag, folder)
    with pytest.raises(BundleError, match="no such folder"):
        bundles.import_bundle(tmp_path / "absent", folder)
    assert_nothing_left(creations, folder)


def test_a_bag_that_is_not_a_siteline_bundle_is_refused(tmp_path, case_dir, creations):
    other = tmp_path / "other"
    other.mkdir()
    (other / "photo.jpg").write_bytes(b"jpeg")
    bagit.make_bag(str(other), checksums=["sha256"])
    folder = case_dir("restored")
    with pytest.raises(BundleError, match=r"data/case\.json: missing"):
        bundles.import_bundle(other, folder)
    assert_nothing_left(creations, folder)


def test_a_non_empty_destination_is_refused_untouched(exported, case_dir, creations):
    folder = case_dir("occupied")
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(BundleError, match="occupied: the folder exists and is not empty"):
        bundles.import_bundle(exported, folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "mine"
    assert creations == []


def test_an_empty_destination_folder_is_used_and_kept_on_failure(exported, case_dir, restore):
    folder = case_dir("empty")
    folder.mkdir()
    (exported / "data/records/site.jsonl").write_text("{broken\n")
    rebag(exported)
    with pytest.raises(BundleError, match=r"data/records/site\.jsonl line 1: not valid JSON"):
        bundles.import_bundle(exported, folder)
    assert folder.is_dir() and not any(folder.iterdir())


def test_export_to_an_existing_destination_fails_clearly(case, tmp_path):
    destination = tmp_path / "taken"
    destination.mkdir()
    (destination / "keep.txt").write_text("keep")
    before = load_chain(case)
    with pytest.raises(InvalidInput) as raised:
        bundles.export_bundle(case, destination)
    assert str(destination) in str(raised.value)
    assert "already exists" in str(raised.value)
    assert (destination / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".taken")) == []
    assert load_chain(case) == before  # a refused export is not recorded


# Bundles whose manifests were rewritten to match a change: the deeper checks catch them.


def test_a_record_altered_and_rebagged_does_not_match_its_audit_entry(
    exported, built, case_dir, creations
):
    path = exported / "data/records/incident.jsonl"
    rows = read_lines(exported, "records/incident.jsonl")
    rows[0]["killed"] = 0
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    rebag(exported)
    folder = case_dir("restored")
    with pytest.raises(BundleError) as raised:
        bundles.import_bundle(exported, folder)
    message = str(raised.value)
    assert "data/records/incident.jsonl line 1" in message
    assert f"incident {built['incident']['id']} differs from its record in audit entry" in message
    assert creations, "the check runs inside the new case, so the cleanup is exercised"
    assert_nothing_left(creations, folder)


def test_a_removed_record_is_caught(exported, built, case_dir, creations):
    path = exported / "data/records/claim.jsonl"
    rows = read_lines(exported, "records/claim.jsonl")
    path.write_text("".join(json.dumps(row) + "\n" for row in rows[1:]))
    rebag(exported)
    folder = case_dir("restored")
    with pytest.raises(BundleError, match=rf"claim {rows[0]['id']} is missing, though audit entry"):
        bundles.import_bundle(exported, folder)
    assert_nothing_left(creations, folder)


def test_an_altered_chain_is_refused(exported, case_dir, creations):
    path = exported / "data/audit/chain.jsonl"
    entries = read_lines(exported, "audit/chain.jsonl")
    entries[2]["actor"] = "someone else"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    rebag(exported)
    folder = case_dir("restored")
    with pytest.raises(BundleError) as raised:
        bundles.import_bundle(exported, folder)
    assert "data/audit/chain.jsonl line 3: audit entry #3" in str(raised.value)
    assert "does not match its hash" in str(raised.value)
    assert_nothing_left(creations, folder)


def test_a_chain_cut_short_is_refused(exported, case_dir, creations):
    path = exported / "data/audit/chain.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))
    rebag(exported)
    folder = case_dir("restored")
    with pytest.raises(BundleError, match=r"chain\.jsonl: ends at entry #\d+.*cut off"):
        bundles.import_bundle(exported, folder)
    assert_nothing_left(creations, folder)


def test_a_redacted_entry_that_carries_a_record_is_refused(exported, case_dir, creations):
    path = exported / "data/audit/chain.jsonl"
    entries = read_lines(exported, "audit/chain.jsonl")
    entries[1]["redacted"] = True
    entries[1]["after"] = entries[1]["after"].replace("Northgate", "Southgate")
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    rebag(exported)
    folder = case_dir("restored")
    with pytest.raises(BundleError, match="line 2: audit entry #2 .*marked redacted yet"):
        bundles.import_bundle(exported, folder)
    assert_nothing_left(creations, folder)


def test_a_malformed_line_is_named_with_its_number(exported, case_dir, creations):
    path = exported / "data/records/evidence.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = '{"id": 2, "kind": \n'
    path.write_text("".join(lines))
    rebag(exported)
    folder = case_dir("restored")
    with pytest.raises(BundleError, match=r"data/records/evidence\.jsonl line 2: not valid JSON"):
        bundles.import_bundle(exported, folder)
    assert_nothing_left(creations, folder)


def test_a_newer_schema_revision_is_refused(exported, case_dir, creations):
    path = exported / "data/case.json"
    description = json.loads(path.read_text())
    description["schema_revision"] = "9999_from_the_future"
    path.write_text(json.dumps(description))
    rebag(exported)
    folder = case_dir("restored")
    with pytest.raises(BundleError, match="9999_from_the_future.*newer Siteline"):
        bundles.import_bundle(exported, folder)
    assert_nothing_left(creations, folder)


def test_a_blob_file_that_does_not_match_its_name_is_refused(exported, case_dir, creations):
    victim = sorted((exported / "data/blobs/sha256").iterdir())[0]
    victim.write_bytes(b"something else entirely")
    rebag(exported)
    folder = case_dir("restored")
    with pytest.raises(BundleError, match=rf"data/blobs/sha256/{victim.name}: its content hashes"):
        bundles.import_bundle(exported, folder)
    assert_nothing_left(creations, folder)


def test_a_wrong_key_is_refused_before_anything_is_written(exported, tmp_path, case_dir, creations):
    from siteline.keys import write_new_key

    other_key = tmp_path / "other.key"
    write_new_key(other_key)
    folder = case_dir("restored")
    with pytest.raises(CaseError, match="not the key of the case in this bundle"):
        bundles.import_bundle(exported, folder, key_file=other_key)
    assert creations == []
    assert not folder.exists()


def test_export_refuses_a_case_whose_original_was_altered(case, built, tmp_path):
    stored = case.blobs.path_for(built["photo"]["blob_sha256"])
    stored.chmod(0o644)
    stored.write_bytes(b"not the photo any more")
    before = load_chain(case)
    with pytest.raises(CaseError, match=rf"{stored.name}: altered"):
        bundles.export_bundle(case, tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bundle")]
    assert load_chain(case) == before


def test_ingested_material_round_trips_with_its_relations_and_places(case, tmp_path, restore):
    from siteline.services.gazetteer import import_gazetteer
    from siteline.services.ingest_posts import ingest_exports

    fixtures = Path(__file__).parent / "fixtures"
    ingest_exports(case, [fixtures / "exports" / "telegram" / "channel"], "telegram")
    gazetteer = tmp_path / "places.csv"
    gazetteer.write_text(
        "id,name_en,name_ar,latitude,longitude,parent_id,parent_name_en,is_governorate\n"
        "1,Eastgate,,14.05,-33.2,1,Eastgate,True\n"
    )
    import_gazetteer(case, gazetteer)
    original_rows = all_rows(case)
    assert original_rows["relation"] and original_rows["place"]
    bundle = tmp_path / "ingested-bundle"
    bundles.export_bundle(case, bundle, confidential="sealed")
    restored = restore(bundle)
    assert all_rows(restored) == original_rows
    assert audit.verify(restored).ok


def test_an_article_left_out_takes_its_posts_and_their_relations_with_it(case, tmp_path, restore):
    from siteline.services.ingest_articles import ingest_articles

    first = Path(__file__).parent / "fixtures" / "articles" / "card_form.txt"
    again = tmp_path / "card_form_reprinted.txt"  # the same post, embedded by another article
    again.write_bytes(first.read_bytes() + b"\nReprinted with a note from the desk.\n")
    ingest_articles(case, [first])
    ingest_articles(case, [again])
    articles = evidence.list_evidence(case, kind="article")
    posts = evidence.list_evidence(case, kind="social_post")
    assert len(articles) == 2 and len(posts) == 1 and posts[0]["within_id"] == articles[0]["id"]
    embedded = [(row["evidence_id"], row["related_id"]) for row in all_rows(case)["relation"]]
    assert embedded == [(posts[0]["id"], articles[1]["id"])]
    with case.write() as writing:  # as if the first article had come in confidential
        writing.update("evidence", articles[0]["id"], {"sensitivity": "confidential"})
    bundle = tmp_path / "without-the-first-article"
    summary = bundles.export_bundle(case, bundle, confidential="omit")
    assert summary["omitted"]["evidence"] == 2 and summary["omitted"]["relation"] == 1
    restored = restore(bundle)
    assert [item["id"] for item in evidence.list_evidence(restored)] == [articles[1]["id"]]
    assert all_rows(restored)["relation"] == []
    assert audit.verify(restored).ok
