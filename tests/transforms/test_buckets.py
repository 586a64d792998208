"""Month datasets by machine bucket: the note each version carries, followed back."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from transforms.buckets import bucket_of, publish_month, rebuilt_since, stored_files
from transforms.lake import CURRENT, current_file, publish


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
    assert pl.read_parquet(live).is_empty()
