"""Alembic migrations: an older case is upgraded, never broken; the migrated schema is
exactly the one the code declares; a case from a newer Siteline is refused, untouched."""

from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from siteline.domain.entities import Custody, EvidenceItem, Site, Source
from siteline.errors import CaseError
from siteline.keys import Sealer, load_key
from siteline.services import audit, cases, evidence, search, sites, sources
from siteline.store import case_folder, database, transaction
from siteline.store.blobs import BlobStore
from siteline.store.schema import metadata

FIRST_REVISION = "0001"


@contextmanager
def writing_only_columns_of(engine):
    """The services as a release of an older schema ran them: records have only the
    columns that schema has, and the audit entries record exactly those."""
    present = inspect(engine)
    saved = dict(transaction._CONVERTERS)
    for table in metadata.tables.values():
        if not present.has_table(table.name):
            continue
        names = {column["name"] for column in present.get_columns(table.name)}
        keys, converters = transaction._converters(table)
        transaction._CONVERTERS[table] = (
            frozenset(keys & names),
            [(key, convert) for key, convert in converters if key in names],
        )
    transaction._INSERTS.clear()
    try:
        yield
    finally:
        transaction._CONVERTERS.clear()
        transaction._CONVERTERS.update(saved)
        transaction._INSERTS.clear()


def make_case_at_first_revision(folder, key_file):
    """A case folder as the first Siteline release left it: schema at 0001, with records,
    blobs and audit entries made by that release's services."""
    url = os.environ.get(case_folder.DATABASE_URL_ENV)
    description = {
        "format": case_folder.FORMAT,
        "format_version": 1,
        "case_uid": str(uuid.uuid4()),
        "name": "Old case",
    }
    if url:
        schema = f"case_{description['case_uid'].replace('-', '')}"
        description["database"] = {"backend": "postgresql", "schema": schema}
        database.create_postgres_schema(url, schema)
    else:
        description["database"] = {"backend": "sqlite", "file": case_folder.SQLITE_FILE}
    folder.mkdir()
    BlobStore(folder / case_folder.BLOB_FOLDER).create()
    (folder / case_folder.CASE_FILE).write_text(json.dumps(description))
    engine = case_folder._engine_for(folder, description)
    database.migrate(engine, FIRST_REVISION)
    sealer = Sealer(load_key(key_file))
    old = case_folder.Case(
        folder, description, engine, BlobStore(folder / case_folder.BLOB_FOLDER), sealer
    )
    with writing_only_columns_of(engine):
        made = _fill_old_case(old, description, sealer)
    assert database.current_revision(engine) == FIRST_REVISION
    old.close()
    return made


def _fill_old_case(old, description, sealer) -> dict:
    with old.write() as transaction:
        transaction.insert(
            "case",
            {
                "id": 1,
                "case_uid": description["case_uid"],
                "name": description["name"],
                "key_fingerprint": sealer.fingerprint,
            },
        )
    site = sites.add_site(old, Site("Northgate Hospital", lat=36.2, lon=37.1))
    witness = sources.add_source(old, Source("Witness A", kind="witness", identity="Real Name"))
    photo = evidence.add_evidence(
        old,
        EvidenceItem(kind="photo", data=b"\xff\xd8 an old photo", site_id=site["id"]),
        Custody(method="downloaded"),
    )
    testimony = evidence.add_evidence(
        old,
        EvidenceItem(kind="testimony", text="An old statement.", source_id=witness["id"]),
        Custody(method="interview"),
    )
    return {"site": site, "witness": witness, "photo": photo, "testimony": testimony}


def test_a_case_made_at_the_first_revision_is_upgraded_with_its_data_intact(case_dir, key_file):
    folder = case_dir("old")
    made = make_case_at_first_revision(folder, key_file)
    case = cases.open_case(folder, key_file=key_file)
    try:
        assert database.current_revision(case.engine) == database.head_revision()
        assert database.head_revision() != FIRST_REVISION
        assert sites.find_site(case, "Northgate Hospital")["id"] == made["site"]["id"]
        assert evidence.read_original(case, made["photo"]["id"]) == b"\xff\xd8 an old photo"
        revealed = evidence.get_evidence(case, made["testimony"]["id"], reveal=True)
        assert revealed["text"] == "An old statement."
        identity = sources.get_source(case, made["witness"]["id"], reveal_identity=True)
        assert identity["identity"] == "Real Name"
        report = audit.verify(case)
        assert report.ok, report.problems
        assert report.entries == cases.summary(case)["audit_entries"] == 9
        # the upgraded case keeps working
        sites.add_site(case, Site("Riverside School", kind="school"))
        assert audit.verify(case).ok
        indexes = {index["name"] for index in inspect(case.engine).get_indexes("evidence")}
        assert "ix_evidence_kind" in indexes
    finally:
        case.close()


