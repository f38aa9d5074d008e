"""The search index follows every change to evidence, however the changes are grouped in
transactions and whoever makes them, on both back ends."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from siteline.services import audit, search
from siteline.store.transaction import utc_now_stored

EVERYONE = ["public", "restricted", "confidential"]
WORDS = ("alpha", "bravo", "charlie", "delta", "echo")


def found(case, query: str) -> set[int]:
    items = search.search_evidence(case, query, sensitivities=EVERYONE, limit=200)["items"]
    return {item["id"] for item in items}


def new_item(transaction, title: str) -> int:
    row = {"kind": "article", "title": title, "text": "indexed item"}
    row |= {"collected_at": utc_now_stored(), "collected_precision": "second"}
    row |= {"credibility": 6, "verification_status": "collected"}
    row |= {"sensitivity": "public", "graphic": False}
    return transaction.insert("evidence", row)["id"]


def index_is_sound(case) -> bool:
    if case.backend != "sqlite":
        return True
    with case.read() as connection:
        connection.execute(
            text("INSERT INTO evidence_search(evidence_search) VALUES ('integrity-check')")
        )
        return not connection.execute(text("SELECT count(*) FROM evidence_search_queue")).scalar()


# Each step: ("add", word) adds an item titled `word`; ("retitle", n, word) and
# ("delete", n) change the n-th item added (modulo); steps are grouped in transactions.
STEPS = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(WORDS)),
    st.tuples(st.just("retitle"), st.integers(0, 20), st.sampled_from(WORDS)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(transactions=st.lists(st.lists(STEPS, min_size=1, max_size=6), min_size=1, max_size=4))
def test_any_changes_in_any_transactions_leave_the_index_matching_the_items(case, transactions):
    with case.read() as connection:
        start = connection.execute(text("SELECT coalesce(max(id), 0) FROM evidence")).scalar()
    titles: dict[int, str | None] = {}  # what the index must say: None when deleted
    for steps in transactions:
        with case.write() as transaction:
            for step in steps:
                _apply(transaction, step, titles)
    for word in WORDS:
        expected = {item for item, title in titles.items() if title == word}
        assert {item for item in found(case, word) if item > start} == expected, word
    assert index_is_sound(case)
    with case.write() as transaction:  # the next example starts from nothing of this one
        for item, title in titles.items():
            if title is not None:
                transaction.soft_delete("evidence", item, "end of an example")


def _apply(transaction, step, titles: dict[int, str | None]) -> None:
    if step[0] == "add":
        titles[new_item(transaction, step[1])] = step[1]
        return
    if not titles:
        return
    item = sorted(titles)[step[1] % len(titles)]
    if titles[item] is None:
        return
    if step[0] == "retitle":
        transaction.update("evidence", item, {"title": step[2]})
        titles[item] = step[2]
    else:
        transaction.soft_delete("evidence", item, "a step of the test")
        titles[item] = None


def test_a_change_made_outside_siteline_is_indexed_by_the_next_search(case):
    with case.write() as transaction:
        item = new_item(transaction, "alpha")
    with case.engine.begin() as connection:  # a tool of its own, writing no audit entry
        connection.execute(
            text("UPDATE evidence SET title = 'foxtrot' WHERE id = :id"), {"id": item}
        )
    assert found(case, "foxtrot") == {item}
    assert found(case, "alpha") == set()
    with case.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO evidence (id, kind, title, collected_at, collected_precision, "
                "credibility, verification_status, sensitivity, graphic, created_at) VALUES "
                "(:id, 'article', 'hotel', :now, 'second', 6, 'collected', 'public', false, :now)"
            ),
            {"id": item + 1, "now": utc_now_stored()},
        )
    assert found(case, "hotel") == {item + 1}
    assert index_is_sound(case)


def test_an_item_deleted_and_restored_is_found_only_while_it_stands(case):
    with case.write() as transaction:
        item = new_item(transaction, "golf")
        transaction.soft_delete("evidence", item, "by mistake")
    assert found(case, "golf") == set()
    assert audit.verify(case).ok
    with case.engine.begin() as connection:  # Siteline has no undelete; a tool might
        connection.execute(
            text("UPDATE evidence SET deleted_at = NULL WHERE id = :id"), {"id": item}
        )
    assert found(case, "golf") == {item}
    assert index_is_sound(case)
