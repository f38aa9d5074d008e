"""The canonical PDQ pipeline on photos of our own making: close to the reference
implementation's hash of the full image, the same on every run, mirrored and rotated copies
found through the dihedral hashes, flat images flagged, and bad files refused by name."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pdqhash
import pytest
from PIL import Image

from siteline.errors import InvalidInput
from siteline.media import pdq
from siteline.media.photo_metadata import claimed_capture_time, read_photo_metadata
from siteline.media.synthetic import scene


def encoded(pixels: np.ndarray, fmt: str = "JPEG", **options) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt, **options)
    return out.getvalue()


def reference_hex(data: bytes) -> str:
    """What the reference implementation hashes: the whole image, decoded in full."""
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    return pdq.vector_to_hex(pdqhash.compute(pixels)[0])


@pytest.mark.parametrize("size", [(640, 480), (1600, 1200), (300, 200)])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_the_pipeline_stays_close_to_the_reference_hash_of_the_full_image(size, fmt):
    for seed in range(3):
        data = encoded(scene(seed, *size), fmt)
        hashed = pdq.hash_image_bytes(data, "scene")
        assert len(hashed.hex) == 64 and hashed.pipeline == pdq.PIPELINE
        assert pdq.hex_distance(hashed.hex, reference_hex(data)) <= 16
        if pdq.reduction_factor(*size) == 1:  # nothing made smaller: the reference exactly
            assert hashed.hex == reference_hex(data)
        assert min(hashed.width, hashed.height) >= min(pdq.MIN_SIDE, *size)


def test_hashes_are_the_same_every_time_and_differ_between_scenes():
    first = [pdq.hash_image_bytes(encoded(scene(seed)), "a").hex for seed in range(6)]
    again = [pdq.hash_image_bytes(encoded(scene(seed)), "a").hex for seed in range(6)]
    assert first == again
    distances = [pdq.hex_distance(a, b) for i, a in enumerate(first) for b in first[i + 1 :]]
    assert min(distances) > 31


def test_a_reencoded_copy_is_near_and_mirrored_or_rotated_copies_meet_a_dihedral_hash():
    pixels = scene(7)
    original = pdq.hash_image_bytes(encoded(pixels), "original", dihedral=True)
    assert len(original.dihedral) == 8 and original.dihedral[0] == original.hex
    reencoded = pdq.hash_image_bytes(encoded(pixels, quality=40), "copy")
    assert pdq.hex_distance(original.hex, reencoded.hex) <= 31
    for turned in (pixels[:, ::-1], np.rot90(pixels), pixels[::-1]):
        copy = pdq.hash_image_bytes(encoded(np.ascontiguousarray(turned)), "turned")
        assert pdq.hex_distance(original.hex, copy.hex) > 31  # plain PDQ misses it
        assert min(pdq.hex_distance(h, copy.hex) for h in original.dihedral) <= 31


def test_a_flat_image_is_hashed_but_flagged_as_not_matchable():
    flat = pdq.hash_image_bytes(encoded(np.full((300, 400, 3), 128, np.uint8), "PNG"), "grey")
    assert flat.quality < pdq.QUALITY_FLOOR and not flat.matchable
    assert pdq.hash_image_bytes(encoded(scene(1)), "scene").matchable


def test_bad_images_are_refused_with_the_file_named():
    data = encoded(scene(2))
    with pytest.raises(InvalidInput, match="^cut.jpg: .*truncated or damaged"):
        pdq.hash_image_bytes(data[: len(data) // 3], "cut.jpg")
    with pytest.raises(InvalidInput, match="^empty.png: the file is empty"):
        pdq.hash_image_bytes(b"", "empty.png")
    with pytest.raises(InvalidInput, match="^notes.jpg: not an image"):
        pdq.hash_image_bytes(b"these are notes, not a photo", "notes.jpg")


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded():
    bomb = encoded(np.zeros((8, 8), np.uint8), "PNG")
    # The same tiny file with its header claiming 100,000 × 100,000 pixels.
    header = bytearray(bomb)
    header[16:24] = (100_000).to_bytes(4, "big") * 2
    header[29:33] = zlib.crc32(bytes(header[12:29])).to_bytes(4, "big")  # IHDR's checksum
    with pytest.raises(InvalidInput, match="^bomb.png: .*(decompression bomb)"):
        pdq.hash_image_bytes(bytes(header), "bomb.png")


def test_exif_claims_are_read_as_claims_and_bad_values_left_out():
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Example", "Phone 1"
    exif.get_ifd(0x8769)[0x9003] = "2024:03:05 14:22:10"
    exif.get_ifd(0x8769)[0x9011] = "+02:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (36.0, 12.0, 30.0), "E", (37.0, 9.0, 0.0)
    image = Image.open(io.BytesIO(encoded(scene(3), exif=exif)))
    found = read_photo_metadata(image)
    assert found["camera_make"] == "Example" and found["camera_model"] == "Phone 1"
    assert found["claimed_time"]["text"] == "2024-03-05T14:22:10+02:00"
    assert claimed_capture_time(found).stored == "2024-03-05T12:22:10Z"
    assert found["claimed_location"] == pytest.approx(
        {"lat": 36.2083333, "lon": 37.15, "source": "EXIF GPS"}
    )
    no_zone = Image.Exif()
    no_zone.get_ifd(0x8769)[0x9003] = "2024:03:05 23:50:00"
    no_zone.get_ifd(0x8825).update({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (37.0, 0.0, 0.0)})
    found = read_photo_metadata(Image.open(io.BytesIO(encoded(scene(3), exif=no_zone))))
    assert found["claimed_time"]["offset"] is None
    assert claimed_capture_time(found).stored == "2024-03-05T00:00:00Z"  # the day only
    assert "claimed_location" not in found and found["ignored"] == [
        "GPS position is not a real place"
    ]
