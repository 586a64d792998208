"""Run a checked query on the warehouse: read-only, sandboxed, with a time and a row limit.

The connection opens ``warehouse.duckdb`` read-only, then turns external access off except for
the lake the views read (``allowed_directories``), stops extensions from loading, and locks the
configuration so the query cannot turn any of it back on. It also caps the memory and threads one
query may take (DuckDB's own default is 80 % of the machine's memory and every core, which one
cross join or recursive CTE would take from the dashboards and pipeline) and spills nothing to
disk. A query still running after the time limit is interrupted; at most ``max_rows`` rows are
fetched, one more tells that there were more.

A lake in object storage (``s3://bucket/prefix``) is read through a registered fsspec
filesystem, as everywhere in CVD (``httpfs`` cannot be installed offline). DuckDB 2.0.1 keeps a
registered filesystem usable with external access off and applies ``allowed_directories`` to
its paths too (checked against an S3 API server: the lake's prefix reads; another prefix, another
bucket, a ``..`` path or a local file is refused), so a bucket lake gets the same setting,
naming ``s3://bucket/prefix/``. The filesystem registered is not the lake's own s3fs, though,
which reaches every bucket the credentials reach and writes (DuckDB lets ``COPY ... TO`` write
below an allowed directory): it is :class:`transforms.confined_store.ConfinedFileSystem`, which
serves only reads of keys below the lake's prefix, a second wall should DuckDB's own check have
a hole. It is registered before external access goes off and the configuration is locked.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from models.ask.guard import CheckedQuery
from transforms.confined_store import register_read_only
from transforms.lake import Location
from transforms.objectstore import uri

DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MAX_ROWS = 5_000
DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_THREADS = 2
# The longest row (as text) a result may hold. DuckDB's memory limit does not cover the rows it
# hands to Python: 300 rows of repeat('x', 10000000) took 2.5 GB in the dashboards' process.
# With the row limit this keeps one result near 100 MB of text.
MAX_ROW_CHARS = 20_000
_LITERAL = re.compile(r"'(?:[^']|'')*'")  # a SQL string literal (file names, mostly)
_WORD = re.compile(r"[a-z_][a-z0-9_]*")


class QueryFailedError(RuntimeError):
    """The query was allowed but did not finish: an error, or the time limit (``timed_out``)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True)
class QueryResult:
    """The rows a query returned (at most the row limit) and whether more were left out."""

    frame: pd.DataFrame
    truncated: bool
    elapsed_s: float


