"""Units per spiral by product size are operator configuration (``[size_capacity]`` in
``$CVD_HOME/planogram.toml``): read with its defaults, refused when bad, and obeyed by the
optimiser, the AI reviewer's rules and its prompt. Expected figures are worked here."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from models.ai.prompt import cabinet_data
from models.ai.schema import parse_review
from models.ai.validation import validate
from models.planogram.optimise import optimise
from models.planogram.settings import load_planogram_settings
from models.planogram.types import CabinetContext, CandidateProduct, Constraints, SlotInfo
from tests.models.ai_support import cabinet, fixture, proposal
from tests.models.test_planogram_optimise import direct_expected_min


def test_defaults_and_a_partial_override(tmp_path: Path) -> None:
    assert dict(load_planogram_settings(tmp_path).size_capacity) == {"S": 15, "M": 10, "L": 7}
    (tmp_path / "planogram.toml").write_text("[size_capacity]\nM = 12\n")
    settings = load_planogram_settings(tmp_path)
    assert dict(settings.size_capacity) == {"S": 15, "M": 12, "L": 7}
    constraints = settings.for_cabinet({"P1"}, {"Snack"})
    assert dict(constraints.size_capacity) == {"S": 15, "M": 12, "L": 7}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[size_capacity]\nM = 0\n", "size_capacity.M"),
        ("[size_capacity]\nXL = 3\n", "size_capacity.XL"),
        ('[size_capacity]\nM = "ten"\n', "size_capacity.M"),
        ("[size_capacity]\nM = 9.5\n", "size_capacity.M"),
        ("[size_capacity]\nM = true\n", "size_capacity.M"),
        ("size_capacity = 3\n", "size_capacity"),
    ],
)
def test_bad_capacity_names_the_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "planogram.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"^{path}: {key}: "):
        load_planogram_settings(tmp_path)


@pytest.mark.parametrize(("m_capacity", "par"), [(10, 8), (12, 10)])
def test_the_optimiser_fills_a_facing_to_the_configured_capacity(m_capacity: int, par: int) -> None:
    # one slot, one M product selling 4 a day, weekly visits: the facing holds the configured
    # capacity, par = round(capacity × 0.85) (8.5 rounds to 8, 10.2 to 10), and the week's
    # sales are E[min(Poisson(28), par)]
    cola = CandidateProduct("P1", "Cola", "Drinks", "M", 200, 80, 4.0, "forecast")
    slot = SlotInfo("A1", "11", "M", "P1", 10, 8)
    constraints = Constraints(size_capacity={"S": 15, "M": m_capacity, "L": 7})
    ctx = CabinetContext("X", "A1", 1, (slot,), (cola,), 7.0, constraints=constraints)
    [assignment] = optimise(ctx).assignments
    assert (assignment.capacity, assignment.par_level) == (m_capacity, par)
    assert assignment.expected_weekly_units == pytest.approx(direct_expected_min(28.0, par))


def _answer_with_a2_capacity(units: int) -> dict:
    answer = copy.deepcopy(fixture("refine_ok.json")["content"][0]["input"])
    answer["slots"][1].update(capacity=units, par_level=units - 1)  # A2: an M product (P02)
    return answer


def test_the_reviewers_rules_and_prompt_use_the_configured_capacity() -> None:
    twelve = Constraints(
        core_products=frozenset({"P01"}),
        required_categories=frozenset({"Drinks", "Snacks"}),
        size_capacity={"S": 15, "M": 12, "L": 7},
    )
    answer = parse_review(_answer_with_a2_capacity(12))
    assert validate(cabinet(), answer) == [
        "slot A2: capacity 12 outside 1..10 for a size-M product (P02)"
    ]
    configured = dataclasses.replace(cabinet(), constraints=twelve)
    assert validate(configured, answer) == []
    assert validate(configured, parse_review(_answer_with_a2_capacity(13))) == [
        "slot A2: capacity 13 outside 1..12 for a size-M product (P02)"
    ]
    sent = json.loads(cabinet_data(configured, proposal()))
    assert sent["cabinet"]["size_capacity"] == {"S": 15, "M": 12, "L": 7}
