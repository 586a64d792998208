"""Cabinet contexts from the warehouse: current slots, candidates and their demand per machine.

Demand per machine and product (units per day, all its slots together):

- ``forecast``: the mean of ``ml/demand_forecast`` over its 14 days, when that table has rows;
- ``sales_estimate`` otherwise: units sold over each machine's last 28 days of data divided by
  the days the product was in stock (``fct_stockouts``), so sell-outs are not read as low demand,
  pooled toward the machine × product model (``candidates.pooled_rates``, empirical Bayes);
- ``borrowed`` for a product not sold at the machine: the product's appeal at the other machines
  × this machine's traffic (``candidates.fill_absent``, a multiplicative machine × product fit);
- ``untried`` for a product of the catalog no machine has sold: the typical appeal of its
  category's products × this machine's traffic (``candidates.product_appeal``).

A slot holds what the machine's newest DEX read reports in its selection when that differs from
the planogram (``planogram_vs_dex``: DEX wins for demand, the planogram may lag the machine).
Rules for slot sizes, allowed categories, one cabinet per product, the split of a product's demand
between the cabinets that hold it and substitution shares are in ``models.planogram.candidates``;
the service intervals come from ``devices.service_days``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.planogram.candidates import (
    assign_cabinets,
    category_shares,
    demand_shares,
    fill_absent,
    pooled_rates,
    product_appeal,
    row_size_classes,
)
from models.planogram.expectation import service_intervals
from models.planogram.settings import PlanogramSettings
from models.planogram.types import CabinetContext, CandidateProduct, SlotInfo
from transforms.catalog import lake_connection
from transforms.lake import Location

SQL_DIR = Path(__file__).parent / "sql"
SALES_WINDOW_DAYS = 28
log = logging.getLogger("cvd.models.planogram")


@dataclass(frozen=True)
class FleetContexts:
    """Every cabinet's context and where the demand came from."""

    contexts: tuple[CabinetContext, ...]
    demand_source: str  # "forecast" or "sales_estimate" (for products sold at the machine)
    demand_version: str  # the forecast's model_version, or "sales_estimate"


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def _demand_source(
    source: str, grid: np.ndarray, untried: np.ndarray, machine: int, product: int
) -> str:
    """Where a candidate's demand comes from (the module docstring's names)."""
    if not np.isnan(grid[machine, product]):
        return source
    return "untried" if untried[product] else "borrowed"


