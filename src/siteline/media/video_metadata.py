"""What a video file says of itself: its container, streams and codecs, and what it claims.

Times, places and camera names in a video's tags are written by the phone or camera, or by
any program that touched the file afterwards: every one is recorded as claimed
(`claimed_time`, `claimed_location`), never as verified, with the tag it came from. Values
that cannot be true (a latitude beyond 90°, a time that is not a time, the zero time of the
QuickTime or Unix clock) are left out and named in `ignored`.

Which time is claimed, first found first:
- `com.apple.quicktime.creationdate`: local time with its zone, written by iPhones;
- `creation_time` of the file, then of the video stream: UTC by the QuickTime and Matroska
  rules, although some Android phones write their local time there;
Which place: `com.apple.quicktime.location.ISO6709`, then `location` (the QuickTime ©xyz
tag, written by iPhones and Android phones), both ISO 6709 text such as "+33.5138+036.2765/".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput

MAX_TEXT = 200  # characters kept of a free-text tag
MAX_TAGS = 40  # tags kept of the file's own; the rest are counted
TIME_TAGS = ("com.apple.quicktime.creationdate", "creation_time")  # tags compared in lower case
LOCATION_TAGS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")
CAMERA_TAGS = {
    "camera_make": ("com.apple.quicktime.make", "com.android.manufacturer", "make"),
    "camera_model": ("com.apple.quicktime.model", "com.android.model", "model"),
    "software": ("com.apple.quicktime.software", "com.android.version", "software"),
    "encoder": ("encoder",),  # the program that wrote the file, e.g. "Lavf…" for FFmpeg
}
ZERO_TIMES = ("1904-01-01T00:00:00", "1970-01-01T00:00:00")  # an unset clock, not a claim
# ISO 6709 as phones write it: latitude ±DD, ±DDMM or ±DDMMSS, longitude ±DDD, ±DDDMM or
# ±DDDMMSS, each with decimals, then an optional altitude in metres and "/".
ISO_6709 = re.compile(
    r"^(?P<lat>[+-]\d{2}(?:\d{2}){0,2}(?:\.\d+)?)(?P<lon>[+-]\d{3}(?:\d{2}){0,2}(?:\.\d+)?)"
    r"(?P<alt>[+-]\d+(?:\.\d+)?)?(?:CRS[A-Za-z0-9_:]*)?/?$"
)
MEDIA_TYPES = {
    "avi": "video/x-msvideo",
    "mpegts": "video/mp2t",
    "mpeg": "video/mpeg",
    "asf": "video/x-ms-asf",
    "flv": "video/x-flv",
    "ogg": "video/ogg",
}
WEBM_VIDEO, WEBM_AUDIO = {"vp8", "vp9", "av1"}, {"opus", "vorbis"}


def describe_container(container, stream) -> dict:
    """The container's and streams' facts and the tags' claims, as a JSON-ready dict."""
    context = stream.codec_context
    found: dict = {
        "format": container.format.name,
        "duration_s": _seconds(container.duration, 1e-6),
        "bit_rate": container.bit_rate or None,
        "width": context.width,
        "height": context.height,
        "frame_rate": round(float(stream.average_rate), 3) if stream.average_rate else None,
        "video_codec": context.name,
        "video_profile": context.profile,
        "pixel_format": context.format.name if context.format else None,
        "audio_codecs": [audio.codec_context.name for audio in container.streams.audio],
        "ignored": [],
    }
    aspect = stream.sample_aspect_ratio
    if aspect and aspect != 1:
        found["sample_aspect_ratio"] = f"{aspect.numerator}:{aspect.denominator}"
    file_tags, stream_tags = _lowered(container.metadata), _lowered(stream.metadata)
    tags = {**stream_tags, **file_tags}  # the file's own win over the stream's
    _camera(tags, found)
    _claimed_time(file_tags, stream_tags, found)
    _claimed_location(tags, found)
    found["tags"] = _kept_tags(_clean(container.metadata))
    if not found["ignored"]:
        del found["ignored"]
    return {key: value for key, value in found.items() if value not in (None, [], {})}


def media_type(container, stream) -> str:
    """The media type of the file from its content: container format, brand and codecs."""
    formats = container.format.name.split(",")
    if "mp4" in formats or "mov" in formats:
        brand = (container.metadata.get("major_brand") or "").strip().lower()
        if brand == "qt":
            return "video/quicktime"
        if brand.startswith("3g2"):
            return "video/3gpp2"
        return "video/3gpp" if brand.startswith("3gp") else "video/mp4"
    if "matroska" in formats:
        audio = {each.codec_context.name for each in container.streams.audio}
        webm = stream.codec_context.name in WEBM_VIDEO and audio <= WEBM_AUDIO
        return "video/webm" if webm else "video/x-matroska"
    return next(
        (MEDIA_TYPES[name] for name in formats if name in MEDIA_TYPES), "application/octet-stream"
    )


