"""What `cvd backup`, `cvd backup verify|prune` and `cvd restore` do (loaded when one runs)."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape

from operations.backup.manifest import BackupError
from operations.backup.verify import verify_backup
from orchestration.backups import BackupUnsupportedError, back_up, prune_backups, restore
from orchestration.settings import load_backup_settings, load_settings

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def run_backup(args: argparse.Namespace) -> int:
    """Take one snapshot."""

    settings = load_settings(args.home)
    configured = load_backup_settings(settings)
    directory = args.to.resolve() if args.to else configured.directory
    try:
        report = back_up(settings, directory, with_lake=args.with_lake or configured.with_lake)
    except (BackupError, BackupUnsupportedError, OSError) as error:
        errors.print(f"[red]backup failed:[/] {escape(str(error))}")
        return 1
    console.print(
        f"snapshot {escape(str(report.snapshot))}: {report.archive_contents} archived files, "
        f"{report.files} other files; {report.blobs_copied} copied "
        f"({report.bytes_copied} bytes), {report.blobs_reused} already in the backup"
    )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Verify every checksum; exit 1 naming the first bad file."""

    try:
        names = verify_backup(args.directory.resolve(), args.snapshot)
    except BackupError as error:
        errors.print(f"[red]bad backup:[/] {escape(str(error))}")
        return 1
    console.print(f"{len(names)} snapshot(s) verified: {escape(', '.join(names))}")
    return 0


def run_prune(args: argparse.Namespace) -> int:
    """Keep the newest snapshot of the last N days and M weeks; remove the rest."""

    settings = load_settings(args.home)
    configured = load_backup_settings(settings)
    daily = configured.keep_daily if args.keep_daily is None else args.keep_daily
    weekly = configured.keep_weekly if args.keep_weekly is None else args.keep_weekly
    try:
        report = prune_backups(settings, args.to or configured.directory, daily, weekly)
    except BackupError as error:
        errors.print(f"[red]prune failed:[/] {escape(str(error))}")
        return 1
    console.print(
        f"kept {len(report.kept)}, removed {len(report.removed)} snapshot(s) and "
        f"{report.blobs_removed} unneeded blob(s)"
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Restore into an empty home; then materialize (if asked) or say to."""

    settings = load_settings(args.home)
    try:
        report = restore(settings, args.directory.resolve(), args.snapshot)
    except (BackupError, OSError) as error:
        errors.print(f"[red]restore failed:[/] {escape(str(error))}")
        return 1
    console.print(
        f"restored snapshot {escape(report.snapshot)} into {escape(str(settings.home))}: "
        f"{report.archive_contents} archived files, {report.files} other files"
    )
    if not args.materialize:
        console.print(
            f"now rebuild the lake and the warehouse: cvd materialize --home {settings.home}"
        )
        return 0
    from orchestration.cli import main  # noqa: PLC0415 - the CLI imports this module

    return main(["materialize", "--home", str(settings.home)])