def _sales_grid(
    sales: list[tuple[Any, ...]], mindex: dict[str, int], pindex: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Units and in-stock days per [machine, product] from the sales-rate rows (NaN: none)."""
    units = np.full((len(mindex), len(pindex)), np.nan)
    exposure = np.full_like(units, np.nan)
    for row in sales:
        if row[0] in mindex and row[1] in pindex and row[2] is not None and row[3] is not None:
            units[mindex[row[0]], pindex[row[1]]] = max(0.0, float(row[2])) * float(row[3])
            exposure[mindex[row[0]], pindex[row[1]]] = float(row[3])
    return units, exposure


def demand_rel_var(
    sales: tuple[np.ndarray, np.ndarray],
    untried: np.ndarray,
    categories: list[str],
    appeal: np.ndarray,
) -> np.ndarray:
    """Relative variance (Var/mean²) of each [machine, product] demand estimate, what the
    weekly-effect interval of a swap adds to Poisson noise (``changeover``):

    - a pair with sales here: the Gamma posterior of the pooled rate
      (``candidates.pooled_rates``), ``1 / (u + 1/τ²)`` for ``u`` units observed;
    - a pair borrowed from other machines: ``τ²``, how far pairs truly scatter around
      traffic × appeal;
    - a product no machine sold: ``τ²`` plus the relative variance of its category's observed
      appeals (it was given their median)."""
    units, exposure = sales
    _, tau2 = pooled_rates(units, exposure)
    tau2 = tau2 if np.isfinite(tau2) else 1.0
    seen = ~np.isnan(units) & ~np.isnan(exposure)
    out = np.where(seen, 1.0 / (np.nan_to_num(units) + 1.0 / tau2), tau2)
    cats = np.asarray(categories)
    for c in np.unique(cats[untried]) if untried.any() else ():
        known = appeal[(cats == c) & ~untried]
        spread = float(np.var(known) / np.mean(known) ** 2) if len(known) and known.mean() else 1.0
        out[:, (cats == c) & untried] = tau2 + spread
    return out


def build_contexts(lake: Location, settings: PlanogramSettings) -> FleetContexts:
    """The context of every cabinet of every machine with a current planogram."""
    con = lake_connection(lake, ("raw", "master", "marts", "ml"))
    try:
        slots = con.execute(_sql("slots"), {"window": SALES_WINDOW_DAYS}).fetchall()
        products = con.execute(_sql("products")).fetchall()
        rates = con.execute(_sql("forecast_rates"), {"window": SALES_WINDOW_DAYS}).fetchall()
        sales = con.execute(_sql("sales_rates"), {"window": SALES_WINDOW_DAYS}).fetchall()
        source, version = "forecast", max((r[3] for r in rates if r[3]), default="forecast")
        if not any(r[3] for r in rates):  # no forecast (rates of swapped-in products alone)
            rates = sales
            source, version = "sales_estimate", "sales_estimate"
    finally:
        con.close()
    catalog = {p[0]: p for p in products}
    pid = sorted(catalog)
    pindex = {p: i for i, p in enumerate(pid)}
    machines = sorted({s[0] for s in slots})
    mindex = {m: i for i, m in enumerate(machines)}
    grid = np.full((len(machines), len(pid)), np.nan)
    exposure = np.full_like(grid, np.nan)
    for rate in rates:
        if rate[0] in mindex and rate[1] in pindex and rate[2] is not None:
            grid[mindex[rate[0]], pindex[rate[1]]] = max(0.0, float(rate[2]))
            if source == "sales_estimate" and rate[3] is not None:
                exposure[mindex[rate[0]], pindex[rate[1]]] = float(rate[3])
    if source == "sales_estimate":  # own rates are noisy: pool them (a forecast already is)
        grid, tau2 = pooled_rates(grid * exposure, exposure)
        log.info("planogram: sales rates pooled, relative variance %.3f", tau2)
    category = {p: catalog[p][2] for p in pid}
    categories = [category[p] for p in pid]
    filled = fill_absent(grid, categories)
    _, appeal, untried = product_appeal(grid, categories)
    rel_var = demand_rel_var(_sales_grid(sales, mindex, pindex), untried, categories, appeal)
    subs = category_shares(pid, category, dict(zip(pid, appeal.tolist(), strict=True)))
    by_machine: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for slot_row in slots:
        by_machine[slot_row[0]].append(slot_row)
    contexts: list[CabinetContext] = []
    for serial in machines:
        machine_row = mindex[serial]
        rows = by_machine[serial]
        current: dict[int, list[str]] = defaultdict(list)  # what the slots hold (DEX wins)
        allowed: dict[int, set[str]] = defaultdict(set)
        sold: dict[int, dict[str, float]] = defaultdict(dict)
        for slot_row in rows:
            cabinet = int(slot_row[2])
            held = slot_row[11] or slot_row[5] or ""
            current[cabinet].append(held)
            sold[cabinet][held] = sold[cabinet].get(held, 0.0) + float(slot_row[12] or 0)
            if slot_row[9]:
                allowed[cabinet].add(slot_row[9])
        held_now = {c: set(v) for c, v in current.items()}
        cats = set().union(*allowed.values()) if allowed else set()
        machine_products = [p for p in pid if category[p] in cats]
        where = assign_cabinets(current, allowed, category, machine_products)
        shares = demand_shares(current, sold)
        intervals = service_intervals(rows[0][8] or "")
        for cab in sorted(current):
            cab_rows = [r for r in rows if int(r[2]) == cab]
            classes = row_size_classes([r[3] for r in cab_rows], [r[10] for r in cab_rows])
            slot_info = tuple(
                SlotInfo(r[3], r[4], classes[i], r[5], int(r[6] or 0), int(r[7] or 0), r[11])
                for i, r in enumerate(cab_rows)
            )
            cands = tuple(
                CandidateProduct(
                    product_id=p,
                    name=catalog[p][1],
                    category=category[p],
                    size=catalog[p][3],
                    price_cents=int(catalog[p][4]),
                    cost_cents=int(catalog[p][5] or 0),
                    daily_demand=float(filled[machine_row, pindex[p]])
                    * shares.get(p, {}).get(cab, 1.0),
                    demand_source=_demand_source(source, grid, untried, machine_row, pindex[p]),
                    substitutes={o: w for o, w in subs[p].items() if o in where},
                    carried=bool(not np.isnan(grid[machine_row, pindex[p]]) or p in held_now[cab]),
                    demand_rel_var=float(rel_var[machine_row, pindex[p]]),
                )
                for p in machine_products
                if cab in shares.get(p, {where.get(p): 1.0})
            )
            contexts.append(
                CabinetContext(
                    machine_serial=serial,
                    asset_number=rows[0][1],
                    cabinet_index=cab,
                    slots=slot_info,
                    candidates=cands,
                    service_interval_days=7.0 / len(intervals),
                    constraints=settings.for_cabinet(
                        {r[11] or r[5] for r in cab_rows if r[11] or r[5]},
                        allowed[cab] & {c.category for c in cands},
                    ),
                    service_intervals=intervals,
                    change_cost=settings.change_cost,
                )
            )
    return FleetContexts(tuple(contexts), source, str(version))
