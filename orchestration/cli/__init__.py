"""The `cvd` command line: one entry point, one module per command group.

Each command module exposes ``register(subparsers)``, which adds its sub-command(s) and sets
``func`` on the parser to a callable taking the parsed ``argparse.Namespace`` and returning the
process exit code. Modules are imported lazily so `cvd parse` never pays for Dagster or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Command modules, in the order `cvd --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "orchestration.cli.up_cmd",
    "orchestration.cli.parse_cmd",
    "orchestration.cli.demo_cmd",
    "orchestration.cli.pipeline_cmds",
    "orchestration.cli.ops_cmds",
    "orchestration.cli.models_cmd",
    "orchestration.cli.api_cmds",
    "orchestration.cli.maintenance_cmd",
    "orchestration.cli.backup_cmd",
    "orchestration.cli.ask_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the full `cvd` argument parser from every registered command module."""
    parser = argparse.ArgumentParser(
        prog="cvd",
        description="CVD: DEX audits to sales, stock-outs and service orders.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `cvd` with ``argv`` (default: the process arguments) and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `cvd parse --json ... | head` closed the pipe: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
