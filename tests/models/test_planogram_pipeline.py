"""`cvd materialize` on a small simulated home writes a recommendation for every current slot,
with exactly the table contract's schema."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from models.output_schemas import SCHEMAS, dataset_dir
from tests.orchestration.pipeline import cvd, query
from transforms.lake import current_file


def test_materialize_writes_a_row_per_slot(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    home = tmp_path / "home"
    args = ["--home", str(home)]
    assert cvd("demo-data", "--machines", "3", "--days", "45", "--seed", "9", *args) == 0
    assert cvd("db", "upgrade", *args) == 0
    assert cvd("import", "master-data", *args) == 0
    assert cvd("materialize", *args) == 0
    path = current_file(dataset_dir(home / "lake", "planogram_recommendations"))
    assert path is not None
    assert pq.read_schema(path).equals(SCHEMAS["planogram_recommendations"])
    slots = set(
        query(
            home,
            "SELECT d.dex_serial, p.cabinet_index, p.slot "
            "FROM planogram_slots p JOIN devices d USING (asset_number)",
        )
    )
    rows = query(
        home,
        "SELECT machine_serial, cabinet, slot, source, ai_status, capacity, par_level, reason "
        "FROM planogram_recommendations",
    )
    assert {(r[0], r[1], r[2]) for r in rows} == slots
    assert len(rows) == len(slots)
    for r in rows:
        assert r[3] == "optimiser" and r[4] == "no_key"
        assert 1 <= r[6] <= r[5]
        assert r[7]
