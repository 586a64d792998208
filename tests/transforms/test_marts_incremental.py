"""One more arrival day refreshes the marts incrementally and gives exactly a full rebuild.

A simulated fleet (its own quirks: late files, clock problems) is received day by day. Lake A
builds every arrival day but the last, builds the marts, then takes in the last day the way a
daily run does (its partitions, ``refresh_marts`` for that day, ``refresh_derived``); lake B
builds every day and the marts once, from nothing. Every mart of A must equal B's row for row.
``fct_stockouts`` is recomputed in A only for the machines whose files arrived on the last day.

The same holds for files held back and received later (:func:`_held_back_equals_full`): a late
file whose reads lie a month back, a file received into an old day that is then parsed again,
and a machine whose every file arrives on the last day (it appears for the first time). A
scoped month reads the wide raw tables only from the days holding its reads
(``transforms/read_days.py``); a day left out there would lose intervals and show here.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.days import build_and_publish
from ingest.raw_tables import SCHEMAS
from ingest.receive import receive_inbox
from simulator import OutputPaths, QuirkConfig, SimConfig, simulate
from transforms import lake
from transforms.buckets import bucket_of
from transforms.derived import DERIVED, PER_MACHINE, dataset, refresh_derived
from transforms.marts import MARTS_DIR, MATERIALIZED, MartsReport, refresh_marts

# the derived marts that need no master data (the simulator's CSVs are not imported here)
NO_MASTER = ("fleet_clock", "fct_stockouts", "stockout_lost_share")
MACHINES = 6


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulator's output for the fleet (files in ``inbox``, truth in ``truth``)."""
    source = tmp_path_factory.mktemp("fleet") / "source"
    simulate(SimConfig(machines=MACHINES, days=40), OutputPaths(
        source / "inbox", source / "md", source / "truth"), workers=1)  # fmt: skip
    return source


@pytest.fixture(scope="module")
def received(
    simulated: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[str], set[str]]:
    """An archive holding every file of the fleet, its arrival days, and the machines whose
    files arrive on the last day."""
    root = tmp_path_factory.mktemp("received")
    source = simulated
    arrivals = pl.read_parquet(source / "truth" / "deliveries.parquet")
    days = sorted({d.isoformat() for d in arrivals["arrival_date"]})
    inbox, archive = root / "inbox", root / "archive"
    last_files: list[str] = []
    for day in days:
        inbox.mkdir(exist_ok=True)
        names = arrivals.filter(pl.col("arrival_date").cast(pl.String) == day)["file_name"]
        for name in names:
            if (source / "inbox" / name).exists():
                shutil.copyfile(source / "inbox" / name, inbox / name)
        last_files = list(names)
        receive_inbox(inbox, archive, now=datetime.fromisoformat(day).replace(tzinfo=UTC))
    # the simulator names every file after its machine: <serial>_...
    last_machines = {name.split("_", 1)[0] for name in last_files}
    return archive, days, last_machines


def _build_days(archive: Path, lake_dir: Path, days: list[str]) -> None:
    for day in days:
        build_and_publish(archive, lake_dir, day)
    for name, schema in SCHEMAS.items():
        lake.write_schema_file(lake_dir, name, schema)


def _rows(lake_dir: Path, table: str) -> Counter[tuple[object, ...]]:
    """Every row of the live versions of ``table``, floats rounded to 9 digits (a sum over a
    subset of machines may add in another order than over all of them)."""
    files = [f.as_posix() for f in lake.current_files(lake_dir / MARTS_DIR / table)]
    con = duckdb.connect()
    try:
        relation = con.sql("SELECT * FROM read_parquet($f, union_by_name = true)", params={
            "f": files})  # fmt: skip
        columns = [
            f"round({c}, 9)" if str(t) in ("DOUBLE", "FLOAT") else c
            for c, t in zip(relation.columns, relation.types, strict=True)
        ]
        rows = con.execute(
            f"SELECT {', '.join(columns)} FROM read_parquet($f, union_by_name = true)",
            {"f": files},
        ).fetchall()
    finally:
        con.close()
    return Counter(rows)


