"""Entities, value types and vocabularies of an investigation. No database, no I/O."""
