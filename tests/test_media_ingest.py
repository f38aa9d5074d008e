"""Photos into a case: originals kept, EXIF claims recorded as claims, hashes and
thumbnails stored, bad files named and nothing of them stored, runs that carry on after an
interruption without adding anything twice, and the same job on a local Dask cluster."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select

from siteline.cli import cli
from siteline.media import pdq
from siteline.media.synthetic import scene
from siteline.services import audit, cases, evidence, media_ingest
from siteline.services.media_ingest import ingest_media
from siteline.store.schema import derived_items, media_hashes


def write_photo(path, seed: int, exif: Image.Exif | None = None, size=(640, 480)):
    Image.fromarray(scene(seed, *size)).save(path, "JPEG", quality=90, exif=exif or Image.Exif())
    return path


def with_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0110] = "Phone 1"
    exif.get_ifd(0x8769)[0x9003] = "2024:03:05 14:22:10"
    exif.get_ifd(0x8769)[0x9011] = "+02:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (36.0, 12.0, 30.0), 3: "E", 4: (37.0, 9.0, 0.0)})
    return exif


def stored_hashes(case) -> list[dict]:
    with case.read() as connection:
        return [dict(row) for row in connection.execute(select(media_hashes)).mappings()]


def test_a_folder_of_photos_is_kept_with_claims_hashes_and_thumbnails(case, tmp_path):
    folder = tmp_path / "photos"
    (folder / "day2").mkdir(parents=True)
    first = write_photo(folder / "ward.jpg", 1, with_exif())
    write_photo(folder / "day2" / "street.JPG", 2)
    (folder / "notes.txt").write_text("not media: passed over in a folder")
    report = ingest_media(case, [folder], workers=1)
    assert report.ok and (report.files, report.added, report.unchanged) == (2, 2, 0)
    items = evidence.list_evidence(case, kind="photo")
    ward = next(item for item in items if item["title"] == "ward.jpg")
    assert evidence.read_original(case, ward["id"]) == first.read_bytes()
    assert ward["captured_at"] == "2024-03-05T12:22:10Z"
    assert (ward["claimed_lat"], ward["claimed_lon"]) == pytest.approx((36.2083333, 37.15))
    assert ward["verification_status"] == "collected" and ward["verified_lat"] is None
    details = json.loads(ward["details"])["media"]
    assert details["camera_model"] == "Phone 1" and details["claimed_time"]["source"]
    hashes = [row for row in stored_hashes(case) if row["evidence_id"] == ward["id"]]
    assert sorted(row["variant"] for row in hashes) == ["inner10", "lower85", "upper85", "whole"]
    whole = next(row for row in hashes if row["variant"] == "whole")
    expected = pdq.hash_image_bytes(first.read_bytes(), "ward.jpg")
    assert (whole["pdq"], whole["quality"], whole["pipeline"]) == (
        expected.hex, expected.quality, pdq.PIPELINE,
    )  # fmt: skip
    with case.read() as connection:
        thumbnail = connection.execute(
            select(derived_items).where(derived_items.c.evidence_id == ward["id"])
        ).mappings().one()  # fmt: skip
    assert thumbnail["kind"] == "thumbnail"
    preview = Image.open(io.BytesIO(case.blobs.read(thumbnail["blob_sha256"])))
    assert preview.format == "JPEG" and max(preview.size) == 320
    assert audit.verify(case).ok


def test_running_again_adds_nothing_and_a_new_file_is_added(case, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(3):
        write_photo(folder / f"p{seed}.jpg", seed)
    assert ingest_media(case, [folder], workers=1).added == 3
    write_photo(folder / "p9.jpg", 9)
    again = ingest_media(case, [folder], workers=1)
    assert (again.added, again.unchanged) == (1, 3)
    assert len(evidence.list_evidence(case, kind="photo")) == 4


def test_a_run_cut_short_keeps_finished_batches_and_the_next_run_carries_on(
    case, tmp_path, monkeypatch
):
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(7):
        write_photo(folder / f"p{seed}.jpg", seed, size=(320, 240))
    monkeypatch.setattr(media_ingest, "BATCH", 2)
    stored = media_ingest._store_batch
    calls = []

    def interrupted_on_the_third_batch(case_, readings, report, matcher):
        calls.append(len(readings))
        if len(calls) == 3:
            raise KeyboardInterrupt
        stored(case_, readings, report, matcher)

    monkeypatch.setattr(media_ingest, "_store_batch", interrupted_on_the_third_batch)
    cut = ingest_media(case, [folder], workers=1)
    assert cut.interrupted and cut.added == 4 and not cut.ok
    monkeypatch.setattr(media_ingest, "_store_batch", stored)
    resumed = ingest_media(case, [folder], workers=1)
    assert (resumed.added, resumed.unchanged) == (3, 4) and resumed.ok
    photos = evidence.list_evidence(case, kind="photo")
    assert sorted(item["title"] for item in photos) == [f"p{seed}.jpg" for seed in range(7)]
    assert audit.verify(case).ok


def test_bad_files_are_named_and_nothing_of_them_stored_while_the_rest_is_kept(case, tmp_path):
    good = write_photo(tmp_path / "good.jpg", 4)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:5000])
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "photo.mp4").write_bytes(good.read_bytes())
    (tmp_path / "text.jpg").write_text("not a photo")
    names = ["good.jpg", "cut.jpg", "empty.png", "photo.mp4", "text.jpg"]
    report = ingest_media(case, [tmp_path / name for name in names], workers=1)
    assert report.added == 1 and not report.ok
    problems = "\n".join(report.problems)
    assert "cut.jpg: a truncated or damaged image" in problems
    assert "empty.png: the file is empty" in problems
    assert "photo.mp4: the name says video (.mp4) but the content is a JPEG image" in problems
    assert "text.jpg: the name says image (.jpg) but the content is not one" in problems
    assert [item["title"] for item in evidence.list_evidence(case, kind="photo")] == ["good.jpg"]
    assert {row["evidence_id"] for row in stored_hashes(case)} == {report.item_ids[0]}


def test_the_command_reads_photos_on_every_core_and_reports_problems(case, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(4):
        write_photo(folder / f"p{seed}.jpg", seed, size=(320, 240))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    case.close()
    result = CliRunner().invoke(
        cli, ["-C", str(case.folder), "ingest", "media", str(folder), "--workers", "2", "--json"]
    )
    assert result.exit_code == 8, result.output
    summary = json.loads(result.stdout)
    assert (summary["files"], summary["added"]) == (5, 4)
    assert "broken.png" in summary["problems"][0]
    assert "5/5 files read, 4 added" in result.stderr
    again = cases.open_case(case.folder)
    try:
        assert len(evidence.list_evidence(again, kind="photo")) == 4
    finally:
        again.close()


def test_the_same_job_runs_on_a_local_dask_cluster(case, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(3):
        write_photo(folder / f"p{seed}.jpg", seed, size=(320, 240))
    report = ingest_media(case, [folder], scheduler="local", workers=2)
    assert report.ok and report.added == 3
    on_one_core = [
        pdq.hash_image_bytes((folder / f"p{seed}.jpg").read_bytes(), "p").hex for seed in range(3)
    ]
    whole = sorted(row["pdq"] for row in stored_hashes(case) if row["variant"] == "whole")
    assert whole == sorted(on_one_core)


def test_a_missing_path_is_refused_before_anything_is_read(case, tmp_path):
    with pytest.raises(Exception, match="no such file or folder"):
        ingest_media(case, [tmp_path / "absent"], workers=1)
    assert np.array_equal(evidence.list_evidence(case, kind="photo"), [])


def test_a_scheduler_that_is_not_an_address_is_refused_and_nothing_stored(case, tmp_path):
    write_photo(tmp_path / "p.jpg", 1, size=(320, 240))
    with pytest.raises(Exception, match="--scheduler: no Dask scheduler at nowhere"):
        ingest_media(case, [tmp_path], scheduler="nowhere")
    assert evidence.list_evidence(case, kind="photo") == []
