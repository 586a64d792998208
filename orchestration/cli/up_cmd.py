"""`cvd up`: the main job on the embedded defaults, for a fresh machine.

Migrates the operational database, makes demo data when the inbox is empty, then parses every
file in the inbox and prints what it found. Later stages (Dagster materialization, the
warehouse, the dashboards) join here as they land.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

import evadts
from orchestration.cli import command_names, main
from orchestration.settings import Settings, load_settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cvd up`."""
    parser = subparsers.add_parser("up", help="set up and run the main job on demo defaults")
    parser.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
    parser.set_defaults(func=run)


def _inbox_files(settings: Settings) -> list[Path]:
    if not settings.inbox.is_dir():
        return []
    return sorted(p for p in settings.inbox.rglob("*") if p.is_file())


def run(args: argparse.Namespace) -> int:
    """Migrate, seed demo data if the inbox is empty, parse the inbox, print a summary."""
    from operations import db  # noqa: PLC0415  (SQLAlchemy and Alembic only when run)

    console = Console()
    settings = load_settings(args.home)
    settings.inbox.mkdir(parents=True, exist_ok=True)
    console.print(f"CVD home: [bold]{settings.home}[/bold]")
    db.upgrade(settings.database_url)
    console.print(f"operational database migrated: {settings.database_url}")
    if not _inbox_files(settings) and "demo-data" in command_names():
        console.print("inbox empty: making demo data")
        code = main(["demo-data", "--home", str(settings.home)])
        if code != 0:
            return code
    files = _inbox_files(settings)
    if not files:
        console.print("[yellow]the inbox is empty: nothing to parse[/yellow]")
        return 0
    verdicts: Counter[str] = Counter()
    machines: set[str] = set()
    size = 0
    for path in track(files, description="parsing inbox", console=console):
        data = path.read_bytes()
        size += len(data)
        result = evadts.parse(data, source=str(path))
        verdicts["files"] += 1
        for read in result.reads:
            verdicts["reads"] += 1
            verdicts["usable" if read.usable else "not usable"] += 1
            verdicts["crc verified" if read.verified else "unverified or failed"] += 1
            if read.machine.serial:
                machines.add(read.machine.serial)
        if not result.reads:
            verdicts["files without a read"] += 1
    table = Table(title=f"inbox: {settings.inbox}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in (
        "files",
        "reads",
        "usable",
        "not usable",
        "crc verified",
        "unverified or failed",
        "files without a read",
    ):
        table.add_row(key, str(verdicts[key]))
    table.add_row("machines", str(len(machines)))
    table.add_row("megabytes", f"{size / 1e6:.2f}")
    console.print(table)
    return 0
