"""What `cvd import collections FILE.csv` does (loaded only when it runs)."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from operations import db
from operations.cash_import import import_collections
from operations.csv_rows import FileProblemError
from operations.errors import OperationsError
from operations.importer import OUTCOMES
from operations.permissions import operator
from orchestration.settings import load_settings

console = Console()
errors = Console(stderr=True, soft_wrap=True)


def run_import_collections(args: argparse.Namespace) -> int:
    """Import the file; print the counts and every rejected row (line, field, reason).
    Exit 1 if the file cannot be read or any row was rejected."""
    settings = load_settings(args.home)
    engine = db.connect(settings.database_url)
    try:
        db.require_current(engine)
        report = import_collections(engine, args.file, actor=operator())
    except FileProblemError as exc:
        errors.print(f"[red]error:[/] {escape(str(args.file))}: {escape(str(exc))}")
        return 1
    except OperationsError as exc:
        errors.print(f"[red]error:[/] {escape(str(exc))}")
        return 1
    finally:
        engine.dispose()
    table = Table(title=f"cash collections from {escape(str(args.file))}")
    for outcome in OUTCOMES[:4]:
        table.add_column(outcome, justify="right")
    table.add_row(*(str(report.total(o)) for o in OUTCOMES[:4]))
    console.print(table)
    if not report.rejected:
        return 0
    rejected = Table(title="rejected rows")
    for column in ("line", "machine", "field", "reason"):
        rejected.add_column(column, overflow="fold")
    for row in report.rejected:
        rejected.add_row(*(escape(c) for c in (str(row.line), row.key, row.field, row.reason)))
    console.print(rejected)
    return 1
