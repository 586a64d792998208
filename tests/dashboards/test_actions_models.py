"""The models page (read-only): the current version and its scores against the baselines, the
versions table, backtest per method. Expected values are the hand-made rows of actions_home."""

from __future__ import annotations

from tests.dashboards.actions_home import ActionsHome, actions_home_fixture, open_as  # noqa: F401
from tests.dashboards.conftest import assert_clean, texts

PAGE = "app_pages/models.py"


def test_models_page_shows_current_version_and_backtest(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "viewer", PAGE)
    assert_clean(app)
    shown = texts(app)
    assert "Current: fc-2" in shown
    assert "MASE: 0.810" in shown
    assert "Seasonal baseline MASE: 0.900" in shown
    versions = next(f.value for f in app.dataframe if "Kind" in f.value.columns)
    assert list(versions["Model version"]) == ["fc-2", "fc-1"]  # current first
    assert app.selectbox(key="models_version").value == "fc-2"
    backtest = next(f.value for f in app.dataframe if "Cutoffs" in f.value.columns)
    # two cutoffs per method; the model (0.8) ranks before the seasonal baseline (0.9)
    assert list(backtest["Method"]) == ["model", "seasonal_naive"]
    assert list(backtest["Cutoffs"]) == [2, 2]
    assert [round(v, 3) for v in backtest["MASE"]] == [0.8, 0.9]
    assert not [b for b in app.button if b.key and b.key != "sign_out"]


def test_models_page_for_managers_and_not_drivers(actions_home: ActionsHome) -> None:
    assert_clean(open_as(actions_home, "manager", PAGE))
    app = open_as(actions_home, "driver", "app_pages/driver.py")
    try:
        app.switch_page(PAGE)
    except ValueError as refused:
        assert "Could not find a navigation page" in str(refused)
    else:
        raise AssertionError("a driver reached the models page")