def test_one_more_day_equals_a_full_rebuild(
    received: tuple[Path, list[str], set[str]], tmp_path: Path
) -> None:
    archive, days, last_machines = received
    assert 0 < len(last_machines) < MACHINES  # else the test could not tell scoped from whole
    daily, full = tmp_path / "daily", tmp_path / "full"
    _build_days(archive, daily, days[:-1])
    refresh_marts(daily)
    before = refresh_derived(daily, NO_MASTER)
    assert before.machines["fct_stockouts"] is None  # the first build computes every machine
    _build_days(archive, daily, days[-1:])
    day = refresh_marts(daily, days[-1:])
    after = refresh_derived(daily, NO_MASTER)
    assert after.machines["fct_stockouts"] == len(last_machines)
    assert day.machines == len(last_machines)  # the sales marts too

    _build_days(archive, full, days)
    refresh_marts(full)
    refresh_derived(full, NO_MASTER)
    for table in (*MATERIALIZED, *[n for n in DERIVED if n in (*NO_MASTER, "fct_daily_sales")]):
        got, want = _rows(daily, table), _rows(full, table)
        assert sum(want.values()) > 0, table
        assert got == want, table
    assert set(PER_MACHINE) <= set(NO_MASTER)


def test_nothing_new_keeps_the_stored_version(
    received: tuple[Path, list[str], set[str]], tmp_path: Path
) -> None:
    archive, days, _ = received
    _build_days(archive, tmp_path, days)
    refresh_marts(tmp_path)
    refresh_derived(tmp_path, NO_MASTER)
    # a run over a day whose partitions did not change since: no machine, no month
    nothing = refresh_marts(tmp_path, days[-1:])
    assert (nothing.machines, nothing.months) == (0, [])
    stored = lake.current_file(dataset(tmp_path, "fct_stockouts"))
    again = refresh_derived(tmp_path, NO_MASTER)
    assert again.machines["fct_stockouts"] == 0
    assert lake.current_file(dataset(tmp_path, "fct_stockouts")) == stored


def _arrivals(source: Path) -> pl.DataFrame:
    """file_name, serial and arrival day (a string) of every file the simulator delivers."""
    arrivals = pl.read_parquet(source / "truth" / "deliveries.parquet")
    arrivals = arrivals.with_columns(pl.col("arrival_date").cast(pl.String).alias("day"))
    return arrivals.filter(pl.col("file_name").map_elements(
        lambda n: (source / "inbox" / n).exists(), return_dtype=pl.Boolean))  # fmt: skip


def _receive(source: Path, archive: Path, files: dict[str, list[str]]) -> None:
    """Receive ``files`` (arrival day -> names) into ``archive``, each on its day."""
    for day in sorted(files):
        inbox = archive.parent / "inbox"
        inbox.mkdir(exist_ok=True)
        for name in files[day]:
            shutil.copyfile(source / "inbox" / name, inbox / name)
        receive_inbox(inbox, archive, now=datetime.fromisoformat(day).replace(tzinfo=UTC))


def _held_back_equals_full(source: Path, root: Path, held: dict[str, str]) -> MartsReport:
    """Lake ``daily``: every file but ``held`` received on its day, every day built, the marts
    built; then each held file received on the day ``held`` names, those days built again and
    the marts refreshed for them, as a daily run does. Lake ``full``: every day of the same
    archive and the marts built from nothing. Every mart must be equal; returns what the daily
    lake's refresh of the sales marts rebuilt."""
    arrivals = _arrivals(source)
    first: dict[str, list[str]] = {}
    for name, day in arrivals.select("file_name", "day").iter_rows():
        if name not in held:
            first.setdefault(day, []).append(name)
    later: dict[str, list[str]] = {}
    for name, day in held.items():
        later.setdefault(day, []).append(name)
    archive, daily, full = root / "archive", root / "daily", root / "full"
    _receive(source, archive, first)
    _build_days(archive, daily, sorted(first))
    refresh_marts(daily)
    refresh_derived(daily, NO_MASTER)
    _receive(source, archive, later)
    _build_days(archive, daily, sorted(later))
    report = refresh_marts(daily, sorted(later))
    refresh_derived(daily, NO_MASTER)

    _build_days(archive, full, sorted(set(first) | set(later)))
    refresh_marts(full)
    refresh_derived(full, NO_MASTER)
    for table in (*MATERIALIZED, "fct_daily_sales", *NO_MASTER):
        got, want = _rows(daily, table), _rows(full, table)
        assert sum(want.values()) > 0, table
        assert got == want, table
    return report


