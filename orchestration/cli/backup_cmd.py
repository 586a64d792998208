"""Argument parsers for `cvd backup [--to DIR]`, `cvd backup verify DIR`, `cvd backup prune`
and `cvd restore DIR`; the commands are in ``backup_run``, imported only when one runs."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path


def _deferred(name: str) -> Callable[[argparse.Namespace], int]:
    """A command function that imports ``backup_run`` only when called."""

    def run(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module("orchestration.cli.backup_run"), name)(args))

    return run


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `backup` and `restore` commands."""
    backup = subparsers.add_parser(
        "backup",
        help="back up what cannot be rebuilt (database, archive, config, photos)",
        description="Take a snapshot into DIR (default CVD_BACKUP_DIR, or <home>-backups): "
        "the operational database, the archive's ledger and files (each content copied once "
        "across snapshots), configuration, photos, the model registry, a manifest of checksums.",
    )
    backup.add_argument("--to", type=Path, metavar="DIR", help="the backup folder")
    backup.add_argument("--with-lake", action="store_true", help="the lake too (rebuildable)")
    backup.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
    backup.set_defaults(func=_deferred("run_backup"))
    actions = backup.add_subparsers(dest="backup_action", metavar="ACTION")
    verify = actions.add_parser("verify", help="check every checksum (exit 1 naming a bad file)")
    verify.add_argument("directory", type=Path, metavar="DIR")
    verify.add_argument("--snapshot", help="only this snapshot (default: all)")
    verify.set_defaults(func=_deferred("run_verify"))
    prune = actions.add_parser("prune", help="apply the retention policy (keep N daily, M weekly)")
    prune.add_argument("--to", type=Path, metavar="DIR", help="the backup folder")
    prune.add_argument("--keep-daily", type=int, help="default CVD_BACKUP_KEEP_DAILY (7)")
    prune.add_argument("--keep-weekly", type=int, help="default CVD_BACKUP_KEEP_WEEKLY (4)")
    prune.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
    prune.set_defaults(func=_deferred("run_prune"))

    restore = subparsers.add_parser(
        "restore",
        help="restore a backup into an empty home (checksums verified first)",
        description="Verify the snapshot, then restore it into an empty home (and, with "
        "--materialize, rebuild the lake and the warehouse from the restored archive).",
    )
    restore.add_argument("directory", type=Path, metavar="DIR")
    restore.add_argument("--snapshot", help="snapshot name (default: the newest)")
    restore.add_argument("--home", type=Path, help="the empty home (overrides CVD_HOME)")
    restore.add_argument("--materialize", action="store_true", help="then run `cvd materialize`")
    restore.set_defaults(func=_deferred("run_restore"))
