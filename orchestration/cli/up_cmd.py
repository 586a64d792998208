"""`cvd up`: a fresh machine to a running platform on the embedded defaults.

Migrates the operational database; on a home that has never received anything, makes demo data
(`cvd demo-data`) and imports its master data; materializes the whole graph; then serves the
Dagster UI until Ctrl-C (``--no-serve`` stops after the materialization, for scripts and tests).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from orchestration.cli import main
from orchestration.settings import load_settings

DAGSTER_PORT = 3000


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cvd up`."""
    parser = subparsers.add_parser(
        "up", help="set up, make demo data if empty, materialize, serve the Dagster UI"
    )
    parser.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
    parser.add_argument("--no-serve", action="store_true", help="stop after materializing")
    parser.add_argument("--port", type=int, default=DAGSTER_PORT, help="Dagster UI port (3000)")
    parser.add_argument("--machines", type=int, default=50, help="demo fleet size (50)")
    parser.add_argument("--days", type=int, default=90, help="demo days (90)")
    parser.set_defaults(func=run)


def _never_received(home: Path) -> bool:
    inbox, archive = home / "inbox", home / "archive"
    empty_inbox = not inbox.is_dir() or not any(inbox.iterdir())
    return empty_inbox and not (archive / "days").is_dir()


def run(args: argparse.Namespace) -> int:
    """Set up, seed, materialize, serve."""
    from operations import db  # noqa: PLC0415  (SQLAlchemy and Alembic only when run)
    from orchestration.cli.pipeline_run import prepare_environment  # noqa: PLC0415

    console = Console(stderr=True)
    settings = load_settings(args.home)
    home = str(settings.home)
    console.print(f"CVD home: [bold]{home}[/bold]")
    db.upgrade(settings.database_url)
    console.print(f"operational database at head: {settings.database_url}")
    if _never_received(settings.home):
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
    code = main(["materialize", "--home", home])
    if code != 0 or args.no_serve:
        return code
    prepare_environment(settings)
    console.print(
        f"\nDagster UI: http://127.0.0.1:{args.port}   (Ctrl-C stops)\n"
        f"Warehouse:  {settings.warehouse}   (cvd sql, or any DuckDB client, read-only)"
    )
    server = subprocess.Popen(  # noqa: S603  (our own interpreter and module, fixed arguments)
        [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-m",
            "orchestration.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(args.port),
        ],
        env=os.environ.copy(),
    )
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait(timeout=30)
        return 0