def test_a_late_file_a_month_back_equals_a_full_rebuild(simulated: Path, tmp_path: Path) -> None:
    arrivals = _arrivals(simulated)
    days = sorted(set(arrivals["day"]))
    # a file of the first week, held back until the last day: its reads lie a month before
    early = arrivals.filter(pl.col("day") <= days[6]).sort("day", "file_name").row(0, named=True)
    assert early["day"][:7] < days[-1][:7]  # it lands in another month than its reads
    machines = _held_back_equals_full(simulated, tmp_path, {early["file_name"]: days[-1]}).machines
    assert machines is not None and machines < MACHINES  # the scoped path


def test_an_old_day_parsed_again_equals_a_full_rebuild(simulated: Path, tmp_path: Path) -> None:
    arrivals = _arrivals(simulated)
    days = sorted(set(arrivals["day"]))
    # a file received into day 10 after the day was built (as a parse again after a fix
    # finds it): day 10 is built again and the marts refreshed for it
    old = arrivals.filter(pl.col("day") == days[10]).sort("file_name").row(0, named=True)
    machines = _held_back_equals_full(simulated, tmp_path, {old["file_name"]: days[10]}).machines
    assert machines is not None and machines < MACHINES


def test_a_machine_seen_for_the_first_time_equals_a_full_rebuild(
    simulated: Path, tmp_path: Path
) -> None:
    arrivals = _arrivals(simulated)
    days = sorted(set(arrivals["day"]))
    # a machine that also delivers on the last day, so the refresh stays scoped (the others
    # of that day are recomputed too, as that day's partitions are built again)
    newcomer = sorted(set(arrivals.filter(pl.col("day") == days[-1])["serial"]))[0]
    held = dict.fromkeys(arrivals.filter(pl.col("serial") == newcomer)["file_name"], days[-1])
    machines = _held_back_equals_full(simulated, tmp_path, held).machines
    assert machines is not None and machines < MACHINES


@pytest.fixture(scope="module")
def four_months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A smaller fleet over four months, without the simulator's quirks (no clock set back:
    every read lies in the month it was taken, which the test below counts on)."""
    source = tmp_path_factory.mktemp("four_months") / "source"
    config = SimConfig(
        machines=2, days=100, start=date(2024, 1, 15), quirks=QuirkConfig(enabled=False)
    )
    simulate(config, OutputPaths(source / "inbox", source / "md", source / "truth"), workers=1)
    return source


def test_a_late_file_months_back_rebuilds_its_months_not_the_ones_after(
    four_months: Path, tmp_path: Path
) -> None:
    arrivals = _arrivals(four_months)
    days = sorted(set(arrivals["day"]))
    # a file of the first week held back and received alone on the day after the last: its
    # reads lie three months back
    early = arrivals.filter(pl.col("day") <= days[6]).sort("day", "file_name").row(0, named=True)
    after = (date.fromisoformat(days[-1]) + timedelta(days=1)).isoformat()
    report = _held_back_equals_full(four_months, tmp_path, {early["file_name"]: after})
    assert report.machines == 1  # the scoped path, its machine alone
    # each late read slips between two reads of its own week: the intervals it ends and starts
    # end in its month, or the next one if it is the month's last read. Before, every month
    # from there on was rebuilt for its machine (here four).
    late_month = early["day"][:7]
    assert late_month in report.months
    assert set(report.months) <= {late_month, _next_month(late_month)}, report.months
    assert len({d[:7] for d in days}) >= 4
    # and there only the late machine's bucket got a new version; the other machine's bucket
    # (the fleet's rows in a real month) kept the one the first build wrote
    (other,) = set(arrivals["serial"]) - {early["serial"]}
    mine, theirs = bucket_of(early["serial"]), bucket_of(other)
    assert mine != theirs  # else these two machines could not tell
    marts = tmp_path / "daily" / MARTS_DIR
    for month in (
        marts / "fct_slot_sales" / f"end_month={late_month}",
        marts / "fct_daily_sales_parts" / f"end_month={late_month}",
        marts / "fct_daily_sales" / f"sales_month={late_month}",
    ):
        assert len(list((month / mine).glob("v-*.parquet"))) == 2, month
        assert len(list((month / theirs).glob("v-*.parquet"))) == 1, month


def _next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"
