"""Which arrival days need their lake partition (re)built: cost follows what is new."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

from ingest.ledger import deliveries_of_day, delivery_ids_by_day
from transforms.lake import Location, atomic_write_json, matching, read_object, read_text

# Bump when the raw tables change shape or meaning: every day is rebuilt once.
RAW_FORMAT_VERSION = 1


def manifest_path(lake: Location, day: str) -> Location:
    """What the partition of ``day`` was built from."""
    return lake / "_manifests" / f"{day}.json"


def write_manifest(lake: Location, day: str, delivery_ids: list[str]) -> None:
    """Record that ``day`` was built from exactly ``delivery_ids`` (written last)."""
    atomic_write_json(
        manifest_path(lake, day), {"format": RAW_FORMAT_VERSION, "deliveries": sorted(delivery_ids)}
    )


def _built_from_other(lake: Location, day: str, current: list[str]) -> bool:
    """Whether the partition of ``day`` is missing or was built from other deliveries."""
    path = manifest_path(lake, day)
    built = json.loads(read_text(path)) if path.exists() else None
    return (
        built is None or built.get("format") != RAW_FORMAT_VERSION or built["deliveries"] != current
    )


def stale_days(archive: Path, lake: Location, ledger_url: str | None = None) -> list[str]:
    """Arrival days whose deliveries differ from what their partition was built from."""
    return [
        day
        for day, current in delivery_ids_by_day(archive, ledger_url).items()
        if _built_from_other(lake, day, current)
    ]


def stale_among(
    archive: Path, lake: Location, days: list[str], ledger_url: str | None = None
) -> list[str]:
    """Those of ``days`` whose partition is missing or out of date."""
    ids = {
        day: sorted(d.delivery_id for d, _ in deliveries_of_day(archive, day, ledger_url))
        for day in days
    }
    return [day for day in days if _built_from_other(lake, day, ids[day])]


MARTS_RECORD = "_marts_built_from.json"  # beside the manifests; not a day


def manifest_fingerprints(lake: Location) -> dict[str, str]:
    """Every built arrival day with a fingerprint of its manifest (what it was built from)."""
    folder = lake / "_manifests"
    if not folder.is_dir():
        return {}
    return {
        path.stem: hashlib.sha256(read_object(path)).hexdigest()[:20]
        for path in matching(folder, "????-??-??.json")
    }


def days_marts_missed(lake: Location, fingerprints: dict[str, str]) -> list[str]:
    """Built days the sales marts were not refreshed from since they were built: a run that
    rebuilt the raw partitions and then never reached the marts (its follow-up failed, was
    switched off or killed). The next marts refresh takes them in, whatever days its run had."""
    path = lake / "_manifests" / MARTS_RECORD
    done = json.loads(read_text(path)) if path.exists() else {}
    return [day for day, fingerprint in fingerprints.items() if done.get(day) != fingerprint]


def record_marts_built(lake: Location, fingerprints: dict[str, str]) -> None:
    """After a marts refresh: the days (as fingerprinted before it started) it covered."""
    atomic_write_json(lake / "_manifests" / MARTS_RECORD, fingerprints)


def contiguous_blocks(days: list[str]) -> list[tuple[str, str]]:
    """Group sorted days into (first, last) runs of consecutive dates, one Dagster run each."""
    blocks: list[tuple[str, str]] = []
    for day in sorted(days):
        if blocks and date.fromisoformat(blocks[-1][1]) + timedelta(days=1) == date.fromisoformat(
            day
        ):
            blocks[-1] = (blocks[-1][0], day)
        else:
            blocks.append((day, day))
    return blocks