def sandboxed_connection(
    warehouse: Path,
    lake: Location,
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int = DEFAULT_THREADS,
    only: frozenset[str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB holding the views of ``warehouse``, able to read files below
    ``lake`` (a folder, or a prefix in object storage) and nothing else, using at most
    ``memory_limit`` and ``threads``, its configuration locked.

    The views are copied from the warehouse file (read-only) rather than queried there: DuckDB
    shares one database instance per file within a process, and locking that instance's
    configuration would lock it for the dashboards' own connections too.

    ``only`` (names) copies just those views and the views they read: creating a view reads the
    footers of its files, which in object storage is a request or more per file, so copying
    every view of a bucket lake for each query would cost seconds before it even ran.
    """
    source = duckdb.connect(str(warehouse), read_only=True)
    try:
        views = source.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary"
        ).fetchall()
    finally:
        source.close()
    if only is not None:
        views = _with_dependencies(views, only)
    con = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    try:
        con.execute("SET memory_limit = ?", [memory_limit])
        con.execute("SET threads = ?", [threads])
        # No spilling: a query past the memory limit fails instead of filling the disk (and the
        # temporary directory is then no longer one of the allowed directories).
        con.execute("SET temp_directory = ''")
        register_read_only(con, lake)
        con.execute("SET allowed_directories = ?", [[uri(lake).rstrip("/") + "/"]])
        con.execute("SET enable_external_access = false")
        _create_views(con, views)
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _with_dependencies(
    views: list[tuple[str, str]], wanted: frozenset[str]
) -> list[tuple[str, str]]:
    """The views named in ``wanted`` and, transitively, every view whose name appears as a word
    in their SQL outside string literals (more than they read at worst, never less). The SQL is
    DuckDB's own rendering (``duckdb_views().sql`` keeps no comments), so a quote always opens
    a literal."""
    names = {name.lower() for name, _ in views}
    reads = {
        name.lower(): names & set(_WORD.findall(_LITERAL.sub("", sql).lower())) - {name.lower()}
        for name, sql in views
    }
    keep: set[str] = set()
    pending = [name.lower() for name in wanted if name.lower() in names]
    while pending:
        name = pending.pop()
        if name not in keep:
            keep.add(name)
            pending.extend(reads[name])
    return [(name, sql) for name, sql in views if name.lower() in keep]


def _create_views(con: duckdb.DuckDBPyConnection, views: list[tuple[str, str]]) -> None:
    """Create ``views`` in an order that puts every view after the views it reads."""
    pending = list(views)
    while pending:
        deferred = []
        for name, sql in pending:
            try:
                con.execute(sql)
            except duckdb.CatalogException:  # reads a view not created yet
                deferred.append((name, sql))
        if len(deferred) == len(pending):
            names = ", ".join(name for name, _ in deferred)
            raise QueryFailedError(f"The warehouse's views cannot be rebuilt: {names}.")
        pending = deferred


def run_query(
    query: CheckedQuery,
    warehouse: Path,
    lake: Location,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_rows: int = DEFAULT_MAX_ROWS,
    params: dict[str, Any] | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> QueryResult:
    """Run ``query`` (already checked by :func:`models.ask.guard.check_query`); raise
    :class:`QueryFailedError` on an error, past ``memory_limit`` or when it runs past
    ``timeout_s``."""
    # the views the query reads and its WITH names (a view of that name must be there to be
    # refused by _refuse_shadowing, with its message)
    only = query.views | query.with_names
    con = sandboxed_connection(warehouse, lake, memory_limit=memory_limit, only=only)
    try:
        _refuse_shadowing(con, query)
    except BaseException:
        con.close()
        raise
    stopped = threading.Event()

    def interrupt() -> None:
        stopped.set()
        con.interrupt()

    timer = threading.Timer(timeout_s, interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        sql = _row_size_capped(query.sql)
        cursor = con.execute(sql, params) if params else con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(max_rows + 1)
    except duckdb.InterruptException:
        raise QueryFailedError(
            f"The query ran longer than {timeout_s:g} s and was stopped.", timed_out=True
        ) from None
    except duckdb.Error as exc:
        if stopped.is_set():
            raise QueryFailedError(
                f"The query ran longer than {timeout_s:g} s and was stopped.", timed_out=True
            ) from None
        raise QueryFailedError(f"The query failed: {str(exc).strip().splitlines()[0]}") from None
    finally:
        timer.cancel()
        con.close()
    truncated = len(rows) > max_rows
    frame = pd.DataFrame.from_records(rows[:max_rows], columns=_unique(columns))
    return QueryResult(frame, truncated, time.perf_counter() - started)


def _row_size_capped(sql: str) -> str:
    """``sql`` wrapped so that a row longer than :data:`MAX_ROW_CHARS` (as text) stops the query
    inside DuckDB, before the rows reach Python. The alias that names the whole row is drawn
    afresh each time: a column the query names like it would otherwise stand in for the row."""
    row = f"_cvd_row_{secrets.token_hex(8)}"
    # The wrapped text is a query the guard passed; the rest is our own constants.
    return (
        f"SELECT * FROM (\n{sql}\n) AS {row}"  # noqa: S608
        f" WHERE CASE WHEN strlen(CAST({row} AS VARCHAR)) > {MAX_ROW_CHARS}"
        f" THEN error('A row of the result is longer than {MAX_ROW_CHARS:,} characters:"
        " select fewer or shorter columns.') ELSE true END"
    )


def _refuse_shadowing(con: duckdb.DuckDBPyConnection, query: CheckedQuery) -> None:
    """Refuse a ``WITH`` name that is also a view of this copy of the warehouse.

    The guard refuses the catalog's views and DuckDB's own, but the warehouse file may hold a view
    the catalog does not list (one an older build left): a CTE of that name lets the guard pass
    the name while the CTE's body, or the query outside a nested CTE, reads the real view."""
    if not query.with_names:
        return
    rows = con.execute("SELECT lower(view_name) FROM duckdb_views() WHERE NOT internal").fetchall()
    if clash := sorted(query.with_names & {name for (name,) in rows}):
        raise QueryFailedError(
            f"A WITH name may not reuse the name of the view {clash[0]}: choose another name."
        )


def _unique(columns: list[str]) -> list[str]:
    """Column names made unique (``SELECT a.x, b.x`` gives two ``x``), as a table needs."""
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}_{count + 1}")
    return out
