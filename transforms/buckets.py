"""Month datasets split by machine bucket, so that a change to a few machines rewrites their
buckets, not the fleet's month.

The sales marts are stored by month (``end_month=YYYY-MM`` of the interval's end read, or
``sales_month=YYYY-MM`` of the day) and, below each month, by a bucket of machines
(``bucket=KK``, a stable hash of the serial). Each bucket is a dataset with immutable versions
(:mod:`transforms.lake`); the catalog reads the live version of every bucket of every month. A
late read a year back, or a machine whose clock jumped, rewrites its machine's bucket in each
month it touches, a sixteenth of the month, instead of every machine's rows.

Each published version carries a note in its Parquet metadata: the version it replaced and the
machines recomputed in it (None: every machine), so that a later step that sums these rows
(``fct_daily_sales``) re-adds only those machines (:func:`rebuilt_since`).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping

import polars as pl

from transforms.lake import CURRENT, Location, current_file, matching, publish, read_schema

BUCKETS = 16
NOTE = "cvd.rebuilt"  # the Parquet metadata key of a version's note


def bucket_of(serial: str) -> str:
    """The bucket folder name of machine ``serial`` (stable across runs and hosts)."""
    return f"bucket={zlib.crc32(serial.encode()) % BUCKETS:02d}"


def buckets_of(machines: Iterable[str]) -> dict[str, set[str]]:
    """Bucket folder name -> the ``machines`` in it."""
    out: dict[str, set[str]] = {}
    for serial in machines:
        out.setdefault(bucket_of(serial), set()).add(serial)
    return out


def split(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The rows of ``frame`` (with a ``machine_serial``) by bucket folder name."""
    if frame.is_empty():
        return {}
    serials = frame["machine_serial"].unique().to_list()
    names = pl.DataFrame(
        {"machine_serial": serials, "_bucket": [bucket_of(s) for s in serials]},
        schema={"machine_serial": frame.schema["machine_serial"], "_bucket": pl.String()},
    )
    parts = frame.join(names, on="machine_serial", how="left").partition_by(
        "_bucket", as_dict=True, include_key=False
    )
    return {str(key[0]): part for key, part in parts.items()}


def stored_files(month: Location, buckets: Iterable[str] | None = None) -> list[Location]:
    """The live version of each bucket of ``month`` (of ``buckets`` only, when given)."""
    wanted = None if buckets is None else set(buckets)
    out = []
    for folder in matching(month, "bucket=*"):
        if wanted is not None and folder.name not in wanted:
            continue
        live = current_file(folder)
        if live is not None and live.exists():
            out.append(live)
    return out


def publish_month(
    month: Location,
    frames: Mapping[str, pl.DataFrame],
    machines: set[str] | None,
    empty: pl.DataFrame,
) -> int:
    """Publish the bucket ``frames`` (bucket folder name -> every row of that bucket) of the
    month dataset ``month``. ``machines`` are those recomputed (None: all, and then every
    stored bucket not in ``frames`` gets an empty version); a bucket of ``machines`` missing
    from ``frames`` gets an empty version too. ``empty`` gives the columns of an empty one.
    Returns the rows written. A month stored whole before the buckets (its own pointer) loses
    its pointer once its buckets are written: readers of an older catalog keep the files."""
    names = set(frames)
    if machines is None:
        names |= {folder.name for folder in matching(month, "bucket=*")}
    else:
        names |= set(buckets_of(machines))
    rows = 0
    for name in sorted(names):
        folder = month / name
        frame = frames.get(name)
        if frame is None:
            if current_file(folder) is None:
                continue  # nothing stored, nothing to store
            frame = empty
        previous = current_file(folder)
        bucket_machines = None if machines is None else buckets_of(machines).get(name, set())
        note = {
            "previous": previous.name if previous is not None else None,
            "machines": None if bucket_machines is None else sorted(bucket_machines),
        }
        table = frame.to_arrow()
        metadata: dict[bytes, bytes] = dict(table.schema.metadata or {})
        metadata[NOTE.encode()] = json.dumps(note).encode()
        publish(folder, table.replace_schema_metadata(metadata))
        rows += frame.height
    if (month / CURRENT).exists():
        (month / CURRENT).unlink()
    return rows


def rebuilt_since(folder: Location, known: str | None, live: str) -> set[str] | None:
    """The machines whose rows can differ between version ``known`` of the bucket dataset in
    ``folder`` (None: before it had any) and version ``live``, from the note each version
    carries (:func:`publish_month`), followed back from ``live`` to ``known``; None (all)
    when a version on the way recomputed every machine, carries no note or is gone."""
    machines: set[str] = set()
    version = live
    for _ in range(10_000):  # a bound: notes that named each other must not loop forever
        if version == known:
            return machines
        path = folder / version
        if not path.exists():
            return None
        metadata = read_schema(path).metadata or {}
        note = json.loads(metadata.get(NOTE.encode(), b"null"))
        if not note or note.get("machines") is None:
            return None
        machines |= set(note["machines"])
        if note.get("previous") is None:  # the bucket's first version
            return machines if known is None else None
        version = note["previous"]
    return None


def stored_whole(root: Location, pattern: str) -> bool:
    """Whether a month dataset below ``root`` (folders matching ``pattern``) is still stored
    whole, as before the buckets: its own pointer, no bucket folders."""
    return any((month / CURRENT).exists() for month in matching(root, pattern))
