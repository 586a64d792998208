"""`cvd db upgrade`, `cvd users add|list|reset|unlock|deactivate|reactivate`, `cvd audit verify`,
`cvd import master-data`.

Only the argument parsers live here; the commands themselves are in ``ops_run``, imported when
one of them runs, so other commands never pay for SQLAlchemy and Alembic.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path

ROLE_CHOICES = ("admin", "manager", "driver", "viewer")


def _deferred(name: str) -> Callable[[argparse.Namespace], int]:
    """A command function that imports ``ops_run`` only when called."""

    def run(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module("orchestration.cli.ops_run"), name)(args))

    return run


def _run_import_collections(args: argparse.Namespace) -> int:
    from orchestration.cli.cash_run import run_import_collections  # noqa: PLC0415

    return run_import_collections(args)


def _add_home(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `db`, `users`, `audit` and `import` command groups."""
    db_parser = subparsers.add_parser("db", help="operational database: create or upgrade schema")
    db_commands = db_parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="create or upgrade the schema (migrations)")
    _add_home(upgrade)
    upgrade.set_defaults(func=_deferred("run_db_upgrade"))

    users_parser = subparsers.add_parser("users", help="user accounts of the operational database")
    user_commands = users_parser.add_subparsers(
        dest="users_command", metavar="ACTION", required=True
    )
    add = user_commands.add_parser("add", help="add a user (password asked, or generated)")
    add.add_argument("name", help="user name (lower-case letters, digits, . _ -)")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add.add_argument("--email", help="the user's email address")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    _add_home(add)
    add.set_defaults(func=_deferred("run_users_add"))
    listing = user_commands.add_parser("list", help="every account, deactivated ones included")
    _add_home(listing)
    listing.set_defaults(func=_deferred("run_users_list"))
    for command, helptext in (
        ("reset", "give a user a temporary password (shown once, changed at next sign-in)"),
        ("unlock", "lift every sign-in lock on a user"),
        ("deactivate", "deactivate a user and end their sessions"),
        ("reactivate", "let a deactivated user sign in again"),
    ):
        parser = user_commands.add_parser(command, help=helptext)
        parser.add_argument("name", help="user name")
        if command == "deactivate":
            parser.add_argument(
                "--reassign-to",
                metavar="OTHER",
                help="the driver who takes over the user's open orders (needed if any)",
            )
        _add_home(parser)
        parser.set_defaults(func=_deferred(f"run_users_{command}"))

    audit_parser = subparsers.add_parser("audit", help="the audit log of the operational database")
    audit_commands = audit_parser.add_subparsers(
        dest="audit_command", metavar="ACTION", required=True
    )
    verify = audit_commands.add_parser(
        "verify", help="check the hash chain (exit 1 naming the first tampered row)"
    )
    _add_home(verify)
    verify.set_defaults(func=_deferred("run_audit_verify"))

    import_parser = subparsers.add_parser(
        "import", help="import data into the operational database"
    )
    import_commands = import_parser.add_subparsers(
        dest="import_kind", metavar="KIND", required=True
    )
    master = import_commands.add_parser("master-data", help="the master-data CSV files")
    master.add_argument(
        "directory", nargs="?", type=Path, help="folder of CSVs (default $CVD_HOME/master-data)"
    )
    _add_home(master)
    master.set_defaults(func=_deferred("run_import_master_data"))
    collections = import_commands.add_parser(
        "collections", help="cash collections from another system (CSV, see docs/cash.md)"
    )
    collections.add_argument("file", type=Path, help="the CSV file")
    _add_home(collections)
    collections.set_defaults(func=_run_import_collections)
