"""A garbage file makes a quarantine record of bounded size (issue 15, item 8): 1 MB of bare
``ST*001`` lines made an 18.5 MB record, one reason per line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from evadts.lexer import MAX_READS
from ingest.raw_tables import MAX_RECORD_REASONS, build_day
from ingest.receive import receive_inbox

MB = 1024 * 1024


def test_a_garbage_file_makes_a_small_record_and_a_partial_file(tmp_path: Path) -> None:
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    (inbox / "garbage.dex").write_bytes(b"ST*001\r\n" * (MB // 8))  # 131,072 bare reads
    receive_inbox(inbox, archive, now=datetime(2026, 3, 1, 12, tzinfo=UTC))
    day = build_day(archive, "2026-03-01")
    (record,) = day.quarantined.values()
    assert len(json.dumps(record, default=str)) < 64 * 1024
    assert len(record["reasons"]) == MAX_RECORD_REASONS == 100
    # every read kept (2000) is truncated, plus the file-level cut: 2001 reasons in all
    assert record["reasons_not_listed"] == MAX_READS + 1 - MAX_RECORD_REASONS
    tables = day.tables()
    reasons = tables["quarantine"]["reason"].to_pylist()
    assert reasons.count("truncated") == MAX_READS == 2000
    assert reasons.count("too_many_reads") == 1
    (file_row,) = tables["dex_files"].to_pylist()
    assert file_row["status"] == "quarantined" and file_row["reads"] == MAX_READS
