"""Evaluate the alert rules: a read-only warehouse connection and a few facts from the edge
(the time now, the nightly runs' records, the warehouse file) in, findings out.

Each rule is one function (its SQL in ``sql/<rule>.sql``). A rule whose input is missing (the
cash view before issue 18, no run records) or that fails is *skipped* with the reason, and the
other rules still run; the caller resolves alerts only for the rules actually evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from models.alerts.config import RULES, AlertRules
from operations.services.alerts import Finding

SQL_DIR = Path(__file__).with_name("sql")
FAILED_STATUSES = frozenset({"FAILURE", "CANCELED"})


@dataclass(frozen=True)
class RunRecord:
    """One finished or running nightly run, as the edge reads it from Dagster."""

    run_id: str
    status: str  # Dagster's DagsterRunStatus value: SUCCESS, FAILURE, CANCELED, STARTED, ...
    ended_at: datetime | None


@dataclass(frozen=True)
class Inputs:
    """What the rules need besides the warehouse. ``None`` = not known: that rule is skipped."""

    now: datetime
    core_products: tuple[str, ...] = ()
    nightly_runs: Sequence[RunRecord] | None = None
    warehouse_path: Path | None = None


@dataclass
class Evaluation:
    """Findings of the rules evaluated, and the rules skipped with the reason."""

    findings: list[Finding] = field(default_factory=list)
    evaluated: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


class RuleSkipped(Exception):  # noqa: N818 - it is an outcome, not an error
    """A rule cannot be evaluated this time (the message says why)."""


def _rows(con: duckdb.DuckDBPyConnection, rule: str, **params: object) -> list[dict[str, object]]:
    cursor = con.execute((SQL_DIR / f"{rule}.sql").read_text(encoding="utf-8"), params)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(found and found[0])


def _hours(value: object) -> str:
    return f"{float(str(value)):.1f} h"


def _route(row: dict[str, object]) -> str | None:
    route = row.get("route_id")
    return None if route is None else str(route)


def silent_machine(con: duckdb.DuckDBPyConnection, rules: AlertRules, _: Inputs) -> list[Finding]:
    """Machines silent for longer than ``silent_factor`` × their usual read interval."""
    rows = _rows(
        con, "silent_machine", factor=rules.silent_factor, min_hours=rules.silent_min_hours
    )
    return [
        Finding(
            "silent_machine",
            str(r["machine_serial"]),
            f"Machine {r['machine_serial']} silent for {_hours(r['silent_hours'])} "
            f"(usual interval {_hours(r['usual_interval_hours'])}).",
            route=_route(r),
            details={k: r[k] for k in ("last_read_at", "silent_hours", "usual_interval_hours")},
        )
        for r in rows
    ]


def crc_failures(
    con: duckdb.DuckDBPyConnection, rules: AlertRules, inputs: Inputs
) -> list[Finding]:
    """Files quarantined for a CRC mismatch within ``crc_window_hours`` of now."""
    since = inputs.now - timedelta(hours=rules.crc_window_hours)
    return [
        Finding(
            "crc_failures",
            str(r["sha256"]),
            f"File {r['original_name']} failed its CRC check ({r['reads']} read(s)).",
            route=_route(r),
            details=r,
        )
        for r in _rows(con, "crc_failures", since=since)
    ]


def core_sold_out(
    con: duckdb.DuckDBPyConnection, rules: AlertRules, inputs: Inputs
) -> list[Finding]:
    """Slots of a core product sold out now."""
    core = list(rules.core_products or inputs.core_products)
    if not core:
        raise RuleSkipped("no core products configured (alerts.toml or planogram.toml)")
    return [
        Finding(
            "core_sold_out",
            f"{r['machine_serial']} {r['selection']}",
            f"Core product {r['product_id']} sold out in machine {r['machine_serial']}, "
            f"selection {r['selection']}.",
            route=_route(r),
            details=r,
        )
        for r in _rows(con, "core_sold_out", core_products=core)
    ]


def sellout_before_visit(
    con: duckdb.DuckDBPyConnection, rules: AlertRules, _: Inputs
) -> list[Finding]:
    """Machines with ``sellout_min_slots`` slots predicted to sell out before the next visit."""
    rows = _rows(
        con,
        "sellout_before_visit",
        min_slots=rules.sellout_min_slots,
        no_visit_days=rules.sellout_no_visit_days,
    )
    return [
        Finding(
            "sellout_before_visit",
            str(r["machine_serial"]),
            f"Machine {r['machine_serial']}: {r['slots']} slot(s) sell out before the next visit "
            f"({r['visit_date'] or 'none planned'}): {r['selections']}.",
            route=_route(r),
            details=r,
        )
        for r in rows
    ]


def cash_variance(con: duckdb.DuckDBPyConnection, rules: AlertRules, _: Inputs) -> list[Finding]:
    """Latest collections whose cash variance is past ``cash_variance_threshold``."""
    if not _has_table(con, "fct_cash_collections"):
        raise RuleSkipped("fct_cash_collections is not in the warehouse (cash view: issue 18)")
    return [
        Finding(
            "cash_variance",
            str(r["machine_serial"]),
            f"Machine {r['machine_serial']}: cash variance {r['variance']} at the collection "
            f"of {r['collected_at']}.",
            route=_route(r),
            details=r,
        )
        for r in _rows(con, "cash_variance", threshold=rules.cash_variance_threshold)
    ]


def nightly_run(_: duckdb.DuckDBPyConnection, rules: AlertRules, inputs: Inputs) -> list[Finding]:
    """The latest nightly run failed, or none succeeded within ``nightly_late_hours``."""
    if inputs.nightly_runs is None:
        raise RuleSkipped("no run records given")
    finished = [r for r in inputs.nightly_runs if r.ended_at is not None]
    findings = []
    latest = max(finished, key=lambda r: r.ended_at or inputs.now, default=None)
    if latest is not None and latest.status in FAILED_STATUSES:
        findings.append(
            Finding(
                "nightly_run",
                "failed",
                f"The latest nightly run {latest.run_id} ended {latest.status}.",
                severity="critical",
                details={"run_id": latest.run_id, "ended_at": latest.ended_at},
            )
        )
    good = [r.ended_at for r in finished if r.status == "SUCCESS" and r.ended_at is not None]
    limit = timedelta(hours=rules.nightly_late_hours)
    if not good or inputs.now - max(good) > limit:
        last = max(good) if good else None
        findings.append(
            Finding(
                "nightly_run",
                "late",
                f"No nightly run succeeded in the last {rules.nightly_late_hours:g} h "
                f"(last success: {last or 'never'}).",
                severity="critical",
                details={"last_success_at": last},
            )
        )
    return findings


def warehouse_age(_: duckdb.DuckDBPyConnection, rules: AlertRules, inputs: Inputs) -> list[Finding]:
    """The warehouse file is older than ``warehouse_max_age_hours`` (its modification time)."""
    if inputs.warehouse_path is None:
        raise RuleSkipped("no warehouse path given")
    built = datetime.fromtimestamp(inputs.warehouse_path.stat().st_mtime, tz=UTC)
    age_hours = (inputs.now - built).total_seconds() / 3600
    if age_hours <= rules.warehouse_max_age_hours:
        return []
    return [
        Finding(
            "warehouse_age",
            "warehouse",
            f"The warehouse was last rebuilt {age_hours:.1f} h ago "
            f"(limit {rules.warehouse_max_age_hours:g} h).",
            severity="critical",
            details={"built_at": built, "age_hours": round(age_hours, 2)},
        )
    ]


def quarantine_spike(
    con: duckdb.DuckDBPyConnection, rules: AlertRules, inputs: Inputs
) -> list[Finding]:
    """Today's quarantined files past ``quarantine_spike_factor`` × the trailing median."""
    today = inputs.now.astimezone(UTC).date()
    rows = _rows(
        con,
        "quarantine_spike",
        today=today,
        trailing_days=rules.quarantine_trailing_days,
        factor=rules.quarantine_spike_factor,
        min_files=rules.quarantine_spike_min_files,
    )
    return [
        Finding(
            "quarantine_spike",
            today.isoformat(),
            f"{r['files']} file(s) quarantined on {today} (trailing median {r['median_files']}).",
            details={**r, "day": today},
        )
        for r in rows
    ]


