"""A small simulated fleet with every quirk and event turned up, built once per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator import (
    OperationsConfig,
    OutputPaths,
    QuirkConfig,
    RunSummary,
    SimConfig,
    simulate,
)

# Rates far above the defaults, so that 14 machines × 40 days show every quirk and event.
QUIRKY = SimConfig(
    machines=14,
    days=40,
    seed=20240601,
    products=60,
    quirks=QuirkConfig(
        interval_only=0.2,
        duplicate=0.05,
        reexport=0.04,
        damaged=0.05,
        truncated=0.04,
        multi_read=0.25,
        late=0.1,
    ),
    operations=OperationsConfig(
        telemetry_share=0.5,
        price_change_rate=0.15,
        swap_rate=0.15,
        board_replacement_rate=0.04,
        clock_jump_share=0.3,
        test_vend_rate=0.5,
        free_vend_rate=0.3,
    ),
)


@dataclass(frozen=True)
class Run:
    """A finished simulation: its config, where it wrote, and its summary."""

    config: SimConfig
    paths: OutputPaths
    summary: RunSummary


def paths_under(home: Path) -> OutputPaths:
    """The CVD_HOME layout the CLI uses."""
    return OutputPaths(home / "inbox", home / "master-data", home / "truth")


@pytest.fixture(scope="session")
def quirky_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The QUIRKY fleet, simulated once."""
    paths = paths_under(tmp_path_factory.mktemp("quirky"))
    return Run(QUIRKY, paths, simulate(QUIRKY, paths))
