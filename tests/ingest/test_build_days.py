"""Building many arrival days on worker processes: each day's partition is built once, in the
order of the days, with the counts of the files that arrived that day."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from ingest.days import build_days
from ingest.receive import receive_inbox
from tests.evadts.handmade import seal
from transforms import lake

# files arriving on each day (hand-chosen, different per day so a mix-up shows)
ARRIVALS = {"2026-03-01": 2, "2026-03-02": 5, "2026-03-03": 1, "2026-03-04": 3}


def _archive(root: Path) -> Path:
    archive = root / "archive"
    for day, count in ARRIVALS.items():
        inbox = root / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)
        for k in range(count):
            body = ["ST*001*0001", f"ID1*SN{day.replace('-', '')}{k:02d}", "PA1*1*100"]
            (inbox / f"{day}_{k}.dex").write_bytes(seal(body))
        noon = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
        receive_inbox(inbox, archive, now=noon)
    return archive


def test_days_built_on_two_workers_each_hold_their_own_files(tmp_path: Path) -> None:
    archive, lake_dir = _archive(tmp_path), tmp_path / "lake"
    built = list(build_days(archive, lake_dir, list(ARRIVALS), workers=2))
    assert [b.day for b in built] == list(ARRIVALS)  # in the order asked for
    for b in built:
        count = ARRIVALS[b.day]
        assert (b.files, b.reads, b.rows["dex_files"], b.rows["dex_reads"]) == (count,) * 4
        assert len(b.markers) == count and not b.quarantined
        files = pq.read_table(lake.partition_path(lake_dir, "dex_files", b.day))
        assert files.num_rows == count
        assert len(b.serials) == count  # one machine per file, each serial once
