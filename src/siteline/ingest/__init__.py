"""Ingest adapters: one module per input kind; each returns values, never touches a case."""
