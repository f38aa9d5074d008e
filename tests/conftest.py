"""Fixtures shared by the suite. Every test that takes `case` runs twice: once on SQLite
in the case folder and once on a real PostgreSQL server (started by `make test`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from siteline.keys import write_new_key
from siteline.services import cases
from siteline.services.bundle_import import import_bundle
from siteline.store import database

POSTGRES_ENV = "SITELINE_TEST_POSTGRES_URL"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Tests never pick up a developer's own key, actor or database."""
    for name in ("SITELINE_KEY", "SITELINE_KEY_FILE", "SITELINE_DATABASE_URL", "SITELINE_CASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SITELINE_ACTOR", "tester")


def postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("CI"):
        pytest.fail(f"CI must test PostgreSQL: {POSTGRES_ENV} is not set (run 'make test')")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch) -> str:
    if request.param == "postgresql":
        url = postgres_url()
        if not url:
            pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV} ('make test' starts one)")
        monkeypatch.setenv("SITELINE_DATABASE_URL", url)
    return request.param


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "keys" / "case.key"
    write_new_key(path)
    return path


def drop_case_database(folder: Path) -> None:
    """PostgreSQL schemas outlive the test's temporary folder; drop them."""
    description_file = folder / "case.json"
    url = os.environ.get("SITELINE_DATABASE_URL")
    if url and description_file.exists():
        where = json.loads(description_file.read_text())["database"]
        if where["backend"] == "postgresql":
            database.drop_postgres_schema(url, where["schema"])


@pytest.fixture
def case_dir(tmp_path, backend):
    folders: list[Path] = []

    def make(name: str = "case") -> Path:
        folders.append(tmp_path / name)
        return tmp_path / name

    yield make
    for folder in folders:
        drop_case_database(folder)


@pytest.fixture
def case(case_dir, key_file):
    opened = cases.init_case(case_dir(), "Test case", key_file=key_file)
    yield opened
    opened.close()


def shared_data(relative: str) -> Path:
    """A file from ../shared/data, or a skip that says it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared data absent: {path} (tests read real material from ../shared/data)")
    return path


@pytest.fixture
def restore(case_dir, key_file):
    """Imports bundles into case folders the fixtures clean up; closes what it opened."""
    opened = []

    def run(bundle: Path, name: str = "restored", key=key_file):
        restored = import_bundle(bundle, case_dir(name), key_file=key, actor="importer")
        opened.append(restored)
        return restored

    yield run
    for restored in opened:
        restored.close()
