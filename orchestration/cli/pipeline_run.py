"""`cvd materialize`, `cvd ingest`, `cvd sql`, `cvd quarantine`: the pipeline from the terminal.

Imported only when one of these commands runs (Dagster and DuckDB take a while to import).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from ingest.ledger import arrival_days
from ingest.stale import contiguous_blocks, stale_days
from orchestration.dagster_instance import write_dagster_yaml
from orchestration.settings import Settings, load_settings
from transforms.catalog import open_warehouse
from transforms.spreadsheet import write_rows

console = Console(stderr=True)


def ensure_dagster_home(settings: Settings) -> Path:
    """The home's Dagster instance folder, created with its configuration if new."""
    dagster_home = settings.dagster_home
    dagster_home.mkdir(parents=True, exist_ok=True)
    write_dagster_yaml(dagster_home, settings)  # storage on PostgreSQL when configured
    return dagster_home


def prepare_environment(settings: Settings) -> None:
    """Point Dagster and the definitions at this home (run history lives in it)."""
    dagster_home = ensure_dagster_home(settings)
    os.environ["CVD_HOME"] = str(settings.home)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def run_resources(settings: Settings) -> dict[str, object]:
    """Resources for an in-process run over this home (never the environment of another)."""
    from orchestration.defs.resources import (  # noqa: PLC0415
        CvdHomeResource,
        OperationalDatabaseResource,
    )

    return {
        "cvd": CvdHomeResource(home=str(settings.home)),
        "operational_db": OperationalDatabaseResource(url=settings.database_url),
    }


def _run(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    selection: list[dg.AssetKey],
    tags: dict[str, str] | None,
    *,
    label: str,
    settings: Settings,
) -> dg.ExecuteInProcessResult:
    assets = [*defs.assets, *defs.asset_checks]  # type: ignore[misc]
    started = time.perf_counter()
    result = dg.materialize(
        assets,
        instance=instance,
        selection=selection,
        resources=run_resources(settings),
        tags=tags or {},
        raise_on_error=False,
    )
    verdict = "[green]ok[/green]" if result.success else "[red]FAILED[/red]"
    console.print(f"{label}: {verdict} in {time.perf_counter() - started:.1f} s")
    return result


def _summarise(results: list[dg.ExecuteInProcessResult]) -> Table:
    table = Table(title="materialized")
    for column in ("asset", "key figures"):
        table.add_column(column)
    for result in results:
        for event in result.get_asset_materialization_events():
            mat = event.event_specific_data.materialization  # type: ignore[union-attr]
            figures = ", ".join(
                f"{k}={v.value}"
                for k, v in mat.metadata.items()
                if k not in ("path", "views", "dagster/partition")
            )
            table.add_row(mat.asset_key.to_user_string(), figures)
        for check in result.get_asset_check_evaluations():
            if not check.passed:
                table.add_row(
                    f"[red]check {check.asset_key.to_user_string()}:"
                    f"{check.check_name} FAILED[/red]",
                    str(check.metadata),
                )
    return table


# the asset groups `cvd materialize --no-models` leaves out: everything computed from the marts
# rather than from the files (their last outputs stay in the catalog)
MODEL_GROUPS = frozenset({"models", "alerts"})


