"""One byte-exact JSON form for records, so that a hash of a record means one thing."""

import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
