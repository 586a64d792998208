"""A home whose files are received and their day built, quarantine records written as the
raw_dex asset writes them (without a Dagster run)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ingest.raw_tables import build_day
from ingest.receive import receive_inbox
from orchestration.settings import load_settings

DAY = "2026-03-01"


def quarantine_files(home: Path, files: dict[str, bytes]) -> list[str]:
    """Receive ``files`` on :data:`DAY`, build it, write its quarantine records; their shas."""
    settings = load_settings(home)
    settings.inbox.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (settings.inbox / name).write_bytes(data)
    noon = datetime.fromisoformat(DAY).replace(hour=12, tzinfo=UTC)
    receive_inbox(settings.inbox, settings.archive, now=noon)
    day = build_day(settings.archive, DAY)
    settings.quarantine.mkdir(exist_ok=True)
    for sha, record in day.quarantined.items():
        (settings.quarantine / f"{sha}.json").write_text(json.dumps(record, default=str))
    return sorted(day.quarantined)
