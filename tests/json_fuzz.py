"""Hypothesis strategies for hostile exports: random bytes and JSON-ish values shaped like a
format's records, written to a file in one of the forms a parser accepts."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st

from siteline.errors import InvalidInput
from siteline.ingest.model import ParseResult

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "1474812185", "20160925", "2016-09-25T14:03:05", "../x", "/etc/hosts"])
)


def json_values(keys: list[str]) -> st.SearchStrategy:
    """Nested lists and objects whose keys are mostly the format's own field names."""
    names = st.sampled_from(keys) | st.text(max_size=6)
    return st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=8),
        max_leaves=40,
    )


def written(value, form: str) -> bytes:
    """The value as a document, as JSON lines (a list's items), or cut short."""
    if form == "lines" and isinstance(value, list):
        return "\n".join(json.dumps(item) for item in value).encode()
    text = json.dumps(value, indent=1 if form == "pretty" else None).encode()
    return text[: len(text) // 2] if form == "cut" else text


FORMS = st.sampled_from(["document", "pretty", "lines", "cut"])


def parse_bytes(parse: Callable, data: bytes, name: str = "input.json") -> ParseResult | None:
    """Run a parser on a file holding `data`: a ParseResult, or None when refused as input."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            result = parse(path)
        except InvalidInput as refused:
            assert refused.problem  # refused with a reason, never a bare error
            return None
        assert isinstance(result, ParseResult)
        for post in result.records:
            json.dumps(post.native, allow_nan=False)  # native stays plain JSON
        return result
