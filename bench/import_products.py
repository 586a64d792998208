"""Benchmark the master-data import: rows per second on a generated products file.

Writes ``--rows`` products (default 20,000) to ``products.csv`` in a temporary folder (the other
master-data files absent: each is reported as one rejected "file not found" entry), imports it
into a fresh SQLite database with ``operations.importer.import_master_data``, and prints the rows
per second of the first import (every row created) and of a second one (every row unchanged),
with their ratio to a plain ``csv.DictReader`` pass over the same file (the floor any import
pays).

    uv run python bench/import_products.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from operations import db
from operations.importer import import_master_data

HEADER = ("product_id", "name", "category", "price", "cost", "size")


def _write(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow(
                (f"P{n:06d}", f"Product {n}", ("Drinks", "Snacks")[n % 2], "1.80", "0.55", "M")
            )


def _read_only(path: Path) -> float:
    start = time.perf_counter()
    with path.open(newline="") as handle:
        count = sum(1 for _ in csv.DictReader(handle))
    return count / (time.perf_counter() - start)


def main() -> None:
    """Generate, import twice, print rows per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder / "products.csv", args.rows)
        url = f"sqlite:///{folder / 'cvd.sqlite'}"
        db.upgrade(url)
        engine = db.connect(url)
        floor = _read_only(folder / "products.csv")
        for label in ("first import (created)", "second import (unchanged)"):
            start = time.perf_counter()
            report = import_master_data(engine, folder)
            seconds = time.perf_counter() - start
            counts = report.counts()["products.csv"]
            rate = args.rows / seconds
            print(
                f"{label}: {args.rows} rows in {seconds:.2f} s = {rate:,.0f} rows/s "
                f"({rate / floor:.4f} of a bare csv read at {floor:,.0f} rows/s); {dict(counts)}"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
