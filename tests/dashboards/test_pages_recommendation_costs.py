"""Issue 19: the Recommendations page shows each change's cost, net gain, interval, trial label
and visit (the hand-made recommendations of ``actions_home``; a module of its own, so no other
test has decided them first)."""

from __future__ import annotations

from tests.dashboards.actions_home import ActionsHome, actions_home_fixture, open_as  # noqa: F401
from tests.dashboards.conftest import assert_clean

PAGE = "app_pages/recommendations.py"


def test_changes_show_cost_net_gain_interval_trial_and_visit(actions_home: ActionsHome) -> None:
    # the hand-made swap: 6.75/week (80%: 1.25 to 12.25), costs 2.50, net 51.50 over 8 weeks,
    # a trial, on the visit of 2026-11-03; the par change costs nothing and rides the same visit
    app = open_as(actions_home, "manager", PAGE)
    assert_clean(app)
    table = app.dataframe[0].value
    swap = table[table["Change"] == "swap"].iloc[0]
    assert swap["Swap gain/week (80%)"] == "+6.75 (+1.25 to +12.25)"
    assert swap["Swap cost"] == 2.5
    assert swap["Net gain after cost"] == 51.5
    assert swap["Trial"] == "trial: never carried here"
    assert swap["On visit"] == "2026-11-03 (visit plan)"
    par = table[table["Change"] == "par"].iloc[0]
    assert par["Swap gain/week (80%)"] == "" and par["Trial"] == ""
    assert par["Swap cost"] == 0.0
    assert par["On visit"] == "2026-11-03 (visit plan)"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Swap cost"] == "2.50"
    assert metrics["Net gain after cost (8 weeks)"] == "+51.50"
