# The two commands of the README: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql://siteline:siteline@127.0.0.1:5432/siteline_test
DEMO_CASE ?= demo-case

.PHONY: demo test install postgres pdf-deps lint bench clean

$(STAMP): pyproject.toml
	scripts/ensure-python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Leaflet and htmx for the workbench, fetched with npm when missing (scripts/web-assets.sh).
WEB_ASSETS := src/siteline/web/static/vendor/leaflet/leaflet.js

$(WEB_ASSETS):
	scripts/web-assets.sh

install: $(STAMP) $(WEB_ASSETS)

demo: install pdf-deps
	$(BIN)/siteline demo $(DEMO_CASE) --replace

postgres:
	scripts/postgres-up.sh

pdf-deps:
	scripts/pdf-deps.sh

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

test: install postgres pdf-deps lint
	SITELINE_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest -n 2 -q

bench: install postgres
	SITELINE_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/python benchmarks/bench_bulk_add.py
	$(BIN)/python benchmarks/bench_article_speed.py
	$(BIN)/python benchmarks/bench_article_posts.py
	$(BIN)/python benchmarks/bench_dataset_parse.py
	$(BIN)/python benchmarks/bench_dataset_ingest.py
	$(BIN)/python benchmarks/bench_search.py
	$(BIN)/python benchmarks/bench_imagery_accuracy.py
	$(BIN)/python benchmarks/bench_imagery_model.py
	$(BIN)/python benchmarks/bench_imagery_compare.py
	$(BIN)/python benchmarks/bench_media_hashing.py
	$(BIN)/python benchmarks/bench_media_ingest.py
	$(BIN)/python benchmarks/bench_media_robust.py
	$(BIN)/python benchmarks/bench_media_video.py
	$(BIN)/python benchmarks/match_index.py

clean:
	rm -rf $(VENV) $(DEMO_CASE) $(DEMO_CASE).key
