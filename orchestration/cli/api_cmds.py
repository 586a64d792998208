"""Argument parsers for `cvd api` (serve the HTTP API) and `cvd tokens` (its bearer tokens).

The commands live in ``api_run``, imported only when one of them runs.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

API_PORT = 8000
SCOPES = ("intake", "read", "metrics")


def _deferred(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module("orchestration.cli.api_run"), name)(args))

    return run


def add_api_limits(parser: argparse.ArgumentParser) -> None:
    """The API's limits, shared by `cvd api` and `cvd up`."""
    parser.add_argument(
        "--max-body-mb", type=float, default=16.0, help="largest request body, MiB (16)"
    )
    parser.add_argument(
        "--rate", type=float, default=20.0, help="requests per second per token (20)"
    )
    parser.add_argument("--burst", type=int, default=40, help="requests at once per token (40)")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cvd api` and `cvd tokens`."""
    api = subparsers.add_parser(
        "api", help="serve the HTTP API (DEX intake, read API, health, metrics)"
    )
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    api.add_argument("--port", type=int, default=API_PORT, help=f"port ({API_PORT})")
    api.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
    add_api_limits(api)
    api.set_defaults(func=_deferred("run_api"))

    tokens = subparsers.add_parser("tokens", help="bearer tokens of the HTTP API")
    actions = tokens.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a token; it is printed once, only a hash is kept")
    add.add_argument("name", help="token name (lower-case letters, digits, . _ -)")
    add.add_argument("--scope", required=True, choices=SCOPES)
    add.add_argument(
        "--expires", type=date.fromisoformat, metavar="YYYY-MM-DD", help="last day it is valid"
    )
    add.set_defaults(func=_deferred("run_tokens_add"))
    listing = actions.add_parser("list", help="every token: scope, state, last use")
    listing.set_defaults(func=_deferred("run_tokens_list"))
    revoke = actions.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("name")
    revoke.set_defaults(func=_deferred("run_tokens_revoke"))
    for parser in (add, listing, revoke):
        parser.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
