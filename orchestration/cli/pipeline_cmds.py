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
    mat.set_defaults(func=_deferred("run_materialize"))

    ing = subparsers.add_parser("ingest", help="copy DEX files or folders into the inbox")
    ing.add_argument("paths", nargs="+", metavar="PATH")
    ing.set_defaults(func=_deferred("run_ingest"))

    sql = subparsers.add_parser("sql", help="query the warehouse (read-only); no query: a shell")
    sql.add_argument("query", nargs="?", help="SQL to run; omit for an interactive shell")
    sql.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    sql.set_defaults(func=_deferred("run_sql"))

    qua = subparsers.add_parser("quarantine", help="list quarantined files, or re-queue one")
    qsub = qua.add_subparsers(dest="action", required=True)
    qlist = qsub.add_parser("list", help="quarantined files with their reasons")
    req = qsub.add_parser("requeue", help="send a quarantined file through ingestion again")
    req.add_argument("sha", help="its SHA-256 (a unique prefix is enough)")
    req.add_argument("--file", help="a fixed copy to ingest instead of the archived bytes")
    qua.set_defaults(func=_deferred("run_quarantine"))

    for parser in (mat, ing, sql, qlist, req):
        parser.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