def differences_from_declared(connection, leave_out_search_index: bool = True) -> list:
    """What the database has that schema.py does not declare, and the reverse; the search
    index of migration 0007 (FTS5 tables, a generated column) is the database's own."""
    opts = {}
    if leave_out_search_index:
        opts["include_name"] = lambda name, *_: not search.is_index_object(name)
    return compare_metadata(MigrationContext.configure(connection, opts=opts), metadata)


def test_the_migrated_schema_matches_the_declared_one(case):
    with case.engine.connect() as connection:
        differences = differences_from_declared(connection)
    assert differences == []


def test_the_comparison_leaves_out_the_search_index_and_nothing_else(case):
    with case.engine.connect() as connection:
        differences = differences_from_declared(connection, leave_out_search_index=False)
    seen = {(change[0], _name_of(change)) for change in differences}
    if case.backend == "postgresql":
        expected = {("remove_column", ("evidence", "search_document"))}
        expected |= {("remove_index", "ix_evidence_search")}
    else:
        shadows = ("config", "data", "docsize", "idx", "queue", "done")
        expected = {("remove_table", "evidence_search")}
        expected |= {("remove_table", f"evidence_search_{shadow}") for shadow in shadows}
    assert seen == expected
    names = [name[-1] if isinstance(name, tuple) else name for _, name in seen]
    assert all(search.is_index_object(name) for name in names)


def test_the_migrated_tables_are_exactly_the_declared_ones(case):
    found = set(inspect(case.engine).get_table_names()) - {"alembic_version"}
    assert {name for name in found if not search.is_index_object(name)} == set(metadata.tables)


def test_a_case_from_a_newer_siteline_is_refused_and_left_untouched(case, key_file):
    folder = case.folder
    with case.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    case.close()
    with pytest.raises(CaseError, match="9999_future.*newer Siteline"):
        cases.open_case(folder, key_file=key_file)
    assert database.current_revision(case.engine) == "9999_future"
    case.engine.dispose()


def test_opening_a_case_at_head_changes_nothing(case, key_file):
    before = cases.summary(case)
    case.close()
    again = cases.open_case(case.folder, key_file=key_file)
    try:
        assert database.current_revision(again.engine) == database.head_revision()
        assert cases.summary(again) == before
        assert audit.verify(again).ok
    finally:
        again.close()


def test_the_comparison_sees_a_schema_left_behind(case_dir, key_file):
    """The check above has teeth: a case still at 0001 lacks exactly what 0002 to 0006 add."""
    folder = case_dir("old")
    make_case_at_first_revision(folder, key_file)
    description = case_folder.read_description(folder)
    engine = case_folder._engine_for(folder, description)
    try:
        with engine.connect() as connection:
            differences = differences_from_declared(connection)
    finally:
        engine.dispose()
    seen = {(change[0], _name_of(change)) for change in differences}
    added_tables = {"evidence_relations", "gazetteer_entries", "media_hashes", "media_matches"}
    added_tables |= {"settings", "reviews", "link_proposals"}
    added_tables |= {"accounts", "credentials", "api_tokens", "token_secrets"}
    added_tables |= {"web_sessions", "login_attempts"}
    added_columns = {
        ("evidence", name)
        for name in ("ingest_key", "within_id", "platform", "platform_id")
        + ("author_handle", "author_name", "details")
    } | {("claims", "status")}
    added_columns |= {("incidents", "certainty_rule"), ("incidents", "certainty_reasons")}
    added_columns |= {("evidence_links", "proposal_id")}
    added_columns |= {
        ("claims", name)
        for name in ("site_kind", "area_wkt", "count_comparison", "min_certainty")
        + ("verdict_rule", "verdict_chain", "verdict_by")
    }
    expected = (
        {("add_index", index.name) for table in metadata.tables.values() for index in table.indexes}
        | {("add_table", name) for name in added_tables}
        | {("add_column", column) for column in added_columns}
        | {("add_fk", ("evidence", "within_id"))}
    )
    assert seen == expected
    assert len(differences) == len(expected)


def _name_of(change: tuple):
    kind = change[0]
    if kind in ("add_column", "remove_column"):
        return (change[2], change[3].name)
    if kind == "add_fk":
        constraint = change[1]
        return (constraint.parent.name, constraint.column_keys[0])
    return change[1].name
