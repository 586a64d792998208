"""Models, for ML engineers (read-only): every forecast model version, its backtest scores
against the naive and seasonal baselines, and which one is current; and the calibration of the
planogram recommendations accepted (promised against realised, coverage of the 80% interval)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import data, session, tables, ui
from dashboards.escape import md
from dashboards.pages import OFFICE
from orchestration.settings import load_outcome_weeks

VERSION_COLUMNS = [
    "model_version",
    "kind",
    "status",
    "is_current",
    "created_at",
    "promoted_at",
    "training_start",
    "training_end",
    "mase",
    "wape",
    "bias",
    "baseline_naive_mase",
    "baseline_seasonal_mase",
    "mase_vs_best_baseline",
    "reason",
]


def _current(versions: pd.DataFrame) -> str | None:
    current = versions[versions["is_current"].fillna(False).astype(bool)]
    if current.empty:
        st.warning("No model version is current: forecasts fall back to the baselines.")
        return None
    row = current.iloc[0]
    st.subheader(f"Current: {md(row['model_version'])}")
    cols = st.columns(4)
    cols[0].metric("MASE", _num(row["mase"]))
    cols[1].metric("WAPE", _num(row["wape"], percent=True))
    cols[2].metric("Naive baseline MASE", _num(row["baseline_naive_mase"]))
    cols[3].metric("Seasonal baseline MASE", _num(row["baseline_seasonal_mase"]))
    st.caption(
        f"Trained on {row['training_start']} to {row['training_end']}; data fingerprint "
        f"{md(row['data_fingerprint'])}; libraries {md(row['library_versions'])}."
    )
    return str(row["model_version"])


def _num(value: object, *, percent: bool = False) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):.1%}" if percent else f"{float(value):.3f}"


def _backtest(versions: pd.DataFrame, current: str | None) -> None:
    st.subheader("Backtest")
    options = list(versions["model_version"])
    chosen = st.selectbox(
        "Model version",
        options,
        index=options.index(current) if current in options else 0,
        key="models_version",
    )
    scores = data.query("forecast_backtest", model_version=chosen or "")
    if ui.empty_note(scores, "No backtest scores for this version."):
        return
    tables.show(scores, hide_index=True, width="stretch")
    figure = px.bar(
        scores,
        x="horizon_days",
        y="mase",
        color="method",
        barmode="group",
        labels={"horizon_days": "horizon (days)", "mase": "MASE (lower is better)"},
    )
    figure.add_hline(y=1.0, line_dash="dot", annotation_text="naive = 1")
    figure.update_layout(height=360, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    st.plotly_chart(figure, width="stretch")


def main() -> None:
    """Render the page."""
    session.require_role(OFFICE)
    st.title("Models")
    versions = data.query("model_versions")
    if versions.empty:
        st.info("No model versions yet: the forecast model has not been trained on this data.")
        _calibration()
        return
    current = _current(versions)
    st.subheader("Versions")
    tables.show(versions[VERSION_COLUMNS], hide_index=True, width="stretch")
    _backtest(versions, current)
    _calibration()


def _calibration() -> None:
    """Accepted planogram changes: promised against realised weekly units, and how often the
    realised weekly revenue change falls inside the swap's 80% interval."""
    weeks = load_outcome_weeks()
    st.subheader("Planogram recommendations: calibration")
    outcomes = data.query("recommendation_outcomes", min_weeks=weeks)
    if ui.empty_note(
        outcomes,
        f"No accepted change has {weeks} weeks of sales behind it yet (CVD_OUTCOME_WEEKS).",
    ):
        return
    judged = outcomes["within_interval"].dropna().astype(bool)
    errors = outcomes["realised_weekly_units"] - outcomes["promised_weekly_units"]
    cols = st.columns(3)
    cols[0].metric("Accepted changes measured", len(outcomes))
    cols[1].metric(
        "Realised change inside the 80% interval",
        f"{judged.mean():.0%}" if len(judged) else "–",
    )
    cols[2].metric("Mean error, units/week (realised − promised)", f"{errors.mean():+.2f}")
    figure = px.scatter(
        outcomes,
        x="promised_weekly_units",
        y="realised_weekly_units",
        hover_data=["asset_number", "cabinet", "slot", "recommended_product_id"],
        labels={
            "promised_weekly_units": "promised units/week",
            "realised_weekly_units": "realised units/week",
        },
    )
    top = float(
        max(outcomes["promised_weekly_units"].max(), outcomes["realised_weekly_units"].max(), 1)
    )
    figure.add_shape(type="line", x0=0, y0=0, x1=top, y1=top, line={"dash": "dot"})
    figure.update_layout(height=360, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    st.plotly_chart(figure, width="stretch")
    st.caption(
        f"Changes with at least {weeks} weeks of sales after them (CVD_OUTCOME_WEEKS); a "
        "well-calibrated interval holds about 80% of them."
    )


main()
