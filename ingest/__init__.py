"""Ingestion: inbox to archive (content-addressed), parse, lake tables, quarantine.

Plain functions with no Dagster in them; the assets in ``orchestration.defs.ingest`` call them.
"""
