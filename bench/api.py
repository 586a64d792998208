"""Benchmark the HTTP API: DEX intake against `cvd ingest`, and the read API on a fleet-year.

Intake: the DEX files of a small simulated fleet (`cvd demo-data`, ``--files`` of them) are
received three ways, each into a fresh home:

- `cvd ingest FILES` (copies into the inbox; a process of its own, as an operator runs it) and
  then the inbox's receiving (``ingest.receive.receive_inbox``: archive, sync, ledger), which is
  what the pipeline does with those files before anything else;
- ``POST /v1/dex`` to a `cvd api` process, one file a request, from 1 client and from 8
  concurrent clients: files/s and per-request p50/p95 (the answer comes after the file is
  archived, synced and recorded).

Read API: on the 200-machine x 1-year home (``bench/.work/dashboard-<M>x<D>``, built once with
`cvd demo-data`, `cvd import master-data`, `cvd materialize` and shared with
``bench/dashboard.py``), p50/p95 of each endpoint with realistic filters, target p95 < 300 ms,
and as a ratio to ``/healthz`` (the cost of HTTP itself).

    uv run python bench/api.py [--files 400] [--machines 200] [--days 365] [--reps 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import httpx

ROOT = Path(__file__).resolve().parents[1]
# `python bench/api.py` puts bench/ first on the path, where bench/ingest.py would shadow the
# ingest package this script times
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
READ_TARGET_MS = 300.0


def cvd(*args: str) -> str:
    """Run a `cvd` command in a fresh process; stop with its output if it fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CVD_", "DAGSTER_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "orchestration", *args],
        cwd=ROOT, capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(
            f"cvd {' '.join(args)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}"
        )
    return proc.stdout


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 (nearest rank)."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiProcess:
    """`cvd api` over ``home`` on a free port, with a token of ``scope``."""

    def __init__(self, home: Path, scope: str) -> None:
        cvd("db", "upgrade", "--home", str(home))
        name = f"bench-{scope}-{time.time_ns()}"
        self.token = cvd("tokens", "add", name, "--scope", scope, "--home", str(home)).strip()
        self.url = f"http://127.0.0.1:{free_port()}"
        port = self.url.rsplit(":", 1)[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CVD_", "DAGSTER_"))}
        argv = [sys.executable, "-m", "orchestration", "api", "--home", str(home), "--port", port,
                "--rate", "1000000", "--burst", "1000000"]  # fmt: skip
        self.log = (home / "api.log").open("wb")
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=self.log, stderr=self.log, env=env)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"cvd api did not start: see {home / 'api.log'}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.log.close()


def demo_files(work: Path, count: int) -> list[Path]:
    """DEX files of a small simulated fleet, made once."""
    source = work / "api-intake-files"
    if not (source / "inbox").is_dir():
        cvd("demo-data", "--machines", "40", "--days", "30", "--seed", "3", "--home", str(source))
    files = sorted(p for p in (source / "inbox").rglob("*") if p.is_file())
    if len(files) < count:
        print(f"only {len(files)} demo files; using them all")
    return files[:count]


def bench_ingest(files: list[Path], scratch: Path) -> float:
    """Seconds for `cvd ingest FILES` plus receiving the inbox (archive, sync, ledger)."""
    from ingest.receive import receive_inbox  # noqa: PLC0415

    home = scratch / "cli"
    t0 = time.perf_counter()
    cvd("ingest", str(files[0]), "--home", str(scratch / "cli-startup"))
    startup = time.perf_counter() - t0
    started = time.perf_counter()
    cvd("ingest", *map(str, files), "--home", str(home))
    copied = time.perf_counter()
    report = receive_inbox(home / "inbox", home / "archive")
    done = time.perf_counter()
    assert report.received + report.duplicates == len(files), report
    print(
        f"  cvd ingest (a process, copying): {copied - started:6.2f} s, of which about "
        f"{startup:.2f} s starting the process (`cvd ingest` of one file)"
    )
    print(f"  receive_inbox (archive + ledger): {done - copied:6.2f} s")
    return done - started


def bench_post(files: list[Path], scratch: Path, clients: int) -> tuple[float, list[float]]:
    """Seconds to POST every file from ``clients`` concurrent clients, and each latency (ms)."""
    home = scratch / f"api-{clients}"
    api = ApiProcess(home, "intake")
    bodies = [p.read_bytes() for p in files]
    shares = [bodies[i::clients] for i in range(clients)]

    def client(share: list[bytes]) -> list[float]:
        out = []
        with httpx.Client(headers={"Authorization": f"Bearer {api.token}"}, timeout=60) as http:
            for body in share:
                t0 = time.perf_counter()
                answer = http.post(f"{api.url}/v1/dex", content=body)
                out.append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 202, answer.text
        return out

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            latencies = [ms for got in pool.map(client, shares) for ms in got]
        elapsed = time.perf_counter() - started
    finally:
        api.stop()
    return elapsed, latencies