def parse_iso6709(text: str) -> tuple[float, float, float | None] | None:
    """Latitude, longitude (decimal degrees) and altitude (metres, or None) of an ISO 6709
    point such as "+33.5138+036.2765+012.000/"; None when the text is not one."""
    match = ISO_6709.match(text.strip())
    if not match:
        return None
    lat = _sexagesimal(match["lat"], degree_digits=2)
    lon = _sexagesimal(match["lon"], degree_digits=3)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    altitude = float(match["alt"]) if match["alt"] else None
    return lat, lon, altitude


def _sexagesimal(text: str, degree_digits: int) -> float | None:
    """±DD[MM[SS]][.fff] (the whole part's length says which) as signed decimal degrees."""
    sign = -1.0 if text[0] == "-" else 1.0
    whole, _, fraction = text[1:].partition(".")
    places = (len(whole) - degree_digits) // 2  # 0: degrees, 1: minutes, 2: seconds
    parts = [int(whole[:degree_digits])]
    parts += [int(whole[degree_digits + 2 * n : degree_digits + 2 * n + 2]) for n in range(places)]
    parts[-1] += float(f"0.{fraction}") if fraction else 0.0
    if any(part >= 60 for part in parts[1:]):
        return None
    return sign * sum(part / 60**n for n, part in enumerate(parts))


def _claimed_time(file_tags: dict, stream_tags: dict, found: dict) -> None:
    candidates = [(tag, file_tags.get(tag), "file") for tag in TIME_TAGS]
    candidates.append(("creation_time", stream_tags.get("creation_time"), "video stream"))
    for tag, written, where in candidates:
        if not written:
            continue
        text, offset = _iso_time(written)
        if text is None or text[:19] in ZERO_TIMES:
            found["ignored"].append(f"{where} tag {tag} = {written!r} is not a real time")
            continue
        found["claimed_time"] = {"text": text, "offset": offset, "source": f"{where} tag {tag}"}
        if tag == "creation_time":
            found["claimed_time"]["note"] = "UTC by the format's rule; some phones write local time"
        return


def _iso_time(written: str) -> tuple[str | None, str | None]:
    """An ISO 8601 time as "YYYY-MM-DDTHH:MM:SS±HH:MM" (seconds kept, zone as written) and
    its offset; (None, None) when it is not a time. A time without a zone is taken as UTC,
    as the formats say."""
    try:
        moment = datetime.fromisoformat(written.strip().replace(" ", "T", 1))
    except ValueError:
        return None, None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.replace(microsecond=0).isoformat()
    try:
        FuzzyTime.parse(text, "claimed time")
    except InvalidInput:
        return None, None
    return text, text[19:]


def _claimed_location(tags: dict, found: dict) -> None:
    for tag in LOCATION_TAGS:
        written = tags.get(tag)
        if not written:
            continue
        point = parse_iso6709(written)
        if point is None:
            found["ignored"].append(f"tag {tag} = {written!r} is not an ISO 6709 place")
            continue
        lat, lon, altitude = point
        where = {"lat": round(lat, 7), "lon": round(lon, 7), "source": f"tag {tag}"}
        if altitude is not None and abs(altitude) < 100_000:
            where["altitude_m"] = round(altitude, 2)
        where["text"] = written
        found["claimed_location"] = where
        return


def _camera(tags: dict, found: dict) -> None:
    for key, names in CAMERA_TAGS.items():
        value = next((tags[name] for name in names if tags.get(name)), None)
        if value:
            found[key] = value


def _kept_tags(tags: dict) -> dict:
    kept = dict(sorted(tags.items())[:MAX_TAGS])
    if len(tags) > MAX_TAGS:
        kept["…"] = f"{len(tags) - MAX_TAGS} more tags not kept"
    return kept


def _clean(tags) -> dict:
    """Tags as printable text of at most MAX_TEXT characters, empty ones dropped."""
    cleaned = {}
    for key, value in dict(tags or {}).items():
        text = "".join(ch for ch in str(value) if ch.isprintable()).strip()[:MAX_TEXT]
        if text:
            cleaned["".join(ch for ch in str(key) if ch.isprintable())[:MAX_TEXT]] = text
    return cleaned


def _lowered(tags) -> dict:
    """Cleaned tags under lower-case names: Matroska writes ENCODER where MP4 has encoder."""
    return {key.lower(): value for key, value in _clean(tags).items()}


def _seconds(value, unit: float) -> float | None:
    return round(value * unit, 3) if value and value > 0 else None
