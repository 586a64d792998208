"""`cvd quarantine list|requeue`: a damaged file is quarantined, a fixed copy re-queued lands."""

from __future__ import annotations

from pathlib import Path

from tests.evadts.handmade import BODY, seal
from tests.orchestration.pipeline import cvd, query


def test_requeue_a_fixed_copy_and_reparse_the_same_bytes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = seal(BODY)
    damaged = good.replace(b"PA2*100*12500", b"PA2*100*12600")  # CRC no longer matches
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "audit.dex").write_bytes(damaged)
    assert cvd("materialize", "--home", str(tmp_path)) == 0
    assert query(tmp_path, "SELECT reason FROM quarantine") == [("crc_mismatch",)]
    assert query(tmp_path, "SELECT count(*) FROM dex_reads") == [(0,)]
    capsys.readouterr()
    assert cvd("quarantine", "list", "--home", str(tmp_path)) == 0
    assert "crc_mismatch" in capsys.readouterr().out
    sha = next((tmp_path / "quarantine").glob("*.json")).stem
    # the same bytes again: the day is parsed again and the read stays quarantined
    assert cvd("quarantine", "requeue", sha[:10], "--home", str(tmp_path)) == 0
    assert query(tmp_path, "SELECT count(*) FROM dex_reads") == [(0,)]
    fixed = tmp_path / "fixed.dex"
    fixed.write_bytes(good)
    assert (
        cvd("quarantine", "requeue", sha[:10], "--file", str(fixed), "--home", str(tmp_path)) == 0
    )
    assert cvd("materialize", "--home", str(tmp_path)) == 0
    assert query(tmp_path, "SELECT machine_serial FROM dex_reads") == [("SN12345",)]
    assert cvd("quarantine", "requeue", "ffff", "--home", str(tmp_path)) == 2  # no such file
