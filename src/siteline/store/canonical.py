"""One byte-exact JSON form for records, so that a hash of a record means one thing."""

import json
from typing import Any

# One encoder made once: `json.dumps` with these options builds a new one on every call,
# and every change to a case serialises its records.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    return _ENCODER.encode(value)
