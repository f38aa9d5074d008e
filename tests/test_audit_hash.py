"""The audit entry hash: its quick form must be exactly the canonical JSON it stands for."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from siteline.store import audit
from siteline.store.canonical import canonical_json

# Text that UTF-8 can encode (no lone surrogates), with quotes, controls and non-ASCII.
TEXT = st.text(st.characters(exclude_categories=["Cs"]))


def hash_by_definition(entry: dict) -> str:
    covered = {key: entry[key] for key in audit.HASHED_FIELDS}
    return hashlib.sha256(canonical_json(covered).encode()).hexdigest()


@settings(max_examples=400)
@given(
    st.fixed_dictionaries(
        {key: TEXT for key in audit.HASHED_FIELDS if key != "seq"}
        | {"seq": st.integers(min_value=-(10**20), max_value=10**20)}
    )
)
def test_the_quick_hash_is_the_hash_of_the_canonical_json(entry):
    assert audit.entry_hash(entry) == hash_by_definition(entry)


@given(
    st.sampled_from([key for key in audit.HASHED_FIELDS if key != "seq"]),
    st.one_of(st.integers(), st.none(), st.booleans(), st.floats(allow_nan=False)),
)
def test_fields_of_other_types_hash_as_canonical_json_says(key, value):
    entry = {name: "x" for name in audit.HASHED_FIELDS} | {"seq": 1, key: value}
    assert audit.entry_hash(entry) == hash_by_definition(entry)


def test_a_sequence_number_that_is_not_an_integer_hashes_as_canonical_json_says():
    entry = {name: "x" for name in audit.HASHED_FIELDS} | {"seq": "7"}
    assert audit.entry_hash(entry) == hash_by_definition(entry)
    assert audit.entry_hash(entry) != audit.entry_hash(entry | {"seq": 7})


def test_the_hash_covers_every_field_it_names():
    entry = {name: "x" for name in audit.HASHED_FIELDS} | {"seq": 1}
    seen = {audit.entry_hash(entry)}
    for key in audit.HASHED_FIELDS:
        seen.add(audit.entry_hash(entry | {key: "y" if key != "seq" else 2}))
    assert len(seen) == len(audit.HASHED_FIELDS) + 1
