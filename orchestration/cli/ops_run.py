"""What `cvd db`, `cvd users`, `cvd audit` and `cvd import` do (loaded only when one runs).

The shell that runs `cvd` is the operator's own, so these commands act with the SYSTEM role, as
``cli:<operating-system user>`` (``operations.permissions.operator``); every change they make is
still checked, validated and audited by the service layer.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from operations import audit, db, retention
from operations.auth import generate_password
from operations.errors import OperationsError
from operations.importer import OUTCOMES, import_master_data
from operations.permissions import operator
from operations.services import users
from orchestration.settings import load_settings

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # an error is never cut mid-command


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
        user = users.add_user(
            engine,
            operator(),
            username=args.name,
            role=args.role,
            password=password,
            email=args.email,
        )
    except (OperationsError, ValueError) as exc:
        errors.print(f"[red]error:[/] {exc}")
        return 1
    finally:
        engine.dispose()
    console.print(f"user [bold]{user.username}[/] added with role {user.role}")
    if generated:
        console.print(f"password (shown once): [bold]{password}[/]", highlight=False)
    return 0


@contextmanager
def _current_database(args: argparse.Namespace) -> Iterator[Engine]:
    """The configured database, refused unless migrated to head; disposed afterwards."""
    engine = db.connect(load_settings(args.home).database_url)
    try:
        db.require_current(engine)
        yield engine
    finally:
        engine.dispose()


REFUSED = object()  # what _on_user returns when the service layer said no


def _on_user(args: argparse.Namespace, change: Callable[[Engine], object]) -> object:
    """Run ``change`` on the migrated database: its result, or REFUSED (the error printed)."""
    try:
        with _current_database(args) as engine:
            return change(engine)
    except OperationsError as exc:
        errors.print(f"[red]error:[/] {escape(str(exc))}")
        return REFUSED


def run_users_list(args: argparse.Namespace) -> int:
    """Print every account: role, email, status, lock, pending password change."""
    found = _on_user(args, lambda e: users.list_users(e, operator(), include_deactivated=True))
    if not isinstance(found, list):
        return 1
    table = Table(title="users")
    for column in ("user", "role", "email", "status", "locked until", "must change password"):
        table.add_column(column, overflow="fold")
    for user in found:
        status = "deactivated" if user.deleted_at is not None else "active"
        locked = user.locked_until.isoformat(timespec="seconds") if user.locked_until else ""
        cells = (user.username, user.role, user.email or "", status, locked)
        table.add_row(*(escape(c) for c in cells), "yes" if user.must_change_password else "")
    console.print(table)
    return 0


def run_users_reset(args: argparse.Namespace) -> int:
    """Give a user a temporary password, printed once; they must change it at next sign-in."""
    temporary = _on_user(args, lambda e: users.reset_password(e, operator(), args.name))
    if _done(args, temporary, "reset: sessions ended, sign-in locks lifted"):
        return 1
    console.print(
        f"temporary password (shown once, must be changed at next sign-in): [bold]{temporary}[/]",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _done(args: argparse.Namespace, result: object, what: str) -> int:
    """Exit 1 if refused (already printed), else say ``what`` happened to the user, exit 0."""
    if result is REFUSED:
        return 1
    console.print(f"user [bold]{escape(args.name)}[/] {what}", highlight=False)
    return 0


def run_users_unlock(args: argparse.Namespace) -> int:
    """Lift every sign-in lock on a user (audited as the operator)."""
    return _done(
        args, _on_user(args, lambda e: users.unlock_user(e, operator(), args.name)), "unlocked"
    )


def run_users_deactivate(args: argparse.Namespace) -> int:
    """Deactivate a user, handing their open orders to ``--reassign-to`` in the same step."""
    moved = _on_user(
        args,
        lambda e: users.deactivate_user(e, operator(), args.name, reassign_to=args.reassign_to),
    )
    if _done(args, moved, "deactivated, sessions ended") or not isinstance(moved, list):
        return 1
    if moved:
        ids = ", ".join(str(order_id) for order_id in moved)
        console.print(f"open orders {ids} now with {escape(args.reassign_to)}", highlight=False)
    return 0


def run_users_reactivate(args: argparse.Namespace) -> int:
    """Let a deactivated user sign in again (with their old password)."""
    result = _on_user(args, lambda e: users.reactivate_user(e, operator(), args.name))
    return _done(args, result, "reactivated")


def run_audit_verify(args: argparse.Namespace) -> int:
    """Check the audit log's hash chain: exit 0 if intact, 1 naming the first broken row."""
    try:
        with _current_database(args) as engine:
            broken = audit.verify_chain(engine)
            archived = retention.verify_archives(engine, load_settings(args.home).audit_archive)
    except OperationsError as exc:
        errors.print(f"[red]error:[/] {exc}")
        return 1
    for problem in archived:
        errors.print(f"audit archive: {problem}", markup=False, highlight=False, soft_wrap=True)
    if broken is not None:
        errors.print(
            f"[red]audit log tampered:[/] row {broken} does not match its hash chain "
            "(edited, or a row before it removed)"
        )
        return 1
    if archived:
        return 1
    console.print("audit log intact: every row matches its hash chain (and every archive file)")
    return 0


def run_import_master_data(args: argparse.Namespace) -> int:
    """Import the CSVs; print per-file counts and every rejected row. Exit 1 if any rejected."""
    settings = load_settings(args.home)
    directory = args.directory or settings.master_data
    engine = db.connect(settings.database_url)
    try:
        db.require_current(engine)
        report = import_master_data(engine, directory, actor=operator())
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
