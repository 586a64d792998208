"""Argument parsers for `cvd materialize`, `cvd ingest`, `cvd sql`, `cvd quarantine`.

The commands themselves live in ``pipeline_run`` and are imported only when one runs.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path


def _deferred(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module("orchestration.cli.pipeline_run"), name)(args))

    return run


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the pipeline commands."""
    mat = subparsers.add_parser(
        "materialize",
        help="run the whole Dagster graph once over CVD_HOME (exit 1 on any failure)",
        description="Receive the inbox, rebuild arrival days that are out of date, refresh "
        "master data and swap in a new warehouse catalog. Exit 1 if any asset or check fails.",
    )
    mat.add_argument(
        "--day",
        action="append",
        metavar="YYYY-MM-DD",
        help="rebuild this arrival day (repeatable) instead of the stale ones",
    )
    mat.add_argument("--rebuild", action="store_true", help="rebuild every arrival day")
    mat.add_argument(
        "--no-models",
        action="store_true",
        help="stop at the data: receive, build the raw days, master data, marts and the "
        "catalog, but leave forecasts, recommendations, visit plans and alerts as they are "
        "(the next run without it refreshes them)",
    )
    mat.set_defaults(func=_deferred("run_materialize"))

    ing = subparsers.add_parser("ingest", help="copy DEX files or folders into the inbox")
    ing.add_argument("paths", nargs="+", metavar="PATH")
    ing.set_defaults(func=_deferred("run_ingest"))

    sql = subparsers.add_parser("sql", help="query the warehouse (read-only); no query: a shell")
    sql.add_argument("query", nargs="?", help="SQL to run; omit for an interactive shell")
    sql.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    sql.set_defaults(func=_deferred("run_sql"))

    qua = subparsers.add_parser(
        "quarantine", help="list quarantined files; re-queue, skip or unskip one"
    )
    qsub = qua.add_subparsers(dest="action", required=True)
    qlist = qsub.add_parser("list", help="quarantined files with their reasons, a page at a time")
    qlist.add_argument("--limit", type=int, default=50, help="records per page (default 50)")
    qlist.add_argument("--offset", type=int, default=0, help="records to pass over first")
    req = qsub.add_parser("requeue", help="send a quarantined file through ingestion again")
    req.add_argument("sha", help="its SHA-256 (a unique prefix is enough)")
    req.add_argument("--file", help="a fixed copy to ingest instead of the archived bytes")
    skip = qsub.add_parser(
        "skip",
        help="exclude an archived file from the raw tables (kept in the archive; audited)",
        description="Mark the file's content as skipped in the archive's ledger: its arrival "
        "days are rebuilt by the next `cvd materialize` without it. Nothing is deleted.",
    )
    skip.add_argument("sha", help="its SHA-256 (a unique prefix is enough)")
    skip.add_argument("--reason", required=True, help="why (kept in the ledger and the audit)")
    unskip = qsub.add_parser("unskip", help="undo `cvd quarantine skip` (audited)")
    unskip.add_argument("sha", help="its SHA-256 (a unique prefix is enough)")
    qua.set_defaults(func=_deferred("run_quarantine"))

    for parser in (mat, ing, sql, qlist, req, skip, unskip):
        parser.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