def run_materialize(args: argparse.Namespace) -> int:
    """Run the whole graph once, in process: receive the inbox, rebuild the arrival days that
    are out of date (or those asked for), refresh master data and swap the catalog; with
    ``--no-models``, without the forecasts, recommendations, visit plans and alerts."""
    from operations import db  # noqa: PLC0415
    from orchestration.definitions import defs as load_defs  # noqa: PLC0415
    from orchestration.defs.ingest.schedules import days_tags, range_tags, stages  # noqa: PLC0415

    settings = load_settings(args.home)
    prepare_environment(settings)
    db.upgrade(settings.database_url)
    instance = dg.DagsterInstance.get()
    defs = load_defs()
    graph = defs.resolve_asset_graph()
    partitioned, rest = stages(graph)
    if args.no_models:
        rest = [k for k in rest if graph.get(k).group_name not in MODEL_GROUPS]
    results = [
        _run(
            defs,
            instance,
            [dg.AssetKey("inbox")],
            None,
            label="receive the inbox",
            settings=settings,
        )
    ]
    if args.day:
        days = list(args.day)
    elif args.rebuild:
        days = arrival_days(settings.archive, settings.ledger_url)
    else:
        days = stale_days(settings.archive, settings.lake, settings.ledger_url)
    blocks = contiguous_blocks(days)
    console.print(f"arrival days to build: {len(days)} in {len(blocks)} block(s)")
    for first, last in blocks:
        label = f"days {first}..{last}" if first != last else f"day {first}"
        # two runs: the raw partitions of the block, then (if their blocking checks passed)
        # everything unpartitioned, told which days changed
        raw = _run(
            defs, instance, partitioned, range_tags(first, last), label=label, settings=settings
        )
        results.append(raw)
        if raw.success:
            results.append(
                _run(
                    defs,
                    instance,
                    rest,
                    days_tags(first, last),
                    label=f"marts, models and catalog for {label}",
                    settings=settings,
                )
            )
    if not blocks:
        results.append(
            _run(defs, instance, rest, None, label="master data and catalog", settings=settings)
        )
    console.print(_summarise(results))
    console.print(f"warehouse: {settings.warehouse}")
    return 0 if all(r.success for r in results) else 1


def run_ingest(args: argparse.Namespace) -> int:
    """Copy files (or the files under folders) into the inbox, keeping their names."""
    settings = load_settings(args.home)
    settings.inbox.mkdir(parents=True, exist_ok=True)
    sources: list[tuple[Path, Path]] = []
    for given in args.paths:
        path = Path(given)
        if path.is_dir():
            sources += [(p, p.relative_to(path)) for p in sorted(path.rglob("*")) if p.is_file()]
        elif path.is_file():
            sources.append((path, Path(path.name)))
        else:
            console.print(f"[red]cvd ingest: {path}: no such file or folder[/red]")
            return 2
    with Progress(console=console) as progress:
        task = progress.add_task("copying into the inbox", total=len(sources))
        for source, relative in sources:
            target = settings.inbox / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            shutil.copyfile(source, partial)
            partial.replace(target)  # the sensor never sees half a file
            progress.advance(task)
    console.print(
        f"{len(sources)} file(s) in {settings.inbox}; run `cvd materialize` "
        "or let the Dagster sensor pick them up"
    )
    return 0


def run_sql(args: argparse.Namespace) -> int:
    """Run one query, or an interactive shell, on the warehouse (read-only)."""
    settings = load_settings(args.home)
    if not settings.warehouse.exists():
        console.print(f"[red]no warehouse at {settings.warehouse}: run `cvd materialize`[/red]")
        return 2
    con = open_warehouse(settings.warehouse, settings.lake)
    out = Console()
    try:
        if args.query:
            return _print_query(con, args.query, out, args.csv)
        out.print(
            f"CVD warehouse {settings.warehouse} (read-only). End a query with ';', "
            "quit with .quit or Ctrl-D. Tables: SHOW TABLES;"
        )
        buffer = ""
        while True:
            try:
                line = input("cvd> " if not buffer else "...> ")
            except EOFError:
                return 0
            if line.strip() in (".quit", ".exit", "\\q"):
                return 0
            buffer += line + "\n"
            if buffer.rstrip().endswith(";"):
                _print_query(con, buffer, out, csv=False)
                buffer = ""
    finally:
        con.close()


def _print_query(con: duckdb.DuckDBPyConnection, sql: str, out: Console, csv: bool) -> int:
    try:
        cursor = con.execute(sql)
        rows = cursor.fetchall()
        names = [d[0] for d in cursor.description or []]
    except duckdb.Error as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    if csv:
        write_rows(sys.stdout, names, rows)  # formulas neutralised: the file meets a spreadsheet
        return 0
    table = Table(show_lines=False)
    for name in names:
        table.add_column(name)
    for row in rows:
        table.add_row(*["" if v is None else escape(str(v)) for v in row])  # no rich markup
    out.print(table)
    out.print(f"{len(rows)} row(s)")
    return 0


