"""Time the fleet simulator at scale, against evadts.write alone for the same number of reads.

    uv run python bench/simulate.py                      # 1,000 machines × 365 days
    uv run python bench/simulate.py --machines 50 --days 90

Prints seconds, files, MB, reads, peak RSS (this process and the render workers), and the ratio
simulate / write-alone: the write-alone time is measured on a sample of the run's own reads
(parsed back from its files, decoded before the clock starts) and scaled to the run's read count.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import evadts
from simulator import OutputPaths, SimConfig, simulate


def write_alone_seconds(inbox: Path, reads: int, sample: int) -> tuple[float, int]:
    """Seconds evadts.write needs for ``reads`` reads, timed on up to ``sample`` of them."""
    decoded: list[evadts.Read] = []
    for path in sorted(inbox.iterdir()):
        for read in evadts.parse(path.read_bytes(), source=path.name).reads:
            if read.usable:
                _ = read.selections, read.totals, read.events  # decode outside the clock
                decoded.append(read)
        if len(decoded) >= sample:
            break
    began = time.perf_counter()
    for read in decoded:
        evadts.write(read)
    elapsed = time.perf_counter() - began
    return elapsed * reads / max(1, len(decoded)), len(decoded)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=5000, help="reads timed for write-alone")
    parser.add_argument("--home", type=Path, help="keep the output here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cvd-bench-") as tmp:
        home = args.home or Path(tmp)
        paths = OutputPaths(home / "inbox", home / "master-data", home / "truth")
        config = SimConfig(machines=args.machines, days=args.days, seed=args.seed)
        summary = simulate(config, paths, workers=args.workers)
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        alone, sampled = write_alone_seconds(paths.inbox, summary.reads, args.sample)
    print(f"simulate {summary.machines} machines × {summary.days} days, {args.workers} workers")
    print(f"  seconds          {summary.seconds:10.1f}")
    print(f"  reads            {summary.reads:10d}")
    print(f"  files            {summary.files:10d}")
    print(f"  MB (DEX files)   {summary.bytes / 1e6:10.1f}")
    print(f"  peak RSS MB      {peak_self:10.0f} (simulator)  {peak_workers:.0f} (largest worker)")
    print(f"  write alone s    {alone:10.1f} (evadts.write, 1 core, timed on {sampled} reads)")
    print(f"  ratio            {summary.seconds / alone:10.2f} (simulate / write alone)")


if __name__ == "__main__":
    main()
