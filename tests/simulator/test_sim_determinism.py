"""Same seed, same bytes: whatever the number of render workers, and split into batches."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import polars as pl

from simulator import SimConfig, simulate
from simulator.truth import DELIVERIES

from .conftest import QUIRKY, paths_under

SMALL = replace(QUIRKY, machines=6, days=21, seed=5)


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_sim_same_seed_same_bytes(tmp_path: Path) -> None:
    simulate(SMALL, paths_under(tmp_path / "a"), workers=1)
    simulate(SMALL, paths_under(tmp_path / "b"), workers=2)
    a, b = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert len(a) > 50 and a == b


def test_sim_other_seed_other_bytes(tmp_path: Path) -> None:
    simulate(SMALL, paths_under(tmp_path / "a"))
    simulate(replace(SMALL, seed=6), paths_under(tmp_path / "b"))
    a, b = digests(tmp_path / "a" / "inbox"), digests(tmp_path / "b" / "inbox")
    assert a != b


def test_sim_batches_split_the_same_files(tmp_path: Path) -> None:
    config: SimConfig = replace(SMALL, batches=2)
    simulate(config, paths_under(tmp_path / "all"))
    simulate(config, paths_under(tmp_path / "b1"), batch=1)
    first = digests(tmp_path / "b1" / "inbox")
    simulate(config, paths_under(tmp_path / "b2"), batch=2)
    second = digests(tmp_path / "b2" / "inbox")
    assert first and second and not first.keys() & second.keys()
    assert first | second == digests(tmp_path / "all" / "inbox")
    rows = pl.read_parquet(tmp_path / "all" / "truth" / DELIVERIES)
    batch_of = dict(zip(rows["file_name"], rows["batch"], strict=True))
    assert {batch_of[n] for n in first} == {1} and {batch_of[n] for n in second} == {2}
    # Window 1 is days [0, D/2), window 2 the rest, including arrivals after the last day.
    assert all(
        (day * 2 < config.days) == (batch == 1)
        for day, batch in rows.select("arrival_day", "batch").iter_rows()
    )
    late = rows.filter(pl.col("quirks").list.contains("late"))
    assert late.height > 0
