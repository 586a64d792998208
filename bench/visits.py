"""Evaluate the need date against the simulator's truth, versus the fixed calendar.

For each seed: simulate a fleet, deliver only the first half of its files (`--batches 2
--batch 1`), materialize (the plan is made at the end of the data received), then compare, for
horizons h = 1, 3, 7 days after the data's last day, the prediction "needs a visit by day
last + h" with the truth "had a sold-out slot (stockout_minutes > 0) on some day in
(last, last + h]" (the truth's own calendar visits included), and the stricter "k or more
slots sold out on one day" for k = 3, 5. Baseline: the fixed calendar,
"needs a visit by d" when one of the machine's service days falls in (last, d].

    uv run python bench/visits.py [--machines 30] [--days 40] [--seeds 1 2 3] [--work DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from orchestration.cli import main as cvd  # noqa: E402

HORIZONS = (1, 3, 7)
TRUTH_SLOTS = (1, 3, 5)


def _home(work: Path, machines: int, days: int, seed: int) -> Path:
    home = work / f"m{machines}-d{days}-s{seed}"
    if (home / "warehouse.duckdb").exists():
        return home
    shutil.rmtree(home, ignore_errors=True)
    args = ["--home", str(home)]
    sim = ["--machines", str(machines), "--days", str(days), "--seed", str(seed)]
    assert cvd(["demo-data", *sim, "--batches", "2", "--batch", "1", *args]) == 0
    assert cvd(["db", "upgrade", *args]) == 0
    assert cvd(["import", "master-data", *args]) == 0
    assert cvd(["materialize", *args]) == 0
    return home


def _rows(home: Path) -> list[tuple[str, date | None, date, str, dict[date, int]]]:
    """Per machine: need date, the data's last day, service days, and per day after the last
    the number of its slots that were sold out at some time of that day (truth)."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        last = con.execute("SELECT max(plan_date) - 1 FROM service_plan").fetchone()[0]
        machines = con.execute(
            "SELECT s.machine_serial, s.need_date, d.service_days FROM service_scores s "
            "JOIN devices d ON d.dex_serial = s.machine_serial"
        ).fetchall()
        daily = con.execute(
            f"SELECT serial, date, count(*) FILTER (WHERE stockout_minutes > 0) "
            f"FROM '{home / 'truth' / 'slot_day.parquet'}' WHERE date > ? GROUP BY ALL",
            [last],
        ).fetchall()
    finally:
        con.close()
    by_machine: dict[str, dict[date, int]] = {}
    for serial, day, n in daily:
        by_machine.setdefault(serial, {})[day] = n
    return [(m, need, last, days, by_machine.get(m, {})) for m, need, days in machines]


def _calendar(service_days: str, last: date, by: date) -> bool:
    day = last + timedelta(days=1)
    while day <= by:
        if service_days[day.weekday()] == "1":
            return True
        day += timedelta(days=1)
    return False


def _pr(pairs: list[tuple[bool, bool]]) -> tuple[float, float, int, int]:
    tp = sum(p and t for p, t in pairs)
    predicted = sum(p for p, _ in pairs)
    actual = sum(t for _, t in pairs)
    return (
        tp / predicted if predicted else float("nan"),
        tp / actual if actual else float("nan"),
        predicted,
        actual,
    )


def main() -> None:
    """Run the evaluation and print precision and recall per horizon."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--machines", type=int, default=30)
    parser.add_argument("--days", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--work", type=Path, default=Path("bench-visits"))
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        rows += _rows(_home(args.work, args.machines, args.days, seed))
    lasts = sorted({f"{r[2]} ({r[2]:%a})" for r in rows})
    print(f"{len(rows)} machine-plans ({args.machines} machines x seeds {args.seeds})")
    print(f"data's last day: {', '.join(lasts)}")
    print("truth: k or more slots sold out on one day in (last, last + h]")
    print("k  h  policy    precision  recall  predicted  actual")
    for k, h in [(k, h) for k in TRUTH_SLOTS for h in HORIZONS]:
        for name in ("need date", "calendar"):
            pairs = []
            for _, need, last, days, sold_out in rows:
                by = last + timedelta(days=h)
                truth = any(n >= k for day, n in sold_out.items() if day <= by)
                pred = (
                    (need is not None and need <= by)
                    if name == "need date"
                    else _calendar(days, last, by)
                )
                pairs.append((pred, truth))
            p, r, n_pred, n_true = _pr(pairs)
            print(f"{k}  {h}  {name:9} {p:9.2f}  {r:6.2f}  {n_pred:9d}  {n_true:6d}")


if __name__ == "__main__":
    main()
