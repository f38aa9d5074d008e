"""What a photo's own metadata claims: when and where it was taken, and with what.

EXIF is written by the camera or phone, or by anyone who edits the file afterwards: every
value here is a claim, recorded as claimed and never as verified. Values that cannot be
true (a latitude beyond 90°, a month 13, a zero denominator) are left out and named in
`ignored`, never guessed at.

A camera's clock has no time zone unless the file says so (OffsetTimeOriginal): without
one, the claimed time is kept as the camera wrote it, and only its day is offered as the
time of capture, since the zone could move the instant by up to fourteen hours.
"""

from __future__ import annotations

import math
import re

from PIL import Image

from siteline.domain.values import FuzzyTime, Location, LocationPrecision
from siteline.errors import InvalidInput

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
MAKE, MODEL, SOFTWARE, ORIENTATION, DATE_TIME = 0x010F, 0x0110, 0x0131, 0x0112, 0x0132
DATE_TIME_ORIGINAL, DATE_TIME_DIGITIZED, OFFSET_TIME_ORIGINAL = 0x9003, 0x9004, 0x9011
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4
GPS_ALT_REF, GPS_ALT = 5, 6
EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")
MAX_TEXT = 200  # characters kept of a free-text tag


def read_photo_metadata(image: Image.Image) -> dict:
    """The claims in an opened image's EXIF, and its format and size, as a JSON-ready dict."""
    width, height = image.size
    found: dict = {"format": image.format, "width": width, "height": height, "ignored": []}
    try:
        exif = image.getexif()
        details = exif.get_ifd(EXIF_IFD)
        gps = exif.get_ifd(GPS_IFD)
    except Exception as error:  # a damaged EXIF block must not cost the photo  # noqa: BLE001
        found["ignored"].append(f"EXIF could not be read ({type(error).__name__})")
        return found
    _camera(exif, found)
    _claimed_time(exif, details, found)
    _claimed_location(gps, found)
    if not found["ignored"]:
        del found["ignored"]
    return found


def claimed_capture_time(metadata: dict) -> FuzzyTime | None:
    """The time of capture the metadata offers: the instant when the zone is known,
    otherwise only the day."""
    claimed = metadata.get("claimed_time")
    if not claimed:
        return None
    text = claimed["text"] if claimed.get("offset") else claimed["text"][:10]
    try:
        return FuzzyTime.parse(text, "claimed time")
    except InvalidInput:
        return None


def claimed_location(metadata: dict) -> Location | None:
    where = metadata.get("claimed_location")
    if not where:
        return None
    return Location(where["lat"], where["lon"], LocationPrecision.EXACT)


def _camera(exif, found: dict) -> None:
    for tag, key in ((MAKE, "camera_make"), (MODEL, "camera_model"), (SOFTWARE, "software")):
        value = _text(exif.get(tag))
        if value:
            found[key] = value
    orientation = exif.get(ORIENTATION)
    if isinstance(orientation, int) and 1 <= orientation <= 8:
        found["orientation"] = orientation


def _claimed_time(exif, details, found: dict) -> None:
    changed = _text(exif.get(DATE_TIME))
    if changed:  # when the file was last changed, by the camera or an editor: not a capture
        found["file_changed"] = changed
    written = _text(details.get(DATE_TIME_ORIGINAL)) or _text(details.get(DATE_TIME_DIGITIZED))
    if not written:
        return
    match = EXIF_TIME.match(written)
    if not match:
        found["ignored"].append(f"capture time {written!r} is not an EXIF time")
        return
    year, month, day, hour, minute, second = match.groups()
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second}"
    offset = _text(details.get(OFFSET_TIME_ORIGINAL))
    if offset and OFFSET.match(offset):
        text += offset
    else:
        offset = None
    try:
        FuzzyTime.parse(text, "claimed time")
    except InvalidInput:
        found["ignored"].append(f"capture time {written!r} is not a real time")
        return
    source = (
        "EXIF DateTimeOriginal" if details.get(DATE_TIME_ORIGINAL) else "EXIF DateTimeDigitized"
    )
    found["claimed_time"] = {"text": text, "offset": offset, "source": source}
    if offset is None:
        found["claimed_time"]["note"] = "camera clock, time zone not given"


def _claimed_location(gps, found: dict) -> None:
    if not gps or GPS_LAT not in gps or GPS_LON not in gps:
        return
    lat = _degrees(gps.get(GPS_LAT), gps.get(GPS_LAT_REF), "SN")
    lon = _degrees(gps.get(GPS_LON), gps.get(GPS_LON_REF), "WE")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        found["ignored"].append("GPS position is not a real place")
        return
    where = {"lat": round(lat, 7), "lon": round(lon, 7), "source": "EXIF GPS"}
    altitude = _number(gps.get(GPS_ALT))
    if altitude is not None and abs(altitude) < 100_000:
        below = gps.get(GPS_ALT_REF) in (1, b"\x01")
        where["altitude_m"] = round(-altitude if below else altitude, 2)
    found["claimed_location"] = where


def _degrees(parts, reference, negative_positive: str) -> float | None:
    """Degrees, minutes, seconds and the hemisphere letter as signed decimal degrees."""
    try:
        degrees, minutes, seconds = (_number(part) for part in parts)
    except (TypeError, ValueError):
        return None
    if None in (degrees, minutes, seconds):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    letter = _text(reference)
    if letter and letter[:1].upper() == negative_positive[0]:
        value = -value
    elif letter and letter[:1].upper() != negative_positive[1]:
        return None
    return value


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _text(value) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch.isprintable()).strip().strip("\x00")
    return cleaned[:MAX_TEXT] or None
