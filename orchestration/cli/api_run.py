"""What `cvd api` and `cvd tokens` do (loaded only when one of them runs). The tokens commands
act as the SYSTEM actor (the operator's own shell); the service layer still checks and audits."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from operations import db
from operations.errors import OperationsError
from operations.permissions import SYSTEM
from operations.schema import ApiToken, utcnow
from operations.services import tokens
from orchestration.settings import load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from api.config import ApiConfig

console = Console()
errors = Console(stderr=True)


def api_config(args: argparse.Namespace, home: Path | None = None) -> ApiConfig:
    """The API's configuration from the command's options."""
    from api.config import MIB, ApiConfig  # noqa: PLC0415

    return ApiConfig(
        load_settings(home if home is not None else args.home),
        max_body_bytes=int(args.max_body_mb * MIB),
        rate_per_second=args.rate,
        burst=args.burst,
    )


def run_api(args: argparse.Namespace) -> int:
    """Serve the API until SIGINT/SIGTERM."""
    from api.server import run  # noqa: PLC0415

    config = api_config(args)
    db.upgrade(config.settings.database_url)
    run(config, host=args.host, port=args.port)
    return 0


def _run_tokens(args: argparse.Namespace, action: Callable[[Engine], int]) -> int:
    settings = load_settings(args.home)
    engine = db.connect(settings.database_url)
    try:
        db.require_current(engine)
        return action(engine)
    except OperationsError as exc:
        errors.print(f"[red]error:[/] {exc}", highlight=False)
        return 1
    finally:
        engine.dispose()


def run_tokens_add(args: argparse.Namespace) -> int:
    """Add a token and print it once: on standard output alone, for scripts."""

    def add(engine: Engine) -> int:
        record, token = tokens.add_token(
            engine,
            SYSTEM,
            name=args.name,
            scope=args.scope,
            expires=args.expires,
        )
        errors.print(
            f"token [bold]{record.name}[/] (scope {record.scope}) added; it is shown once, "
            "only its hash is kept:",
            highlight=False,
        )
        print(token)
        return 0

    return _run_tokens(args, add)


def _state(record: ApiToken) -> str:
    if record.revoked_at is not None:
        return f"revoked {record.revoked_at:%Y-%m-%d %H:%M} by {record.revoked_by}"
    if record.expires_at is not None and record.expires_at <= utcnow():
        return f"expired {record.expires_at:%Y-%m-%d}"
    return "active"


def run_tokens_list(args: argparse.Namespace) -> int:
    """Every token with its scope, state and last use (never the token)."""

    def listing(engine: Engine) -> int:
        table = Table(title="API tokens")
        for column in ("name", "scope", "state", "expires", "created", "last used"):
            table.add_column(column)
        for r in tokens.list_tokens(engine, SYSTEM):
            table.add_row(
                r.name,
                r.scope,
                _state(r),
                f"{r.expires_at:%Y-%m-%d %H:%M}" if r.expires_at else "never",
                f"{r.created_at:%Y-%m-%d %H:%M} by {r.created_by}",
                f"{r.last_used_at:%Y-%m-%d %H:%M:%S}" if r.last_used_at else "never",
            )
        console.print(table)
        return 0

    return _run_tokens(args, listing)


def run_tokens_revoke(args: argparse.Namespace) -> int:
    """Revoke a token at once."""

    def revoke(engine: Engine) -> int:
        tokens.revoke_token(engine, SYSTEM, args.name)
        console.print(f"token [bold]{args.name}[/] revoked", highlight=False)
        return 0

    return _run_tokens(args, revoke)
