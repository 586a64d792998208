"""Raw DEX rows for the hand-built lakes of the metrics unit tests: machine M1, one partition."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.raw_tables import SCHEMAS, DayResult
from transforms import lake

INIT = datetime(2025, 1, 1)


def add_read(day: DayResult, n: int, read_at: datetime, **fields: Any) -> str:
    """Add read ``r<n>`` of machine M1 at ``read_at`` to ``day`` and return its id; EA4 is
    ``INIT`` and EA301 ``n + 1`` unless ``fields`` say otherwise (any dex_reads column)."""
    read_id = f"r{n}"
    values: dict[str, Any] = {"init_at": INIT, "reads_since_init": n + 1, **fields}
    day.add(
        "dex_reads",
        read_id=read_id,
        sha256=f"s{n}",
        read_index=0,
        machine_serial="M1",
        read_at=read_at,
        received_at=datetime(2025, 3, 1, tzinfo=UTC),
        currency="USD",
        decimals=2,
        **values,
    )
    return read_id


def write_day(root: Path, day: DayResult, arrival: str = "2025-03-01") -> None:
    """Write ``day`` as the lake's raw partition of ``arrival``, with every table's schema file."""
    for name, table in day.tables().items():
        lake.write_table(lake.partition_path(root, name, arrival), table)
        lake.write_schema_file(root, name, SCHEMAS[name])
