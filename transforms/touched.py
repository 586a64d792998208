"""Which machines' raw data changed since a derived mart was built, from the raw partitions.

Every arrival day of a raw table is a dataset with immutable versions (:mod:`transforms.lake`).
A derived mart that is a function of each machine's own rows alone (``fct_stockouts``: a slot's
episodes, its demand rate, its machine's demand clock) remembers the live version of every raw
partition it was computed from; the next build recomputes only the machines found in the
partitions whose version changed (in the old version and the new one), and keeps the stored rows
of every other machine. Where that cannot be told exactly (no record yet, an old version already
removed, a fixture file rewritten in place) the answer is None: recompute everything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

import duckdb

from transforms.lake import (
    LEGACY_FILE,
    Location,
    atomic_write_json,
    current_file,
    matching,
    read_text,
)
from transforms.objectstore import uri

# the raw tables keyed by machine: a change to any of them can change that machine's marts
MACHINE_TABLES: tuple[str, ...] = (
    "dex_reads",
    "dex_selection_counters",
    "dex_events",
    "dex_payment_totals",
)


def raw_versions(lake: Location) -> dict[str, str]:
    """``table/received_date=DAY`` → the live file name of every raw partition of the
    machine-keyed tables. A file written whole without a pointer (a fixture) is named with
    its size and modification time, since it may be rewritten under the same name."""
    out: dict[str, str] = {}
    for table in MACHINE_TABLES:
        for folder in matching(lake / table, "received_date=*"):
            live = current_file(folder)
            if live is not None and live.exists():
                out[f"{table}/{folder.name}"] = live.name
            elif (legacy := folder / LEGACY_FILE).exists():
                stat = legacy.stat()
                out[f"{table}/{folder.name}"] = f"{LEGACY_FILE}@{stat.st_size}@{stat.st_mtime}"
    return out


def changed_files(lake: Location, known: dict[str, str], live: dict[str, str]) -> list[str] | None:
    """The files of the raw partitions whose live version differs from ``known``: the version
    recorded and the live one, or None when an old version can no longer be read."""
    files: list[str] = []
    for key in sorted(known.keys() | live.keys()):
        if known.get(key) == live.get(key):
            continue
        folder = lake / key
        old, new = known.get(key), live.get(key)
        if old is not None:
            if old.startswith(LEGACY_FILE):  # rewritten in place: the old rows are gone
                return None
            if not (folder / old).exists():  # removed by the lake's garbage collection
                return None
            files.append(uri(folder / old))
        if new is not None:
            files.append(uri(folder / new.split("@")[0]))
    return files


def changed_machines(
    con: duckdb.DuckDBPyConnection, files: list[str] | None
) -> dict[str, datetime | None] | None:
    """The machines in the changed partition ``files`` (:func:`changed_files`), each with its
    earliest read time in those rows (None: no placeable read); None when ``files`` is. The
    rows' machine, read id and read time stay in the temporary table ``changed_rows``, so that
    a caller needing the reads too does not read the files again."""
    if files is None:
        return None
    con.execute(
        "CREATE OR REPLACE TEMP TABLE changed_rows "
        "(machine_serial VARCHAR, read_id VARCHAR, read_at TIMESTAMP)"
    )
    if not files:
        return {}
    con.execute(
        "INSERT INTO changed_rows SELECT machine_serial, read_id, read_at "
        "FROM read_parquet($files, union_by_name = true) WHERE machine_serial IS NOT NULL",
        {"files": files},
    )
    rows = con.execute(
        "SELECT machine_serial, min(read_at) FROM changed_rows GROUP BY machine_serial"
    ).fetchall()
    return {row[0]: row[1] for row in rows}


SCOPE = "touched"


@contextmanager
def scoped(
    con: duckdb.DuckDBPyConnection,
    machines: Iterable[str],
    views: Iterable[str],
    sources: Mapping[str, str] | None = None,
) -> Iterator[None]:
    """Within the block, ``views`` (each with a ``machine_serial``) hold only the rows of
    ``machines``: filtered views of the same names in a schema first on the search path, so
    the SQL run there is the full build's SQL, unchanged. ``sources`` may give, per view, the
    relation to filter instead of the catalog's view of that name (a table of the machines'
    rows computed once, the view over fewer partitions): it must hold every row of
    ``machines`` that the catalog's view holds and the SQL run in the block reads."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCOPE}")
    con.execute(
        f"CREATE OR REPLACE TABLE {SCOPE}.machines AS SELECT unnest($m::VARCHAR[]) AS serial",
        {"m": sorted(machines)},
    )
    for view in views:  # our own constant names and relations, no input
        source = (sources or {}).get(view, f"main.{view}")
        con.execute(
            f"CREATE OR REPLACE VIEW {SCOPE}.{view} AS SELECT * FROM {source} "  # noqa: S608
            f"WHERE machine_serial IN (SELECT serial FROM {SCOPE}.machines)"
        )
    con.execute(f"SET search_path = '{SCOPE},main'")
    try:
        yield
    finally:
        con.execute("RESET search_path")


def reads_table(con: duckdb.DuckDBPyConnection, machines: Iterable[str]) -> dict[str, str]:
    """The deduplicated reads of ``machines`` computed once into the temporary table
    ``changed_reads`` (the catalog's ``dex_reads`` deduplicates every machine's reads at each
    use); returns the ``sources`` that make :func:`scoped` filter it."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE changed_reads AS "
        "SELECT * FROM main.dex_reads WHERE list_contains($m, machine_serial)",
        {"m": sorted(machines)},
    )
    return {"dex_reads": "temp.changed_reads"}


def fingerprint(sql: str) -> str:
    """A digest of the SQL a mart was built with: other SQL means its stored rows are stale."""
    return hashlib.sha256(sql.encode()).hexdigest()


def files_since(
    lake: Location, record: Location, sql: str, live: dict[str, str]
) -> list[str] | None:
    """The raw partition files changed since the mart whose build record (:func:`write_record`)
    is at ``record`` was built (:func:`changed_files`), or None (recompute all) when there is
    no record, the SQL differs or the change cannot be told."""
    try:
        known = json.loads(read_text(record))
    except FileNotFoundError:
        return None
    if known.get("sql") != fingerprint(sql):
        return None
    return changed_files(lake, known.get("raw", {}), live)


def machines_to_rebuild(
    con: duckdb.DuckDBPyConnection,
    lake: Location,
    record: Location,
    sql: str,
    live: dict[str, str],
) -> dict[str, datetime | None] | None:
    """The machines to recompute for a mart whose build record is at ``record``: those of the
    raw partitions changed since (:func:`files_since`), or None (all). Each with the earliest
    read time of its changed rows (:func:`changed_machines`)."""
    return changed_machines(con, files_since(lake, record, sql, live))


def write_record(record: Location, sql: str, live: dict[str, str]) -> None:
    """Remember the SQL and the raw partition versions (:func:`raw_versions`, taken before the
    build began) a mart was just built from."""
    atomic_write_json(record, {"sql": fingerprint(sql), "raw": live})
