"""False-positive rate of the cash variance rules over many seeds (the report's figure).

    uv run python -m bench.cash_flags [SEEDS] [MACHINES] [DAYS]

Prints, per seed, the planted shrink driver, whether it was flagged and the clean drivers
flagged; then the detection rate and the clean drivers' false-positive rate."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from simulator.config import SimConfig
from tests.transforms.cash_fleet import run_fleet


def main() -> None:
    """Run the seeds and print the rates."""
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    machines = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    days = int(sys.argv[3]) if len(sys.argv) > 3 else 90
    found = clean = wrongly = 0
    for seed in range(1, seeds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            flags = run_fleet(Path(tmp), SimConfig(machines=machines, days=days, seed=seed))
        others = flags.drivers - {flags.shrink_driver}
        wrong = sorted(flags.flagged & others)
        found += flags.shrink_driver in flags.flagged
        clean += len(others)
        wrongly += len(wrong)
        print(f"seed {seed}: shrink {flags.shrink_driver} flagged "
              f"{flags.shrink_driver in flags.flagged}; clean flagged {wrong}")  # fmt: skip
    print(f"detected {found}/{seeds}; false positives {wrongly}/{clean} clean drivers "
          f"= {wrongly / max(clean, 1):.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
