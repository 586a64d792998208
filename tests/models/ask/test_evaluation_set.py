"""The evaluation set of bench/assistant.py: 40+ questions whose reference queries pass the guard
and run on a demo warehouse, and whose recorded answers (other formulations of the same query)
the scorer finds equal to the references through the whole assistant."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from models.ai.config import AIConfig
from models.ask import policy
from models.ask.assistant import ask
from models.ask.guard import check_query
from models.ask.scoring import same_result
from tests.models.ai_support import FakeAPI
from tests.models.ask.support import direct, tool_reply, warehouse
from tests.platform_home import PlatformHome
from transforms.catalog import CATALOG

QUESTIONS = tomllib.loads(
    (Path(__file__).resolve().parents[3] / "bench" / "assistant" / "questions.toml").read_text()
)["q"]


def test_there_are_at_least_forty_distinct_questions() -> None:
    assert len(QUESTIONS) >= 40
    assert (
        len({q["id"] for q in QUESTIONS})
        == len({q["question"] for q in QUESTIONS})
        == len(QUESTIONS)
    )


def _answer_rows(home: PlatformHome, question: str, sql: str) -> list[tuple[object, ...]]:
    """The rows Ask CVD shows a manager when the (faked) model answers ``question`` with
    ``sql``; the answer must have run."""
    outcome = ask(
        question,
        warehouse(home.home),
        AIConfig(api_key="test", max_retries=0),
        role="manager",
        user="test",
        client=FakeAPI((200, tool_reply(sql))).client(),
    )
    assert outcome.status == "answered", outcome.message
    return [tuple(r) for r in outcome.result.frame.itertuples(index=False)]


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q["id"])
def test_recorded_answers_score_as_their_references(platform_home: PlatformHome, q: dict) -> None:
    check_query(q["reference"], policy.views_for("manager", CATALOG))
    expected = direct(platform_home.home, q["reference"])
    rows = _answer_rows(platform_home, q["question"], q["recorded"])
    assert same_result(expected, rows, ordered=bool(q.get("ordered")))


def test_a_wrong_answer_scores_wrong(platform_home: PlatformHome) -> None:
    q = next(q for q in QUESTIONS if q["id"] == "revenue_by_route_7d")
    wrong = q["recorded"].replace("- 6", "- 7")  # eight days instead of seven
    rows = _answer_rows(platform_home, q["question"], wrong)
    assert not same_result(direct(platform_home.home, q["reference"]), rows)
