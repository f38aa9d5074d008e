"""Capabilities that turn evidence into findings: linking, certainty, verdicts, statistics.

They take and return plain values and never touch the database; the services feed them.
"""
