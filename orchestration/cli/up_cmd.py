"""`cvd up`: a fresh machine to a running platform on the embedded defaults.

Migrates the operational database; on a home that has never received anything, makes demo data
(`cvd demo-data`) and imports its master data; on an empty users table, creates the demo accounts
and prints their generated passwords once; materializes the whole graph; then serves the Dagster
UI, the dashboards and the HTTP API together until Ctrl-C (``--no-serve`` stops after the
materialization, for scripts and tests). All listen on 127.0.0.1; ``--host ADDRESS`` moves the
dashboards and the API (for phones and other systems on the same network, with a printed
warning), never the Dagster UI, which has no sign-in.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from orchestration.cli import main
from orchestration.settings import Settings, load_settings

if TYPE_CHECKING:
    from orchestration.cli.demo_users import Credential

DAGSTER_PORT = 3000
DASHBOARD_PORT = 8501
API_PORT = 8000


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cvd up`."""
    parser = subparsers.add_parser(
        "up",
        help="set up, demo data and users if empty, materialize, serve UI, dashboards and API",
    )
    parser.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
    parser.add_argument("--no-serve", action="store_true", help="stop after materializing")
    parser.add_argument("--port", type=int, default=DAGSTER_PORT, help="Dagster UI port (3000)")
    parser.add_argument(
        "--dashboard-port", type=int, default=DASHBOARD_PORT, help="dashboards port (8501)"
    )
    parser.add_argument("--api-port", type=int, default=API_PORT, help="HTTP API port (8000)")
    parser.add_argument(
        "--host",
        type=_address,
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address the dashboards and the HTTP API listen on (127.0.0.1; e.g. 0.0.0.0 for "
        "phones on the same network, with a warning); the Dagster UI stays on 127.0.0.1",
    )
    parser.add_argument("--machines", type=int, default=50, help="demo fleet size (50)")
    parser.add_argument("--days", type=int, default=90, help="demo days (90)")
    parser.set_defaults(func=run)


def _address(text: str) -> str:
    """An IP address to listen on (argparse type): names are refused, to bind what is meant."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an IP address (e.g. 0.0.0.0 or 192.168.1.20)"
        ) from None


def masked_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (the terminal is often shared or logged)."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415  (SQLAlchemy only when run)

    return make_url(url).render_as_string(hide_password=True)


def _never_received(settings: Settings) -> bool:
    from ingest.receive import arrival_days  # noqa: PLC0415

    inbox = settings.inbox
    empty_inbox = not inbox.is_dir() or not any(inbox.iterdir())
    return empty_inbox and not arrival_days(settings.archive, settings.ledger_url)


def _print_credentials(credentials: Sequence[Credential]) -> None:
    table = Table(title="demo accounts (passwords shown once, stored only as hashes)")
    for column in ("user", "role", "password", ""):
        table.add_column(column)
    for c in credentials:
        table.add_row(c.username, c.role, c.password, c.note)
    Console().print(table)
    Console().print(
        "Keep them now: they are not shown again. Add another account with "
        "`cvd users add NAME --role ROLE`.",
        highlight=False,
    )


def _demo_users(database_url: str) -> None:
    """Create and print the demo accounts if the users table is empty."""
    from operations import db  # noqa: PLC0415
    from orchestration.cli.demo_users import create_demo_users  # noqa: PLC0415

    engine = db.connect(database_url)
    try:
        credentials = create_demo_users(engine)
    finally:
        engine.dispose()
    if credentials:
        _print_credentials(credentials)


def run(args: argparse.Namespace) -> int:
    """Set up, seed, materialize, serve."""
    from operations import db  # noqa: PLC0415  (SQLAlchemy and Alembic only when run)
    from orchestration.cli.pipeline_run import prepare_environment  # noqa: PLC0415

    console = Console(stderr=True)
    settings = load_settings(args.home)
    home = str(settings.home)
    console.print(f"CVD home: [bold]{home}[/bold]")
    console.print(f"operational database: {masked_url(settings.database_url)}")
    db.upgrade(settings.database_url)
    console.print("operational database at head")
    if _never_received(settings):
        console.print(
            f"nothing received yet: demo data for {args.machines} machines x {args.days} days"
        )
        code = main(
            [
                "demo-data",
                "--machines",
                str(args.machines),
                "--days",
                str(args.days),
                "--home",
                home,
            ]
        )
        if code != 0:
            return code
        code = main(["import", "master-data", str(settings.master_data), "--home", home])
        if code != 0:
            return code
        # the demo's cash collections, as an operator brings their history (docs/cash.md)
        code = main(["import", "collections", str(settings.master_data / "collections.csv"),
                     "--home", home])  # fmt: skip
        if code != 0:
            return code
    code = main(["materialize", "--home", home])
    if code != 0:
        return code
    _demo_users(settings.database_url)  # after the long output, so the passwords stay in view
    if args.no_serve:
        return 0
    from orchestration.cli.serve import (  # noqa: PLC0415
        api_server,
        dagster_server,
        dashboard_server,
        serve,
    )

    prepare_environment(settings)
    servers = (
        dagster_server(args.port),
        dashboard_server(args.dashboard_port, args.host),
        api_server(args.api_port, args.host),
    )
    return serve(servers, env=os.environ, announce=lambda s: console.print(s, highlight=False))