Rule = Callable[[duckdb.DuckDBPyConnection, AlertRules, Inputs], list[Finding]]
RULE_FUNCTIONS: dict[str, Rule] = {
    "silent_machine": silent_machine,
    "crc_failures": crc_failures,
    "core_sold_out": core_sold_out,
    "sellout_before_visit": sellout_before_visit,
    "cash_variance": cash_variance,
    "nightly_run": nightly_run,
    "warehouse_age": warehouse_age,
    "quarantine_spike": quarantine_spike,
}
if set(RULE_FUNCTIONS) != set(RULES):  # pragma: no cover - guards edits of RULES
    raise RuntimeError("alert rule functions and RULES disagree")


def evaluate(con: duckdb.DuckDBPyConnection, rules: AlertRules, inputs: Inputs) -> Evaluation:
    """Every rule not disabled, in order; one rule's failure skips only that rule."""
    result = Evaluation()
    for name, rule in RULE_FUNCTIONS.items():
        if name in rules.disabled:
            result.skipped[name] = "disabled in alerts.toml"
            continue
        try:
            found = rule(con, rules, inputs)
        except RuleSkipped as why:
            result.skipped[name] = str(why)
            continue
        except (duckdb.Error, OSError) as error:  # a missing view, an unreadable file
            result.skipped[name] = f"failed: {type(error).__name__}: {error}"
            continue
        result.findings.extend(found)
        result.evaluated.append(name)
    return result
