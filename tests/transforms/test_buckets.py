"""Month datasets by machine bucket: the note each version carries, followed back."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from transforms.buckets import bucket_of, publish_month, rebuilt_since, stored_files
from transforms.derived import _refresh_daily
from transforms.lake import CURRENT, current_file, publish
from transforms.marts import FCT_SLOT_SALES, MARTS_DIR, MartsReport, _empty_months


def _rows(*serials: str) -> pl.DataFrame:
    return pl.DataFrame({"machine_serial": list(serials), "units": [1] * len(serials)})


def _live(folder: Path) -> str:
    live = current_file(folder)
    assert live is not None
    return live.name


def test_the_machines_rebuilt_since_a_version_are_the_union_of_the_notes_back_to_it(
    tmp_path: Path,
) -> None:
    month = tmp_path / "end_month=2024-01"
    bucket = bucket_of("A")
    publish_month(month, {bucket: _rows("A")}, None, _rows().clear())  # a full build
    first = _live(month / bucket)
    publish_month(month, {bucket: _rows("A")}, {"A"}, _rows().clear())
    publish_month(month, {bucket: _rows("A")}, {"A"}, _rows().clear())
    live = _live(month / bucket)
    assert rebuilt_since(month / bucket, first, live) == {"A"}
    assert rebuilt_since(month / bucket, live, live) == set()
    # a full build on the way, or a version no note leads to: every machine
    assert rebuilt_since(month / bucket, None, live) is None  # the first version was full
    assert rebuilt_since(month / bucket, "v-unknown.parquet", live) is None


def test_a_bucket_whose_machines_left_gets_an_empty_version_and_a_whole_month_its_pointer_dropped(
    tmp_path: Path,
) -> None:
    month = tmp_path / "end_month=2024-01"
    publish(month, _rows("A").to_arrow())  # a month stored whole, before the buckets
    assert (month / CURRENT).exists()
    bucket = bucket_of("A")
    publish_month(month, {bucket: _rows("A")}, None, _rows().clear())
    assert not (month / CURRENT).exists()  # its bucket replaces it for the catalog
    publish_month(month, {}, {"A"}, _rows().clear())  # A has no interval here any more
    (live,) = stored_files(month)
    assert pl.read_parquet(str(live)).is_empty()


def test_an_emptied_bucket_names_no_machines_so_the_daily_sums_redo_all_of_it(
    tmp_path: Path,
) -> None:
    month = tmp_path / MARTS_DIR / FCT_SLOT_SALES / "end_month=2024-01"
    bucket = bucket_of("A")
    publish_month(month, {bucket: _rows("A", "A")}, None, _rows().clear())
    first = _live(month / bucket)
    publish_month(month, {bucket: _rows("A")}, {"A"}, _rows().clear())  # A recomputed
    _empty_months(tmp_path, "2024-01", set(), MartsReport())  # then no read is left there
    # the empty version must not repeat the note it replaced ({"A"} since `first`): every
    # machine of the bucket lost its rows
    assert rebuilt_since(month / bucket, first, _live(month / bucket)) is None


def test_the_daily_sums_wait_while_the_parts_are_stored_whole(tmp_path: Path) -> None:
    parts = tmp_path / "marts" / "fct_daily_sales_parts" / "end_month=2024-01"
    daily = tmp_path / "marts" / "fct_daily_sales" / "sales_month=2024-01"
    publish(parts, _rows("A").to_arrow())  # both stored whole, before the buckets
    publish(daily, _rows("A").to_arrow())
    assert _refresh_daily(duckdb.connect(), tmp_path) == ([], 0)
    assert (daily / CURRENT).exists()  # the sales stay readable until the parts are bucketed
