"""`cvd parse FILE... [--json]`: what a DEX file says, for a person or a program.

Exit codes: 0 every read usable, 1 any read not usable (or a file with no read), 2 a file
cannot be read or the usage is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

import evadts
from evadts.jsonout import result_to_dict

EXIT_OK, EXIT_UNUSABLE, EXIT_UNREADABLE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cvd parse`."""
    parser = subparsers.add_parser(
        "parse",
        help="parse DEX/EVA-DTS files and show machine, selections, totals, integrity",
        description="Parse DEX/EVA-DTS audit files. Exit 0 when every read is usable, "
        "1 when any is not, 2 when a file cannot be read.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--json", action="store_true", help='print {"files": [...]} as JSON')
    parser.add_argument(
        "--segments", action="store_true", help="with --json: include every raw segment"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Parse every file named; print a summary or JSON; return the exit code."""
    err = Console(stderr=True)
    results: list[evadts.ParseResult] = []
    unreadable = False
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            err.print(f"[red]cvd parse: cannot read {path}: {exc.strerror or exc}[/red]")
            unreadable = True
            continue
        results.append(evadts.parse(data, source=str(path)))
    if args.json:
        doc = {"files": [result_to_dict(r, include_segments=args.segments) for r in results]}
        json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        console = Console()
        for result in results:
            print_result(console, result)
    if unreadable:
        return EXIT_UNREADABLE
    return EXIT_OK if all(r.usable for r in results) else EXIT_UNUSABLE


def _money(value: object, code: str | None) -> str:
    return "—" if value is None else escape(f"{value} {code or ''}".rstrip())


def print_result(console: Console, result: evadts.ParseResult) -> None:
    """A readable summary of one file: per read its machine, time, integrity, totals and
    selections, then the problems."""
    # every string a file supplies is escaped: "[/bold]" in a serial is text, not rich markup;
    # the path is printed whole on its own line (a rule title is cut to the terminal's width)
    console.rule()
    console.print(
        f"[bold]{escape(result.source)}[/bold] · {len(result.reads)} read(s)", soft_wrap=True
    )
    for read in result.reads:
        m, i, cur = read.machine, read.integrity, read.currency
        verdict = ("[green]usable[/green]" if read.usable else "[red]NOT usable[/red]") + (
            " · CRC verified" if i.crc_verified else ""
        )
        console.print(
            f"Read {read.index + 1} (lines {read.first_line}–{read.last_line}): {verdict}\n"
            f"  machine  serial {escape(m.serial or '—')} · model {escape(m.model or '—')} · "
            f"asset {escape(m.asset_number or '—')} · "
            f"board {escape(m.control_board_serial or '—')}\n"
            f"  read at  {read.read_at or '—'} ({read.read_at_source or 'no time'}) · "
            f"previous {read.previous_read_at or '—'} · init {read.init_at or '—'}\n"
            f"  currency {escape(cur.code or '?')} ({cur.decimals} decimals) · "
            f"DTS {escape(read.dts_version or '—')}\n"
            f"  integrity G85 {i.crc_expected or 'absent'} · computed {i.crc_computed or '—'} · "
            f"verified {i.crc_verified} ({i.crc_variant or '—'}) · SE {i.se_declared}/"
            f"{i.se_counted} · truncated {i.truncated}"
        )
        t = read.totals
        console.print(
            f"  totals   paid {_money(t.paid.value_init, cur.code)} / {t.paid.count_init} vends "
            f"since init · {_money(t.paid.value_reset, cur.code)} / {t.paid.count_reset} since "
            f"reset · cash {_money(t.cash.value_init, cur.code)} · cashless "
            f"{_money(t.cashless1.value_init, cur.code)}"
        )
        if read.selections:
            table = Table(show_edge=False, pad_edge=False)
            for col in (
                "sel",
                "product",
                "price",
                "cap",
                "vends init",
                "value init",
                "vends reset",
                "value reset",
                "sold out at",
            ):
                table.add_column(col, justify="right" if col != "product" else "left")
            for s in read.selections:
                table.add_row(
                    escape(s.selection or "—"),
                    escape(s.product_id or ""),
                    _money(s.price, None),
                    str(s.capacity or ""),
                    str(s.paid_vends_total if s.paid_vends_total is not None else "—"),
                    _money(s.paid_value_total, None),
                    str(s.paid_vends_since_reset if s.paid_vends_since_reset is not None else "—"),
                    _money(s.paid_value_since_reset, None),
                    str(s.sold_out_at or ""),
                )
            console.print(table)
    problems = result.problems
    if problems:
        console.print(f"Problems ({len(problems)}):")
        for p in problems:
            where = f"line {p.line}" if p.line else "file"
            field = (
                f" {p.segment}{p.element:02d}"
                if p.segment and p.element
                else (f" {p.segment}" if p.segment else "")
            )
            style = {"error": "red", "warning": "yellow"}.get(p.severity, "dim")
            console.print(
                f"  [{style}]{p.severity:7}[/{style}] {where}{escape(field)}: {escape(p.message)}"
            )
