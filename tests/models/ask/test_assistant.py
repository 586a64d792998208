"""A question through the real SDK (its HTTP transport scripted), the guard and the sandbox, on
the shared demo home's warehouse; expected rows come from plain SQL on the same warehouse."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from models.ai.config import AIConfig
from models.ai.pricing import cost_usd
from models.ask.assistant import ask, run_sql
from tests.models.ai_support import FakeAPI, timeout_error
from tests.models.ask.support import direct, text_reply, tool_reply, warehouse
from tests.platform_home import PlatformHome

CONFIG = AIConfig(api_key="test", model="claude-sonnet-4-6", max_retries=0)
BY_ROUTE = (
    "SELECT d.route_id, sum(s.revenue) AS revenue FROM fct_daily_sales s"
    " JOIN devices d ON d.dex_serial = s.machine_serial GROUP BY ALL ORDER BY 1"
)


def _ask(home: PlatformHome, api: FakeAPI, role: str = "manager", **limits: object) -> object:
    return ask(
        "What did each route sell?",
        warehouse(home.home, role, **limits),  # type: ignore[arg-type]
        CONFIG,
        role=role,
        user="max",
        client=api.client(),
    )


def test_an_answer_runs_and_its_rows_are_the_warehouse_s(platform_home: PlatformHome) -> None:
    api = FakeAPI(
        (
            200,
            tool_reply(
                BY_ROUTE, "Revenue per route.", {"kind": "bar", "x": "route_id", "y": "revenue"}
            ),
        )
    )
    outcome = _ask(platform_home, api)
    assert outcome.status == "answered"
    expected = direct(platform_home.home, BY_ROUTE)
    assert [tuple(r) for r in outcome.result.frame.itertuples(index=False)] == expected
    assert outcome.chart.kind == "bar" and outcome.explanation == "Revenue per route."
    # what was sent: the rules and the schema as the cached static part, the question apart
    body = api.body()
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "### `fct_daily_sales`" in body["system"][-1]["text"]
    assert "### `dex_files`" in body["system"][-1]["text"]  # managers may query raw tables
    assert json.loads(body["messages"][0]["content"][0]["text"]) == {
        "role": "manager",
        "question": "What did each route sell?",
    }
    # tokens and cost as the price table says for those counts
    usage = outcome.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (120, 80, 7000)
    assert usage.cost_usd == cost_usd(
        "claude-sonnet-4-6",
        input_tokens=120,
        output_tokens=80,
        cache_read_tokens=7000,
        cache_write_tokens=0,
    )


def test_a_viewer_s_prompt_names_no_view_it_may_not_query(platform_home: PlatformHome) -> None:
    api = FakeAPI((200, tool_reply("SELECT count(*) FROM dex_files")))
    outcome = _ask(platform_home, api, role="viewer")
    schema = api.body()["system"][-1]["text"]
    assert "### `dex_files`" not in schema and "### `quarantine`" not in schema
    assert "### `slot_status`" in schema
    assert outcome.status == "refused"
    assert "dex_files is not one your role may query" in outcome.message
    assert outcome.result is None


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("COPY (SELECT * FROM products) TO '{out}'", "not COPY"),
        ("ATTACH '{out}' AS x", "not ATTACH"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
        ("DROP VIEW products", "not DROP"),
    ],
)
def test_an_unsafe_answer_is_refused_and_nothing_happens(
    platform_home: PlatformHome, sql: str, says: str, tmp_path: Path
) -> None:
    out = tmp_path / "written-by-the-query"
    outcome = _ask(platform_home, FakeAPI((200, tool_reply(sql.format(out=out)))))
    assert outcome.status == "refused" and says in outcome.message
    assert outcome.result is None
    assert not out.exists()  # COPY wrote no file, ATTACH created no database
    assert direct(platform_home.home, "SELECT count(*) FROM products")[0][0] > 0  # not dropped


def test_an_answer_that_is_not_sql(platform_home: PlatformHome) -> None:
    prose = _ask(platform_home, FakeAPI((200, text_reply("Route 1 sold the most."))))
    assert prose.status == "invalid" and "without a query" in prose.message
    words = _ask(platform_home, FakeAPI((200, tool_reply("Route 1 sold the most, I think."))))
    assert words.status == "refused" and "not valid SQL" in words.message


def test_a_question_the_views_cannot_answer(platform_home: PlatformHome) -> None:
    reply = tool_reply("", "The warehouse holds no weather data.")
    outcome = _ask(platform_home, FakeAPI((200, reply)))
    assert outcome.status == "unanswerable"
    assert outcome.explanation == "The warehouse holds no weather data."


def test_too_many_rows_are_cut_at_the_limit(platform_home: PlatformHome) -> None:
    sql = "SELECT * FROM fct_daily_sales ORDER BY machine_serial, selection_key, sales_date"
    total = direct(platform_home.home, "SELECT count(*) FROM fct_daily_sales")[0][0]
    assert total > 50
    outcome = _ask(platform_home, FakeAPI((200, tool_reply(sql))), max_rows=50)
    assert outcome.status == "answered" and outcome.result.truncated
    assert len(outcome.result.frame) == 50
    assert "first 50 rows" in outcome.message


def test_a_query_past_the_time_limit_is_stopped(platform_home: PlatformHome) -> None:
    endless = (
        "SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = -1"
    )
    outcome = run_sql(endless, warehouse(platform_home.home, timeout_s=0.5))
    assert outcome.status == "query_timeout"
    assert "longer than 0.5 s" in outcome.message


def test_a_query_error_is_reported_not_raised(platform_home: PlatformHome) -> None:
    outcome = run_sql("SELECT no_such_column FROM products", warehouse(platform_home.home))
    assert outcome.status == "query_error" and "no_such_column" in outcome.message


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (timeout_error(), "ai_timeout"),
        (
            (529, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}),
            "ai_error",
        ),
    ],
)
def test_the_api_failing(platform_home: PlatformHome, reply: object, status: str) -> None:
    outcome = _ask(platform_home, FakeAPI(reply))
    assert outcome.status == status and outcome.result is None


def test_no_key_sends_nothing(platform_home: PlatformHome) -> None:
    api = FakeAPI((200, tool_reply("SELECT 1")))
    outcome = ask(
        "anything",
        warehouse(platform_home.home),
        AIConfig(api_key=None),
        role="manager",
        user="max",
        client=api.client(),
    )
    assert outcome.status == "no_key" and api.requests == []


def test_revenue_is_exact_decimal(platform_home: PlatformHome) -> None:
    outcome = run_sql(
        "SELECT sum(revenue) AS r FROM fct_daily_sales", warehouse(platform_home.home)
    )
    assert (
        outcome.result.frame["r"][0]
        == direct(platform_home.home, "SELECT sum(revenue) FROM fct_daily_sales")[0][0]
    )
    assert isinstance(outcome.result.frame["r"][0], Decimal)
