"""Byte-exact JSON forms, so that a hash of a record means one thing."""

import json
from typing import Any

import orjson

# One encoder made once: `json.dumps` with these options builds a new one on every call,
# and every change to a case serialises its records.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """Keys sorted, no spaces, characters as themselves: what audit entries hold and hash."""
    return _ENCODER.encode(value)


def compact_json(value: Any) -> str:
    """Keys in the order given, no spaces, characters as themselves, numbers in their
    shortest round-trip form: what orjson writes, several times faster than `json` on the
    records bulk ingest stores by the million. For text, integers, true, false and null it
    is `json.dumps(value, ensure_ascii=False, separators=(",", ":"))`."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        # orjson refuses integers beyond 64 bits, which JSON allows and Python reads;
        # anything else it refuses, json refuses too, and says why.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
