"""Censoring: a slot that sells out every day must not read as a slot with little demand.

A fleet written by hand: every slot's demand is Poisson with a rate we set, spread evenly over
the day; some slots sell out at noon every day, so half of their demand is never seen."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from models.forecast.backtest import run_backtest
from models.forecast.data import SourceFrames
from models.forecast.model import fit_model
from models.forecast.panel import NotEnoughDataError, build_panel

DAYS = 70
START = date(2024, 1, 1)
PRODUCTS = {f"P{i}": 0.5 + i for i in range(6)}  # base daily rate per product


def _fleet(seed: int = 1, days: int = DAYS) -> tuple[SourceFrames, dict[tuple[str, str], float]]:
    rng = np.random.default_rng(seed)
    sales, outs, slots, rates = [], [], [], {}
    for m in range(24):
        serial = f"M{m:02d}"
        factor = 0.6 + 0.05 * m
        for s, product in enumerate(PRODUCTS):
            selection = f"1{s}"
            rate = PRODUCTS[product] * factor
            censored = (m + s) % 4 == 0  # a quarter of the slots sell out at noon daily
            if serial == "M05" and product == "P5":
                censored = True
            rates[(serial, selection)] = rate
            slots.append((serial, 1, f"A{s}", selection, product))
            for d in range(days):
                day = START + timedelta(days=d)
                seen = rng.poisson(rate / 2 if censored else rate)
                sales.append((serial, selection, product, day, float(seen)))
                if censored:
                    noon = datetime(day.year, day.month, day.day, 12)
                    outs.append((serial, selection, noon, noon + timedelta(hours=12)))
    src = SourceFrames(
        daily_sales=pl.DataFrame(
            sales,
            schema=["machine_serial", "selection", "product_id", "sales_date", "units"],
            orient="row",
        ),
        stockouts=pl.DataFrame(
            outs, schema=["machine_serial", "selection", "start_at", "end_at"], orient="row"
        ),
        slots=pl.DataFrame(
            slots,
            schema=["machine_serial", "cabinet_index", "slot", "selection", "product_id"],
            orient="row",
        ),
        series_context=pl.DataFrame(
            {
                "machine_serial": [f"M{m:02d}" for m in range(24)],
                "location_id": [f"L{m}" for m in range(24)],
                "traffic": ["medium"] * 24,
            }
        ),
        products=pl.DataFrame({"product_id": list(PRODUCTS), "category": ["Snack"] * 6}),
        last_reads=pl.DataFrame(
            {
                "machine_serial": ["M00"],
                "last_read_at": [
                    datetime.combine(START + timedelta(days=days), datetime.min.time())
                ],
            }
        ),
    )
    return src, rates


def test_a_slot_sold_out_every_day_is_forecast_near_its_true_demand() -> None:
    src, rates = _fleet()
    panel = build_panel(src)
    assert panel.last_day == START + timedelta(days=DAYS - 1)
    model = fit_model("gbm", panel, dispersion=0.0)
    fc = model.expected(panel, panel.days - 1, 14).mean(axis=1)
    rows = {
        (r["machine_serial"], r["selection"]): r["row"] for r in panel.series.iter_rows(named=True)
    }
    row = rows[("M05", "15")]
    true = rates[("M05", "15")]
    observed = np.nanmean(panel.units[row, -28:])
    assert observed < 0.6 * true  # the data shows half the demand ...
    assert abs(fc[row] - true) < abs(observed - true)  # ... the forecast does not
    assert abs(fc[row] - true) < 0.2 * true
    # over every censored slot, the forecast is nearer the truth than the observed mean
    censored = panel.censored[:, -28:].mean(axis=1) > 0.9
    truth = np.zeros(panel.units.shape[0])
    for key, r in rows.items():
        truth[r] = rates[key]
    obs = np.nanmean(panel.units[:, -28:], axis=1)
    assert censored.sum() >= 6
    err_fc = np.abs(fc[censored] - truth[censored]).mean()
    err_obs = np.abs(obs[censored] - truth[censored]).mean()
    assert err_fc < 0.5 * err_obs


def test_too_short_a_history_is_a_clear_refusal() -> None:
    src, _ = _fleet(days=30)
    panel = build_panel(src)
    assert panel.days == 30
    with pytest.raises(NotEnoughDataError, match="30 days of data: a backtest needs at least 42"):
        run_backtest(panel)
    empty = SourceFrames(
        src.daily_sales.clear(),
        *(
            getattr(src, f)
            for f in ("stockouts", "slots", "series_context", "products", "last_reads")
        ),
    )
    with pytest.raises(NotEnoughDataError, match="no sales"):
        build_panel(empty)
