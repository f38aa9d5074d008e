"""Satellite imagery: scenes, co-registration, change analysis and evidence figures."""
