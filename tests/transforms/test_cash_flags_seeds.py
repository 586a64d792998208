"""The variance rules over several seeds: the planted shrink driver is flagged every time, and
clean drivers only as rarely as the honest miscount noise allows (bench/cash_flags.py prints
the false-positive rate over more seeds)."""

from __future__ import annotations

from pathlib import Path

from simulator.config import SimConfig
from tests.transforms.cash_fleet import run_fleet

SEEDS = (1, 2, 3)


def test_shrink_driver_flagged_on_every_seed_and_clean_drivers_rarely(tmp_path: Path) -> None:
    clean = wrongly = 0
    for seed in SEEDS:
        flags = run_fleet(tmp_path / str(seed), SimConfig(machines=36, days=42, seed=seed))
        assert flags.shrink_driver in flags.flagged, seed
        others = flags.drivers - {flags.shrink_driver}
        clean += len(others)
        wrongly += len(flags.flagged & others)
    assert clean >= 2 * len(SEEDS)
    assert wrongly <= 1  # at most one clean driver flagged over every seed