def build_read_home(home: Path, machines: int, days: int) -> None:
    """The fleet-year home (shared with bench/dashboard.py), built once."""
    if (home / "warehouse.duckdb").is_file():
        print(f"reusing {home}")
        return
    t0 = time.perf_counter()
    if not (home / "master-data").is_dir():
        cvd("demo-data", "--machines", str(machines), "--days", str(days), "--seed", "7",
            "--home", str(home))  # fmt: skip
        cvd("db", "upgrade", "--home", str(home))
        cvd("import", "master-data", "--home", str(home))
    cvd("materialize", "--home", str(home))
    print(f"built {home} in {time.perf_counter() - t0:.0f} s")


def read_cases(home: Path) -> dict[str, dict[str, object]]:
    """Realistic requests, their parameters taken from the warehouse."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        (last,) = con.execute("SELECT max(sales_date) FROM fct_daily_sales").fetchone()
        (busiest,) = con.execute(
            "SELECT machine_serial FROM fct_daily_sales GROUP BY 1 ORDER BY sum(units_sold) DESC "
            "LIMIT 1"
        ).fetchone()
        (route,) = con.execute("SELECT min(route_id) FROM devices").fetchone()
        (product,) = con.execute(
            "SELECT product_id FROM fct_daily_sales GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    month = (last.replace(day=1)).isoformat()
    week = last.fromordinal(last.toordinal() - 6).isoformat()
    return {
        "/healthz": {},
        "/v1/machines": {},
        "/v1/sales/daily (first page, no filter)": {},
        "/v1/sales/daily (a machine, a month)": {"machine": busiest, "from": month},
        "/v1/sales/daily (a route, a week)": {"route": route, "from": week},
        "/v1/sales/daily (a product, a year)": {"product": product},
        "/v1/sales/daily (page 50 of 1000 rows, offset)": {"offset": 49_000},
        "/v1/sales/daily (page 50 of 1000 rows, cursor)": {"cursor_after": 49_000},
        "/v1/sales/daily (a machine, a month, CSV)": {
            "machine": busiest,
            "from": month,
            "format": "csv",
        },
        "/v1/stockouts (a week)": {"from": week},
        "/v1/slot-status (a route)": {"route": route},
        "/v1/recommendations": {},
    }


def _rows(answer: httpx.Response, params: dict[str, object]) -> int:
    if params.get("format") == "csv":
        return answer.text.count("\n") - 1
    return len(answer.json().get("data", []))


def bench_reads(home: Path, reps: int) -> None:
    api = ApiProcess(home, "read")
    try:
        baseline = None
        with httpx.Client(headers={"Authorization": f"Bearer {api.token}"}, timeout=60) as http:
            print(f"  {'request':48} {'rows':>6} {'p50 ms':>8} {'p95 ms':>8} {'x healthz':>10}")
            for label, case in read_cases(home).items():
                path = label.split(" ", 1)[0]
                params = dict(case)
                if "cursor_after" in params:  # the `next` of the page before: a keyset cursor
                    before = {"offset": int(str(params.pop("cursor_after"))) - 1000}
                    nxt = http.get(f"{api.url}{path}", params=before).json()["next"]
                    params = dict(httpx.URL(nxt).params)
                answer = http.get(f"{api.url}{path}", params=params)  # warm-up
                assert answer.status_code == 200, answer.text
                rows = _rows(answer, params)
                samples = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    http.get(f"{api.url}{path}", params=params).raise_for_status()
                    samples.append((time.perf_counter() - t0) * 1000)
                p50, p95 = percentiles(samples)
                baseline = baseline or p95
                flag = "" if p95 < READ_TARGET_MS else "  OVER TARGET"
                print(f"  {label:48} {rows:6} {p50:8.1f} {p95:8.1f} {p95 / baseline:10.1f}{flag}")
    finally:
        api.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--machines", type=int, default=200)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench" / ".work")
    ap.add_argument("--skip-intake", action="store_true")
    ap.add_argument("--skip-reads", action="store_true")
    args = ap.parse_args()
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if not args.skip_intake:
        files = demo_files(work, args.files)
        print(f"intake of {len(files)} DEX files ({sum(p.stat().st_size for p in files)} bytes)")
        with tempfile.TemporaryDirectory(dir=work) as scratch:
            baseline = bench_ingest(files, Path(scratch))
            rate = len(files) / baseline
            print(f"  cvd ingest + receive: {rate:8.1f} files/s")
            for clients in (1, 8):
                elapsed, latencies = bench_post(files, Path(scratch), clients)
                p50, p95 = percentiles(latencies)
                api_rate = len(files) / elapsed
                print(
                    f"  POST /v1/dex, {clients} client(s): {api_rate:8.1f} files/s "
                    f"({api_rate / rate:.2f} x cvd ingest + receive), "
                    f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms"
                )
            shutil.rmtree(scratch, ignore_errors=True)
    if not args.skip_reads:
        home = work / f"dashboard-{args.machines}x{args.days}"
        build_read_home(home, args.machines, args.days)
        print(f"read API on {args.machines} machines x {args.days} days ({args.reps} reps)")
        bench_reads(home, args.reps)


if __name__ == "__main__":
    main()
