"""Near-duplicates in a case: re-encoded, mirrored and rotated copies found, unrelated photos
not, clusters with the copy seen first by its time, flat pictures never matched, and the
commands that show them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from siteline.cli import cli
from siteline.errors import InvalidInput, NotFound
from siteline.media.synthetic import scene
from siteline.services.media_ingest import ingest_media
from siteline.services.media_match import clusters, near_duplicates


def save(path, pixels, when: str | None = None, quality: int = 90):
    exif = Image.Exif()
    if when:
        exif.get_ifd(0x8769)[0x9003] = when
        exif.get_ifd(0x8769)[0x9011] = "+00:00"
    Image.fromarray(np.ascontiguousarray(pixels)).save(path, "JPEG", quality=quality, exif=exif)
    return path


@pytest.fixture
def copies(case, tmp_path):
    """An original, three copies of it taken later, and two unrelated photos."""
    original = scene(21)
    save(tmp_path / "a-original.jpg", original, "2024:03:05 10:00:00")
    save(tmp_path / "b-reencoded.jpg", original, "2024:03:06 09:00:00", quality=35)
    save(tmp_path / "c-mirrored.jpg", original[:, ::-1], "2024:03:07 09:00:00")
    save(tmp_path / "d-rotated.jpg", np.rot90(original), None)
    save(tmp_path / "e-other.jpg", scene(22), "2024:03:01 08:00:00")
    save(tmp_path / "f-flat.jpg", np.full((480, 640, 3), 90, np.uint8), "2024:03:01 08:00:00")
    save(tmp_path / "g-flat.jpg", np.full((480, 640, 3), 91, np.uint8), "2024:03:01 08:00:00")
    report = ingest_media(case, [tmp_path], workers=1)
    assert report.ok and report.added == 7
    return dict(zip("abcdefg", report.item_ids, strict=True))


def test_every_copy_is_found_and_nothing_else(case, copies):
    found = near_duplicates(case, copies["a"])
    matched = {match["evidence_id"]: match for match in found["matches"]}
    assert set(matched) == {copies["b"], copies["c"], copies["d"]}
    assert matched[copies["b"]]["variant"] == "whole" and matched[copies["b"]]["distance"] <= 31
    # The mirrored copy came later: one of its mirror images met the original's whole.
    assert matched[copies["c"]]["matched_variant"].startswith("whole/flip")
    assert matched[copies["c"]]["variant"] == "whole"
    distances = [match["distance"] for match in found["matches"]]
    assert distances == sorted(distances)
    # From the mirrored copy's side, the original is found through its dihedral hashes.
    back = near_duplicates(case, copies["c"])["matches"]
    assert copies["a"] in {match["evidence_id"] for match in back}
    assert near_duplicates(case, copies["e"])["matches"] == []
    assert near_duplicates(case, copies["f"])["matches"] == []  # flat: never matched


def test_a_cluster_names_the_copy_seen_first_and_what_its_time_rests_on(case, copies):
    found = clusters(case)
    assert len(found) == 1
    cluster = found[0]
    members = [item["evidence_id"] for item in cluster["items"]]
    assert sorted(members) == sorted(copies[key] for key in "abcd")
    assert cluster["first_seen"] == copies["a"]
    assert cluster["first_seen_time"] == "2024-03-05T10:00:00Z"
    assert cluster["first_seen_basis"] == "captured"
    assert members[:3] == [copies["a"], copies["b"], copies["c"]]  # in order of time
    assert cluster["undated"] == [copies["d"]]


def test_a_tighter_radius_drops_the_far_copies_and_bad_radii_are_refused(case, copies):
    strict = near_duplicates(case, copies["a"], radius=0)["matches"]
    loose = near_duplicates(case, copies["a"], radius=31)["matches"]
    assert len(strict) < len(loose)
    assert all(match["distance"] == 0 for match in strict)
    with pytest.raises(InvalidInput, match="--radius"):
        clusters(case, radius=99)
    with pytest.raises(NotFound):
        near_duplicates(case, 9999)


def test_the_commands_show_matches_and_clusters(case, copies):
    case.close()
    folder = str(case.folder)
    shown = CliRunner().invoke(cli, ["-C", folder, "media", "matches", str(copies["a"])])
    assert shown.exit_code == 0, shown.output
    assert "b-reencoded.jpg" in shown.output and "e-other.jpg" not in shown.output
    listed = CliRunner().invoke(cli, ["-C", folder, "media", "clusters", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)[0]["first_seen"] == copies["a"]
    text = CliRunner().invoke(cli, ["-C", folder, "media", "clusters"])
    assert f"first seen #{copies['a']} at 2024-03-05T10:00:00Z (captured)" in text.output


def test_a_public_bundle_carries_no_hash_or_match_of_a_restricted_photo(case, copies, tmp_path):
    from siteline.services import bundles

    with case.write() as writing:  # as an analyst restricts it later
        writing.update("evidence", copies["b"], {"sensitivity": "restricted"})
    bundle = tmp_path / "public"
    bundles.export_bundle(case, bundle, public=True)

    def rows(kind: str) -> list[dict]:
        path = bundle / "data" / "records" / f"{kind}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    hashed = {row["evidence_id"] for row in rows("hash")}
    assert copies["a"] in hashed and copies["b"] not in hashed
    matched = rows("match")
    assert matched and all(copies["b"] not in (r["evidence_id"], r["matched_id"]) for r in matched)


def telegram_export(folder, channel: str, pixels, when: str, seconds: int):
    """A one-message Telegram channel export whose message carries a photo."""
    (folder / "photos").mkdir(parents=True)
    Image.fromarray(np.ascontiguousarray(pixels)).save(folder / "photos" / "p.jpg", quality=85)
    message = {
        "id": 2, "type": "message", "date": when, "date_unixtime": str(seconds),
        "from": channel, "from_id": "channel42", "photo": "photos/p.jpg",
        "text": "After the strike.", "text_entities": [],
    }  # fmt: skip
    export = {"name": channel, "type": "public_channel", "id": 42, "messages": [message]}
    (folder / "result.json").write_text(json.dumps(export))
    return folder


def test_photos_of_platform_exports_are_matched_with_their_posts_times(case, tmp_path):
    from siteline.services.ingest_posts import ingest_exports

    original = scene(31)
    first = telegram_export(tmp_path / "a", "First Channel", original, "2019-03-12T10:00:00",
                            1552384800)  # fmt: skip
    height, width = original.shape[:2]
    cropped = original[height // 20 : -height // 20, width // 20 : -width // 20]  # 5 %
    later = telegram_export(tmp_path / "b", "Second Channel", cropped, "2019-03-13T08:00:00",
                            1552464000)  # fmt: skip
    for folder in (later, first):  # the copy comes in first
        assert ingest_exports(case, [folder], "telegram").ok
    [cluster] = clusters(case)
    photos = {item["title"].split(",")[0]: item for item in cluster["items"]}
    assert len(cluster["items"]) == 2 and cluster["first_seen_basis"] == "published"
    assert cluster["first_seen_time"] == "2019-03-12T10:00:00Z"
    assert all(item["time_basis"] == "published" for item in photos.values())


def test_the_match_radius_is_set_at_ingest_and_can_only_be_narrowed_after(case, tmp_path):
    from siteline.media import robust

    original = scene(41)
    first = save(tmp_path / "a.jpg", original, "2024:03:05 10:00:00")
    height, width = original.shape[:2]
    copy = save(
        tmp_path / "b.jpg", original[height // 20 : -height // 20, width // 20 : -width // 20]
    )
    closest = robust.best_match(
        robust.hash_set(copy.read_bytes(), "b"), robust.hash_set(first.read_bytes(), "a"), 64
    )
    assert 2 < closest.distance <= 31  # a cropped copy: near, but not within 2 bits
    kept = ingest_media(case, [first], workers=1)
    strict = ingest_media(case, [copy], workers=1, match_radius=2)
    assert strict.added == 1 and strict.matches == 0
    found = near_duplicates(case, kept.item_ids[0])
    assert found["radius"] == 2 and found["matches"] == []
    with pytest.raises(InvalidInput, match="searched up to 2 bits"):
        near_duplicates(case, kept.item_ids[0], radius=31)
    with pytest.raises(InvalidInput, match="--match-radius"):
        ingest_media(case, [first], workers=1, match_radius=65)
