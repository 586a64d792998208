"""Visit planning on hand-made states: scores and reasons, need dates, picks, stop order and
the rules file. Every expected value is computed by hand in the comments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.visits.plan import evaluate_machine, pick_quantity
from models.visits.projection import first_day_over, project_levels
from models.visits.route import Stop, order_stops
from models.visits.rules import RulesError, VisitRules, load_rules, rules_from_file
from models.visits.scoring import MachineSlots, reasons, score_levels
from models.visits.state import FleetState
from orchestration.settings import VISIT_RULES_ENV, Settings, load_visit_rules

TEN = np.full(4, 10.0)


def _slots(core: list[bool]) -> MachineSlots:
    return MachineSlots(par=TEN, start_level=TEN, core=np.array(core), price=np.ones(4))


def test_score_and_reasons_by_hand() -> None:
    # levels 0, 2, 5, 10 of par 10 after a refill to 10, 3 days since service, slot 0 core:
    # sold out (< 0.5): 1 -> 8; below 30% of par (< 3): 2 of 4 -> 0.5 * 40 = 20;
    # sold since the visit 10+8+5+0 = 23 -> 2.3; 3 days -> 6; 1 core out -> 10. Total 46.3.
    score = score_levels(
        np.array([0, 2, 5, 10]), _slots([True, False, False, False]), 3, VisitRules()
    )
    assert score.score[0] == pytest.approx(46.3)
    assert (score.sold_out[0], score.core_out[0], score.units_since_visit[0]) == (1, 1, 23)
    assert reasons(score, 0, VisitRules()) == [
        "50% of slots below 30% of par",
        "1 core product out",
        "1 selection sold out",
        "3 days since service",
        "23 units sold since the last visit",
    ]


def test_max_days_forces_a_visit() -> None:
    # nothing sold, 14 days: 14 * 2 = 28 points, raised to the threshold 50 by the 14-day rule
    score = score_levels(TEN, _slots([False] * 4), 14, VisitRules())
    assert score.score[0] == 50
    assert reasons(score, 0, VisitRules())[0] == "forced visit: 14 days since service (maximum 14)"
    assert score_levels(TEN, _slots([False] * 4), 13, VisitRules()).score[0] == 26


def test_need_day_from_projected_levels() -> None:
    # 10 units selling 3 a day: 7, 4, 1, 0 at the ends of days 1-4; with only the depleted rule
    # (below 3 of par 10), the machine crosses on day 3; with only sold out (< 0.5), on day 4.
    levels = project_levels(np.array([10.0]), np.full((5, 1), 3.0))
    assert levels[:, 0].tolist() == [7, 4, 1, 0, 0]
    one = MachineSlots(np.array([10.0]), np.array([10.0]), np.array([False]), np.ones(1))
    zero = VisitRules(
        points_per_unit_since_visit=0,
        points_per_day_since_service=0,
        points_per_sold_out=0,
        points_per_share_depleted=50,
    )
    days = np.zeros(5)
    assert first_day_over(score_levels(levels, one, days, zero).score, 50) == 3
    only_sold_out = replace(zero, points_per_share_depleted=0, points_per_sold_out=50)
    assert first_day_over(score_levels(levels, one, days, only_sold_out).score, 50) == 4
    assert first_day_over(np.array([1.0, 2.0]), 50) is None


def _state(
    forecast: dict[tuple[str, int, str], np.ndarray],
) -> tuple[pd.Series, pd.DataFrame, FleetState]:
    as_of = datetime(2024, 3, 10, 23, 0)
    machine = pd.Series(
        {
            "machine_serial": "M1",
            "asset_number": "A1",
            "route_id": "R1",
            "driver": "d",
            "location_id": "L1",
            "latitude": 0.0,
            "longitude": 0.0,
            "service_days": "0000000",
            "first_read_at": datetime(2024, 3, 1),
            "last_read_at": as_of,
            "last_visit_at": datetime(2024, 3, 10, 12, 0),
            "visit_hour": 12.0,
        }
    )
    slots = pd.DataFrame(
        [
            {
                "machine_serial": "M1",
                "asset_number": "A1",
                "cabinet_id": 1,
                "cabinet_index": 1,
                "slot": "A1",
                "selection": "11",
                "product_id": "P1",
                "product_name": "Cola",
                "capacity": 12,
                "par_level": 10,
                "price": 1.0,
                "level_at_last_read": 10,
                "last_read_at": as_of,
                "level_at_last_visit": 2,
                "daily_rate": 3.0,
            }
        ]
    )
    state = FleetState(as_of, pd.DataFrame([machine]), slots, forecast, 14)
    return machine, slots, state


ONLY_DEPLETED = VisitRules(
    points_per_unit_since_visit=0,
    points_per_day_since_service=0,
    points_per_sold_out=0,
    points_per_core_out=0,
    points_per_share_depleted=50,
)


def test_need_date_and_picks_with_the_rate() -> None:
    # level 10 read at as_of (after the visit at noon), 3 a day: below 3 at the end of day 3
    machine, slots, state = _state({})
    result = evaluate_machine(machine, slots, state, ONLY_DEPLETED, date(2024, 3, 11))
    assert result.need_date == date(2024, 3, 13)
    assert result.source == "slot_rate"
    # visit at 12:00 on day 1: 10 - 3 * 0.5 = 8.5 left, so 10 - 8.5 = 1.5 -> 2 units (rounded up)
    assert result.visit_levels[0] == pytest.approx(8.5)
    assert pick_quantity(10, result.visit_levels[0]) == 2
    assert result.planned is False


def test_need_date_follows_the_forecast() -> None:
    # the forecast says 1 a day: 9, 8, ..., 3, 2 -> below 3 at the end of day 8 (2024-03-18)
    machine, slots, state = _state({("M1", 1, "A1"): np.ones(14)})
    result = evaluate_machine(machine, slots, state, ONLY_DEPLETED, date(2024, 3, 18))
    assert result.need_date == date(2024, 3, 18)
    assert result.source == "demand_forecast"
    assert result.planned and result.why_planned == "needs service by 2024-03-18"
    # at noon of day 8: 10 - 7 - 0.5 = 2.5 left -> 7.5 -> 8 units; 'round' gives 8 as well
    assert result.visit_levels[0] == pytest.approx(2.5)
    assert pick_quantity(10, 2.5) == 8 and pick_quantity(10, 2.5, "round") == 8


def test_pick_quantity_never_negative_and_rounding() -> None:
    assert pick_quantity(10, 3.2) == 7  # 6.8 up
    assert pick_quantity(10, 3.2, "round") == 7
    assert pick_quantity(10, 3.6, "round") == 6  # 6.4
    assert pick_quantity(10, 12.0) == 0
    assert pick_quantity(10, 4.0) == 6  # exactly 6, not 7


def test_stop_order_nearest_neighbour() -> None:
    # L1 first (standing order), then the nearest each time: C (0.05), B (0.1), D (0.2); E has
    # no coordinates and goes last.
    stops = [
        Stop("B", ("L2", "B"), 0.0, 0.1),
        Stop("E", ("L0", "E"), None, None),
        Stop("D", ("L4", "D"), 0.0, 0.2),
        Stop("A", ("L1", "A"), 0.0, 0.0),
        Stop("C", ("L3", "C"), 0.0, 0.05),
    ]
    assert [s.key for s in order_stops(stops)] == ["A", "C", "B", "D", "E"]


def test_rules_file_overrides_defaults(tmp_path: Path) -> None:
    assert load_rules(tmp_path) == (VisitRules(), None)
    path = tmp_path / "config" / "visits.toml"
    path.parent.mkdir()
    path.write_text('visit_threshold = 60\ncore_products = ["P1"]\nplan_date = 2024-03-12\n')
    rules, source = load_rules(tmp_path)
    assert source == path
    assert (rules.visit_threshold, rules.core_products, rules.plan_date) == (
        60.0,
        ("P1",),
        "2024-03-12",
    )
    assert rules.points_per_sold_out == VisitRules().points_per_sold_out
    other = tmp_path / "other.toml"
    other.write_text("[visits]\nmax_days_between_visits = 7\n")
    assert load_rules(tmp_path, other)[0].max_days_between_visits == 7
    # the edge reads CVD_VISIT_RULES: a named file wins over the home's
    named = load_visit_rules(_settings(tmp_path), {VISIT_RULES_ENV: str(other)})
    assert named == (rules_from_file(other), other)
    assert named[0].visit_threshold == VisitRules().visit_threshold  # not the home file's 60


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('visit_threshold = "high"', "visit_threshold", "expected a number"),
        ("points_per_sold_out = -1", "points_per_sold_out", "must not be negative"),
        ("visit_treshold = 3", "visit_treshold", "unknown rule"),
        ('pick_rounding = "floor"', "pick_rounding", "expected one of ceil, round"),
        ("core_top_n = 2.5", "core_top_n", "expected a whole number"),
        ("service_day_threshold = 80", "service_day_threshold", "must not exceed"),
        ("visit_threshold = ", "(file)", "not valid TOML"),
    ],
)
def test_bad_rules_file_names_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(RulesError) as error:
        load_rules(tmp_path, path)
    assert str(error.value).startswith(f"{path}: {key}: ")
    assert problem in str(error.value)


def test_missing_named_rules_file(tmp_path: Path) -> None:
    env = {VISIT_RULES_ENV: str(tmp_path / "nope.toml")}
    with pytest.raises(RulesError, match=r"nope\.toml: CVD_VISIT_RULES: the file does not exist"):
        load_visit_rules(_settings(tmp_path), env)


def _settings(home: Path) -> Settings:
    return Settings(home=home, database_url="sqlite://", anthropic_api_key=None, ai_model="m")
