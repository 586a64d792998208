"""Benchmark: does a flood of sign-ins stall the operational database (issue 15, item 2)?

On a fresh SQLite file with production Argon2 parameters, times a product list (a service
read) and a product save (a service write) first idle, then while ``--threads`` threads sign in
under unknown names as fast as they can, each attempt from a new address (so the per-address
throttle, which would refuse them without hashing, does not help: this is the worst case).
Prints p50 and max of each and their ratio to idle; the target is a ratio near 1, since a
sign-in now holds the write lock only for the few statements recording its outcome, never
during the hash.

    uv run python bench/signin_contention.py [--threads 3] [--reps 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from operations import auth, db
from operations.errors import AuthenticationError
from operations.permissions import SYSTEM
from operations.services import masterdata


def _timed(work: Callable[[], object], reps: int) -> list[float]:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def _save(engine: object, code: str) -> None:
    masterdata.save_product(
        engine, SYSTEM, code=code, name="Cola", category="Drinks", price="1.50", cost="0.50",
        size="M",
    )  # fmt: skip


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cvd-bench-signin-"))
    url = f"sqlite:///{folder / 'cvd.sqlite'}"
    db.upgrade(url)
    engine = db.connect(url)
    for n in range(50):
        _save(engine, f"P{n}")
    counter = iter(range(10**9))

    def read() -> None:
        masterdata.list_products(engine, SYSTEM)

    def write() -> None:
        _save(engine, f"W{next(counter)}")

    idle = {"list": _timed(read, args.reps), "save": _timed(write, args.reps)}
    stop, attempts = threading.Event(), [0]

    def flood(thread: int) -> None:
        while not stop.is_set():
            n = next(counter)
            address = f"10.{thread}.{n // 256 % 256}.{n % 256}"
            try:
                auth.authenticate(engine, f"stranger{n}", "guess-guess-1", address=address)
            except AuthenticationError:
                attempts[0] += 1

    threads = [threading.Thread(target=flood, args=(t,)) for t in range(args.threads)]
    for thread in threads:
        thread.start()
    time.sleep(1)  # let the flood start
    busy = {"list": _timed(read, args.reps), "save": _timed(write, args.reps)}
    stop.set()
    for thread in threads:
        thread.join()
    engine.dispose()
    print(f"{args.threads} threads signing in with unknown names: {attempts[0]} attempts")
    print(f"{'operation':<10}{'idle p50':>12}{'busy p50':>12}{'p50 ratio':>11}{'busy max':>12}")
    for name in ("list", "save"):
        idle_p50, busy_p50 = statistics.median(idle[name]), statistics.median(busy[name])
        print(
            f"{name:<10}{idle_p50 * 1000:>10.1f}ms{busy_p50 * 1000:>10.1f}ms"
            f"{busy_p50 / idle_p50:>10.1f}x{max(busy[name]) * 1000:>10.1f}ms"
        )


if __name__ == "__main__":
    main()