def run_quarantine(args: argparse.Namespace) -> int:
    """List quarantined files, or re-queue one after a fix (as the operator, audited)."""
    from ingest import requeue  # noqa: PLC0415
    from operations import db  # noqa: PLC0415
    from operations.errors import NotFound, ValidationError  # noqa: PLC0415
    from operations.permissions import operator  # noqa: PLC0415

    settings = load_settings(args.home)
    if args.action == "list":
        return _list_quarantine(settings, args.limit, args.offset)
    if args.action in ("skip", "unskip"):
        return _skip(settings, args.sha, args.reason if args.action == "skip" else None)
    fixed = Path(args.file).read_bytes() if args.file else None
    db.upgrade(settings.database_url)
    engine = db.connect(settings.database_url)
    try:
        done = requeue.requeue(settings, engine, operator(), args.sha, fixed)
    except (NotFound, ValidationError) as error:
        console.print(f"[red]{error}[/red]")
        return 2
    finally:
        engine.dispose()
    if done.reparse_day is not None:
        # the same bytes (e.g. after a parser upgrade): parse their arrival day again
        day = done.reparse_day
        console.print(f"re-parsing arrival day {day}, which holds {done.original_name}")
        return run_materialize(
            argparse.Namespace(home=args.home, day=[day], rebuild=False, no_models=False)
        )
    console.print(f"re-queued as {done.target}; it is ingested by the next run")
    return 0


def _list_quarantine(settings: Settings, limit: int, offset: int) -> int:
    """Print one page of quarantine records (each is read only when it is on the page)."""
    from ingest import requeue  # noqa: PLC0415
    from ingest.ledger import skipped_contents  # noqa: PLC0415

    if limit < 1 or offset < 0:
        console.print("[red]--limit must be at least 1 and --offset not negative[/red]")
        return 2
    page = requeue.quarantined(settings, limit=limit, offset=offset)
    skipped = skipped_contents(settings.archive, settings.ledger_url)
    last = offset + len(page.records)
    table = Table(title=f"quarantine: files {offset + 1}-{last} of {page.total}")
    for column in ("sha256", "file", "received", "reasons", "skipped"):
        table.add_column(column)
    for doc in page.records:
        reasons = ", ".join(sorted({r["reason"] for r in doc["reasons"]}))
        table.add_row(
            doc["sha256"][:12],
            escape(doc["original_name"]),
            doc["received_at"][:19],
            escape(reasons),
            escape(skipped.get(doc["sha256"], "")),
        )
    Console().print(table)
    if last < page.total:
        console.print(f"more: cvd quarantine list --offset {last} --limit {limit}")
    return 0


def _skip(settings: Settings, sha: str, reason: str | None) -> int:
    """Skip (or unskip) an archived file as SYSTEM, audited with the OS user who ran this."""
    import getpass  # noqa: PLC0415

    from ingest.skip import set_skip  # noqa: PLC0415
    from operations import db  # noqa: PLC0415
    from operations.errors import NotFound, ValidationError  # noqa: PLC0415
    from operations.permissions import SYSTEM  # noqa: PLC0415

    db.upgrade(settings.database_url)
    engine = db.connect(settings.database_url)
    try:
        change = set_skip(
            settings.archive,
            engine,
            SYSTEM,
            sha,
            reason=reason,
            os_user=getpass.getuser(),
            ledger_url=settings.ledger_url,
        )
    except (NotFound, ValidationError) as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        return 2
    finally:
        engine.dispose()
    done = "skipped" if change.skipped else "no longer skipped"
    days = ", ".join(change.stale_days)
    console.print(
        f"{change.sha256[:12]} {done}; arrival day(s) {days} are rebuilt by the next "
        "`cvd materialize` (or the nightly run)"
    )
    return 0
