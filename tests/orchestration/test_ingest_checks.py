"""The data checks, called directly on hand-made lake tables, and the inbox sensor."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pandas as pd

from ingest.raw_tables import SCHEMAS, DayResult
from orchestration.defs.ingest.checks import expectations_on_counters, offending_rows
from orchestration.defs.ingest.sensors import inbox_sensor
from orchestration.defs.resources import CvdHomeResource
from transforms import lake


def _lake_with(tmp_path: Path, counters: list[dict]) -> Path:  # type: ignore[type-arg]
    day = DayResult()
    day.add(
        "dex_reads",
        read_id="r1",
        sha256="s",
        read_index=0,
        machine_serial="M1",
        read_at=datetime(2026, 3, 1, 8),
        received_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
    )
    for row in counters:
        day.add("dex_selection_counters", read_id="r1", machine_serial="M1", **row)
    for name, table in day.tables().items():
        lake.write_table(lake.partition_path(tmp_path, name, "2026-03-01"), table)
        lake.write_schema_file(tmp_path, name, SCHEMAS[name])
    return tmp_path


def test_negative_counter_and_duplicate_key_are_caught(tmp_path: Path) -> None:
    good = {
        "position": 1,
        "selection": "10",
        "paid_vends_total": 5,
        "paid_value_total": Decimal("6.25"),
    }
    ok = offending_rows(_lake_with(tmp_path / "ok", [good]))
    assert set(ok.values()) == {0}  # a well-formed read and counter row break nothing
    bad = offending_rows(_lake_with(tmp_path / "bad", [good, {**good, "paid_vends_total": -1}]))
    assert bad["dex_selection_counters", "counters_non_negative"] == 1
    assert bad["dex_selection_counters", "one_row_per_read_and_selection"] == 1
    assert sum(bad.values()) == 2  # and nothing else


def test_great_expectations_suite_fails_on_a_negative_count() -> None:
    rows = pd.DataFrame(
        {
            "read_id": ["a", "a", "b"],
            "machine_serial": ["M", "M", "M"],
            "position": [1, 2, 1],
            "paid_vends_total": [3, 4, 5],
            "paid_vends_since_reset": [1, 1, 1],
            "capacity": [8, 8, 8],
            "current_level": [2, 2, 2],
            "test_vends_total": [0, 0, 0],
            "free_vends_total": [0, 0, 0],
            "sold_out_count": [0, 0, 0],
            "price": [1.0, 1.0, 1.0],
            "paid_value_total": [3.0, 4.0, 5.0],
            "paid_value_since_reset": [1.0, 1.0, 1.0],
        }
    )
    passed, _ = expectations_on_counters(rows)
    assert passed
    broken = rows.copy()
    broken.loc[1, "paid_vends_total"] = -7
    passed, metadata = expectations_on_counters(broken)
    assert not passed
    assert any("paid_vends_total" in key for key in metadata["failed"])  # type: ignore[union-attr]


def test_inbox_sensor_asks_for_a_run_only_when_files_wait(tmp_path: Path) -> None:
    resource = CvdHomeResource(home=str(tmp_path))
    (tmp_path / "inbox").mkdir()
    with dg.build_sensor_context(resources={"cvd": resource}) as context:
        assert isinstance(inbox_sensor(context), dg.SkipReason)
        (tmp_path / "inbox" / "a.dex").write_bytes(b"DXS*1")
        (tmp_path / "inbox" / "b.dex.part").write_bytes(b"half")  # still uploading
        request = inbox_sensor(context)
        assert isinstance(request, dg.RunRequest)
        assert request.partition_key == datetime.now(UTC).date().isoformat()
        again = inbox_sensor(context)
        assert again.run_key == request.run_key  # same inbox, same key: Dagster runs it once
