"""`cvd demo-data`: a simulated fleet's DEX files, master data and ground truth under CVD_HOME.

Same arguments, same bytes. ``--batches N --batch I`` writes only the DEX files arriving in the
I-th of N equal arrival windows (late files land in a later window), so a pipeline can be fed
days 1..K first and the rest afterwards; master data and truth are written in full each time.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from datetime import date

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from orchestration.settings import load_settings
from simulator import OutputPaths, QuirkConfig, SimConfig, simulate
from simulator.catalog import CATEGORIES

EXIT_OK, EXIT_USAGE = 0, 2
# Every cabinet type is stocked from its categories, and the catalog deals products out to the
# categories in turn: with fewer products than categories some cabinet would have nothing to hold.
MIN_PRODUCTS = len(CATEGORIES)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cvd demo-data`."""
    parser = subparsers.add_parser(
        "demo-data",
        help="simulate a fleet: DEX files into the inbox, master data, ground truth",
        description="Simulate an operator's fleet day by day and write DEX files "
        "($CVD_HOME/inbox), master data CSVs ($CVD_HOME/master-data) and the ground truth "
        "($CVD_HOME/truth). Same seed, same bytes.",
    )
    defaults = SimConfig()
    parser.add_argument("--machines", type=int, default=defaults.machines, help="devices (50)")
    parser.add_argument("--days", type=int, default=defaults.days, help="days to simulate (90)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed (42)")
    parser.add_argument("--home", help="CVD_HOME to write into (default: $CVD_HOME or data/)")
    parser.add_argument(
        "--start", type=date.fromisoformat, default=defaults.start, help="first day, YYYY-MM-DD"
    )
    parser.add_argument("--products", type=int, default=defaults.products, help="catalog size")
    parser.add_argument(
        "--no-quirks", action="store_true", help="clean deliveries: no field quirks at all"
    )
    parser.add_argument(
        "--batches", type=int, default=1, help="split deliveries into N arrival windows"
    )
    parser.add_argument("--batch", type=int, help="write only the DEX files of this window (1..N)")
    parser.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processes rendering DEX files (default: up to 2)",
    )
    parser.set_defaults(func=run)


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, naming the option, or None when the run can start."""
    for option in ("machines", "days", "batches", "workers"):
        if getattr(args, option) < 1:
            return f"--{option} must be at least 1 (got {getattr(args, option)})"
    if args.products < MIN_PRODUCTS:
        return (
            f"--products must be at least {MIN_PRODUCTS}, one per product category "
            f"(got {args.products})"
        )
    if args.seed < 0:
        return f"--seed must be 0 or more (got {args.seed})"
    if args.batch is not None and not 1 <= args.batch <= args.batches:
        return f"--batch must be within 1..{args.batches} (got {args.batch})"
    return None


def run(args: argparse.Namespace) -> int:
    """Simulate, show progress, print a summary; return the exit code."""
    problem = usage_problem(args)
    if problem is not None:
        Console(stderr=True).print(f"cvd demo-data: {problem}", style="red", markup=False)
        return EXIT_USAGE
    settings = load_settings(args.home)
    config = SimConfig(
        machines=args.machines,
        days=args.days,
        seed=args.seed,
        start=args.start,
        products=args.products,
        batches=args.batches,
    )
    if args.no_quirks:
        config = replace(config, quirks=QuirkConfig(enabled=False))
    paths = OutputPaths(settings.inbox, settings.master_data, settings.truth)
    console = Console()
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("days", total=config.days)
        summary = simulate(
            config,
            paths,
            workers=args.workers,
            batch=args.batch,
            on_day=lambda _day: progress.advance(task),
        )
    window = f" (batch {args.batch}/{args.batches})" if args.batch is not None else ""
    console.print(
        f"{summary.machines} machines ({summary.slots} slots) × {summary.days} days: "
        f"{summary.reads} reads, {summary.files} files{window}, "
        f"{summary.bytes / 1e6:.1f} MB in {summary.seconds:.1f} s"
    )
    console.print(f"  DEX files   {paths.inbox}")
    console.print(f"  master data {paths.master_data}")
    console.print(f"  truth       {paths.truth}")
    return EXIT_OK
