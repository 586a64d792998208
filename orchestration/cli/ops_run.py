"""What `cvd db`, `cvd users` and `cvd import` do (loaded only when one of them runs).

The shell that runs `cvd` is the operator's own, so these commands act as the SYSTEM actor;
every change they make is still checked, validated and audited by the service layer.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from operations import db
from operations.auth import generate_password
from operations.errors import OperationsError
from operations.importer import OUTCOMES, import_master_data
from operations.permissions import SYSTEM
from operations.services.users import add_user
from orchestration.settings import load_settings

console = Console()
errors = Console(stderr=True)


def run_db_upgrade(args: argparse.Namespace) -> int:
    """Run every pending migration on the configured database."""
    settings = load_settings(args.home)
    db.upgrade(settings.database_url)
    engine = db.connect(settings.database_url)
    try:
        console.print(f"database at revision [bold]{db.current_revision(engine)}[/] (head)")
    finally:
        engine.dispose()
    return 0


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """The password and whether it was generated (and so must be shown once)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("password (empty: generate one): ")
        if first:
            if getpass.getpass("again: ") != first:
                raise ValueError("the passwords differ")
            return first, False
    return generate_password(), True


def run_users_add(args: argparse.Namespace) -> int:
    """Create a user; print a generated password once."""
    settings = load_settings(args.home)
    engine = db.connect(settings.database_url)
    try:
        db.require_current(engine)
        password, generated = _read_password(args.password_stdin)
        user = add_user(engine, SYSTEM, username=args.name, role=args.role, password=password)
    except (OperationsError, ValueError) as exc:
        errors.print(f"[red]error:[/] {exc}")
        return 1
    finally:
        engine.dispose()
    console.print(f"user [bold]{user.username}[/] added with role {user.role}")
    if generated:
        console.print(f"password (shown once): [bold]{password}[/]", highlight=False)
    return 0


def run_import_master_data(args: argparse.Namespace) -> int:
    """Import the CSVs; print per-file counts and every rejected row. Exit 1 if any rejected."""
    settings = load_settings(args.home)
    directory = args.directory or settings.master_data
    engine = db.connect(settings.database_url)
    try:
        db.require_current(engine)
        report = import_master_data(engine, directory)
    except OperationsError as exc:
        errors.print(f"[red]error:[/] {exc}")
        return 1
    finally:
        engine.dispose()

    table = Table(title=f"master data from {directory}")
    outcomes = OUTCOMES
    table.add_column("file")
    for outcome in outcomes:
        table.add_column(outcome.replace("_", " "), justify="right")
    for file, counts in report.counts().items():
        table.add_row(file, *(str(counts[o]) for o in outcomes))
    table.add_row("total", *(str(report.total(o)) for o in outcomes), style="bold")
    console.print(table)
    if report.rejected:
        rejected = Table(title="rejected rows (and rows held back with them)")
        for column in ("file", "line", "key", "field", "reason"):
            rejected.add_column(column, overflow="fold")
        for row in report.rows:
            if row.outcome in ("rejected", "not_applied"):
                cells = (row.file, str(row.line), row.key, row.field, row.reason)
                rejected.add_row(*(escape(cell) for cell in cells))  # no rich markup from data
        console.print(rejected)
        return 1
    return 0
