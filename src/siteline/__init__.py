"""Siteline: evidence-backed timelines of attacks on protected places."""

__version__ = "0.1.0"
