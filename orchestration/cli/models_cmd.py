"""`cvd models`: train the demand model on demand, list the registry, promote a version.

Exit codes: 0 done (a trained model that was not promoted is still a successful run), 1 the
operation failed (no data, promotion refused), 2 bad usage (unknown version)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cvd models train|list|promote`."""
    models = subparsers.add_parser("models", help="demand models: train, list, promote")
    sub = models.add_subparsers(dest="action", required=True)
    train = sub.add_parser(
        "train",
        help="backtest, train and register a demand model now (promoted if it beats the "
        "current one and the baselines)",
    )
    train.add_argument(
        "--if-changed",
        action="store_true",
        help="do nothing when the current model was trained on exactly this data",
    )
    train.set_defaults(func=run_train)
    listing = sub.add_parser("list", help="every stored model version with its scores")
    listing.set_defaults(func=run_list)
    promote = sub.add_parser("promote", help="make a stored version current")
    promote.add_argument("version")
    promote.add_argument(
        "--force", action="store_true", help="promote even if it does not beat the current one"
    )
    promote.set_defaults(func=run_promote)
    for parser in (train, listing, promote):
        parser.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "-" if value is None else str(value)


def run_train(args: argparse.Namespace) -> int:
    """Train now; print the backtest of the chosen method and both baselines."""
    from rich.progress import Progress, SpinnerColumn, TextColumn  # noqa: PLC0415

    from models.forecast.pipeline import train  # noqa: PLC0415
    from models.registry import BASELINES  # noqa: PLC0415
    from orchestration.settings import load_settings  # noqa: PLC0415

    settings = load_settings(args.home)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err) as progress:
        task = progress.add_task("reading the marts", total=None)
        try:
            report = train(
                settings.home,
                force=not args.if_changed,
                lake=settings.lake,
                progress=lambda text: progress.update(task, description=text),
            )
        except (ValueError, FileNotFoundError) as exc:
            err.print(f"[red]cannot train:[/red] {exc}")
            return 1
    if report.insufficient:
        err.print(f"[red]cannot train:[/red] {report.skipped}")
        return 1
    if report.skipped:
        console.print(f"not retrained: {report.skipped}")
        return 0
    assert report.backtest is not None and report.decision is not None
    result = report.backtest
    table = Table(
        title=f"backtest: {len(result.cutoffs)} cutoffs x 14 days, {report.series} series"
    )
    for column in ("method", "MASE", "WAPE", "bias", "WAPE vs true", "WAPE all days"):
        table.add_column(column, justify="right" if column != "method" else "left")
    for method, scores in result.overall.items():
        mark = (
            " (chosen)" if method == report.method else " (baseline)" if method in BASELINES else ""
        )
        table.add_row(
            method + mark,
            *(_fmt(scores[k]) for k in ("mase", "wape", "bias", "wape_vs_true", "wape_all_days")),
        )
    console.print(table)
    console.print(
        f"censored days: {result.censored_share:.1%}; cutoffs: "
        + ", ".join(str(c) for c in result.cutoffs)
    )
    verdict = "[green]promoted[/green]" if report.decision.promote else "[yellow]rejected[/yellow]"
    console.print(f"model {report.version} ({report.method}): {verdict}: {report.decision.reason}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print every version: status, method, window, WAPE and MASE against the baselines."""
    from models.registry import Registry  # noqa: PLC0415
    from orchestration.settings import load_settings  # noqa: PLC0415

    registry = Registry(load_settings(args.home).home)
    versions = registry.versions()
    if not versions:
        console.print(f"no models in {registry.root}")
        return 0
    table = Table(title=f"demand models ({registry.root})")
    table.add_column("version", no_wrap=True, min_width=max(len(v) for v in versions))
    for column in ("status", "method", "WAPE", "naive", "seasonal", "MASE"):
        table.add_column(column)
    notes = []
    for version in versions:
        m = registry.metadata(version)
        s = m["scores"]
        table.add_row(
            version,
            m["status"],
            m["method"],
            _fmt(s[m["method"]]["wape"]),
            _fmt(s["naive"]["wape"]),
            _fmt(s["seasonal_naive"]["wape"]),
            _fmt(s[m["method"]]["mase"]),
        )
        notes.append(
            f"{version}: data {m['training_start']}..{m['training_end']}, {m.get('reason') or ''}"
        )
    console.print(table)
    for note in notes:
        console.print(note, highlight=False)
    return 0


def run_promote(args: argparse.Namespace) -> int:
    """Promote a stored version if it beats the current one and the baselines on the same
    cutoffs (or with --force); the registry's lake table is republished."""
    from models.registry import Registry, decide_for  # noqa: PLC0415
    from orchestration.settings import load_settings  # noqa: PLC0415

    settings = load_settings(args.home)
    registry = Registry(settings.home)
    try:
        meta = registry.metadata(args.version)
    except (KeyError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        return 2
    current = registry.current()
    if current == args.version:
        console.print(f"{args.version} is already current")
        return 0
    current_score = None
    if current is not None:
        cur = registry.metadata(current)
        if cur["cutoffs"] != meta["cutoffs"] and not args.force:
            err.print(
                f"[red]refused:[/red] {args.version} was backtested on cutoffs {meta['cutoffs']}, "
                f"the current {current} on {cur['cutoffs']}: not comparable (retrain, or --force)"
            )
            return 1
        current_score = cur["scores"][cur["method"]]["wape"]
    decision = decide_for(meta, current_score)
    if not decision.promote and not args.force:
        err.print(f"[red]refused:[/red] {decision.reason} (use --force to promote anyway)")
        return 1
    reason = decision.reason if decision.promote else f"forced by hand: {decision.reason}"
    registry.set_current(args.version, reason)
    registry.export(settings.lake)
    console.print(f"{args.version} is current: {reason}")
    console.print("run `cvd materialize` to forecast with it")
    return 0
