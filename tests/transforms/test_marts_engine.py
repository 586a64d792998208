"""The DuckDB limits of the marts builds: memory held, spilling to the configured folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.engine import EngineConfig, EngineConfigError, connect


def test_connection_holds_the_configured_limits(tmp_path: Path) -> None:
    spill = tmp_path / "tmp" / "duckdb"
    con = connect(EngineConfig("64MB", spill, threads=1))
    try:
        setting = "SELECT current_setting($name)"
        # 64 MB = 64,000,000 bytes = 61.04 MiB, as DuckDB shows it
        assert con.execute(setting, {"name": "memory_limit"}).fetchone() == ("61.0 MiB",)
        assert con.execute(setting, {"name": "temp_directory"}).fetchone() == (spill.as_posix(),)
        assert con.execute(setting, {"name": "threads"}).fetchone() == (1,)
    finally:
        con.close()
    assert spill.is_dir()  # created, so the first spill does not fail


def test_a_sort_larger_than_the_limit_spills_and_completes(tmp_path: Path) -> None:
    # 3 million rows of (bigint, double, 20-character string) are well over 24 MB in memory
    con = connect(EngineConfig("24MB", tmp_path / "spill", threads=1))
    try:
        row = con.execute(
            "SELECT count(*), sum(CASE WHEN n = i THEN 1 ELSE 0 END) FROM ("
            "  SELECT i, row_number() OVER (ORDER BY s, i) - 1 AS n FROM ("
            "    SELECT i, lpad(i::VARCHAR, 20, '0') AS s FROM range(3000000) t(i)))"
        ).fetchone()
    finally:
        con.close()
    # zero-padded strings sort as the numbers do: every row keeps its rank
    assert row == (3_000_000, 3_000_000)


@pytest.mark.parametrize("limit", ["lots", "2 bananas", ""])
def test_a_limit_duckdb_cannot_read_is_refused(limit: str) -> None:
    with pytest.raises(EngineConfigError, match="memory limit"):
        EngineConfig(limit)


def test_threads_must_be_positive() -> None:
    with pytest.raises(EngineConfigError, match="threads"):
        EngineConfig("1GB", threads=0)
