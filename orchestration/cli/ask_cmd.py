"""`cvd ask`: a question answered from the warehouse with the SQL shown, or a query run through
the same guard, or a saved report.

    cvd ask "which machines on route 3 lost the most to stock-outs last week?"
    cvd ask --sql "SELECT route_id, sum(revenue) FROM sales_by_route_day GROUP BY ALL"
    cvd ask --reports                       # the saved reports
    cvd ask --report stockout_loss_by_machine --param route=3 --param days=14

The shell acts as the operator (``cli:<user>``, every view). Without an API key (or when the AI
fails) a question lists the saved reports its words match. Exit codes: 0 answered; 1 refused,
failed, or not answerable; 2 bad usage or no warehouse; 3 the AI is off or failed (matching
reports listed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from models.ask.assistant import Outcome
    from models.ask.reports import Match, Report
    from operations.permissions import Actor
    from orchestration.settings import Settings

console = Console()
err = Console(stderr=True)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cvd ask`."""
    ask = subparsers.add_parser(
        "ask",
        help="ask a question of the warehouse (Claude writes the SQL; it is checked and shown)",
        description="Answer a question with one read-only query on the warehouse, or run "
        "--sql / --report through the same guard. Every question is recorded.",
    )
    ask.add_argument("question", nargs="?", help="the question, in plain language")
    group = ask.add_mutually_exclusive_group()
    group.add_argument("--sql", metavar="QUERY", help="run this query (one SELECT) instead")
    group.add_argument("--report", metavar="ID", help="run a saved report")
    group.add_argument("--reports", action="store_true", help="list the saved reports")
    ask.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a saved report's parameter (days, limit, route, product); repeatable",
    )
    ask.add_argument("--csv", action="store_true", help="print the rows as CSV")
    ask.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
    ask.set_defaults(func=run_ask)


def run_ask(args: argparse.Namespace) -> int:
    """Run `cvd ask`."""
    from models.ask import policy, reports  # noqa: PLC0415
    from operations import db  # noqa: PLC0415
    from operations.errors import SchemaOutdated  # noqa: PLC0415
    from operations.permissions import operator  # noqa: PLC0415
    from orchestration.settings import load_settings  # noqa: PLC0415
    from transforms.catalog import CATALOG  # noqa: PLC0415

    settings = load_settings(args.home)
    actor = operator()
    views = policy.views_for(actor.role, CATALOG)
    if args.reports:
        _list_reports(reports.offered(views))
        return 0
    if not settings.warehouse.exists():
        err.print(f"[red]no warehouse at {escape(str(settings.warehouse))}: run `cvd materialize`")
        return 2
    engine = db.connect(settings.database_url)
    try:
        db.require_current(engine)
        return _answer(args, settings, engine, actor, views)
    except SchemaOutdated as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        return 2
    finally:
        engine.dispose()


def _answer(
    args: argparse.Namespace,
    settings: Settings,
    engine: Engine,
    actor: Actor,
    views: frozenset[str],
) -> int:
    from models.ask import assistant, reports  # noqa: PLC0415
    from orchestration import ask  # noqa: PLC0415
    from orchestration.settings import load_ai_config  # noqa: PLC0415

    if args.sql is not None:
        outcome = ask.run_query_text(settings, engine, actor, args.sql)
    elif args.report is not None:
        try:
            match = reports.with_params(reports.report(args.report), _params(args.param))
        except (KeyError, ValueError) as exc:
            err.print(f"[red]{escape(str(exc).strip(chr(39)))}[/red]")
            return 2
        outcome = ask.run_saved_report(settings, engine, actor, match)
    elif args.question:
        outcome = ask.ask_question(settings, engine, actor, args.question, load_ai_config(settings))
        if outcome.status in assistant.AI_OFF:
            err.print(escape(outcome.message))
            _list_matches(reports.match(args.question, views))
            return 3
    else:
        err.print("give a question, --sql QUERY, --report ID or --reports")
        return 2
    return _show(outcome, args.csv)


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--param {pair!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


def _show(outcome: Outcome, csv: bool) -> int:
    from transforms.spreadsheet import write_rows  # noqa: PLC0415

    if outcome.explanation and not csv:
        console.print(escape(outcome.explanation))
    if outcome.sql and not csv:
        console.print(f"[dim]{escape(outcome.sql)}[/dim]")
    if outcome.result is None:
        err.print(f"[red]{escape(outcome.message)}[/red]")
        return 1
    frame = outcome.result.frame
    rows = [tuple(r) for r in frame.itertuples(index=False)]
    if csv:
        write_rows(sys.stdout, list(frame.columns), rows)  # formula-safe for spreadsheets
    else:
        table = Table()
        for name in frame.columns:
            table.add_column(escape(str(name)))
        for row in rows:
            table.add_row(*["" if v is None else escape(str(v)) for v in row])
        console.print(table)
    err.print(escape(outcome.message))
    return 0


def _list_reports(items: list[Report]) -> None:
    table = Table("id", "report", "answers", "parameters")
    for item in items:
        params = ", ".join(f"{k}={v}" for k, v in item.params.items())
        table.add_row(item.report_id, escape(item.title), escape(item.question), escape(params))
    console.print(table)


def _list_matches(matches: list[Match]) -> None:
    if not matches:
        err.print("No saved report matches these words; `cvd ask --reports` lists them all.")
        return
    err.print("Saved reports that may answer it (run one with `cvd ask --report ID`):")
    for found in matches:
        params = " ".join(f"--param {k}={v}" for k, v in found.params.items() if v != "")
        err.print(f"  {found.report.report_id}: {escape(found.report.question)}  {escape(params)}")
