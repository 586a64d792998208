"""The Ask CVD page (AppTest, a writable copy of the demo home): per role, saved reports when the
AI is off, an answer through the SDK to a loopback stand-in of the API, the SQL editor and its
guard, and the record of every question. `cvd ask` on the same home."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from orchestration.cli import main as cvd
from tests.dashboards.actions_home import (  # noqa: F401
    ActionsHome,
    actions_home_fixture,
    open_as,
)
from tests.dashboards.conftest import assert_clean, texts
from tests.fake_anthropic import FakeMessagesAPI, serving
from tests.models.ask.support import tool_reply

PAGE = "app_pages/ask.py"
EVIL = "x`![t](http://e.invalid/p.png)`y"


def _questions(home: ActionsHome) -> list[tuple[object, ...]]:
    with home.engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT asked_by, role, source, status, rows, input_tokens, output_tokens,"
                    " cache_read_tokens, cost_usd FROM asked_questions ORDER BY id"
                )
            )
        ]


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("CVD_AI_ENABLED", raising=False)


@pytest.mark.parametrize("role", ["admin", "manager", "viewer"])
def test_the_office_roles_get_the_page(actions_home: ActionsHome, role: str) -> None:
    app = open_as(actions_home, role, PAGE)
    assert_clean(app)
    assert app.title[0].value == "Ask CVD"
    assert "The AI is off" in texts(app)


def test_drivers_do_not(actions_home: ActionsHome) -> None:
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_as(actions_home, "driver", PAGE)  # not in a driver's menu at all


def test_without_a_key_the_matching_reports_run(actions_home: ActionsHome) -> None:
    before = len(_questions(actions_home))
    app = open_as(actions_home, "manager", PAGE)
    app.text_input(key="ask_question").input("Which machines need a visit, and why?")
    app.button[0].click()  # the form's Ask
    app.run()
    assert_clean(app)
    assert "Saved reports that may answer it" in texts(app)
    report = next(b for b in app.button if b.key.startswith("ask_report_0_needs_visit"))
    report.click()
    app.run()
    assert_clean(app)
    shown = app.dataframe[0].value
    expected = actions_home.sql("SELECT count(*) FROM service_scores WHERE needs_visit")[0][0]
    assert len(shown) == expected
    assert _questions(actions_home)[before:] == [
        ("max", "manager", "report", "answered", expected, 0, 0, 0, 0.0)
    ]


def test_the_sql_editor_runs_through_the_guard(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "viewer", PAGE)
    app.text_area(key="ask_sql").input("SELECT * FROM dex_files")
    app.button(key="ask_run_sql").click()
    app.run()
    assert_clean(app)
    assert "dex\\_files is not one your role may query" in texts(app)
    assert not app.dataframe or all("sha256" not in d.value.columns for d in app.dataframe)
    app.text_area(key="ask_sql").input(
        "SELECT route_id, count(*) AS machines FROM devices GROUP BY 1"
    )
    app.button(key="ask_run_sql").click()
    app.run()
    expected = actions_home.sql("SELECT count(DISTINCT route_id) FROM devices")[0][0]
    assert len(app.dataframe[0].value) == expected
    assert _questions(actions_home)[-2:][0][2:4] == ("sql", "refused")


def test_an_answer_from_the_api(actions_home: ActionsHome, monkeypatch: pytest.MonkeyPatch) -> None:
    sql = "SELECT route_id, count(*) AS machines FROM devices GROUP BY 1 ORDER BY 1"
    reply = tool_reply(
        sql, f"Machines per route. {EVIL}", {"kind": "bar", "x": "route_id", "y": "machines"}
    )
    with serving(FakeMessagesAPI(reply)) as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        monkeypatch.setenv("CVD_AI_MAX_RETRIES", "0")
        app = open_as(actions_home, "manager", PAGE)
        app.text_input(key="ask_question").input("How many machines per route?")
        app.button[0].click()
        app.run()
    assert_clean(app)
    assert len(api.requests) == 1
    assert "How many machines per route?" in api.requests[0]["messages"][0]["content"][0]["text"]
    expected = actions_home.sql(sql)
    shown = app.dataframe[0].value
    assert [tuple(r) for r in shown.itertuples(index=False)] == expected
    assert len(app.get("plotly_chart")) == 1
    assert "\\!\\[t\\]\\(http" in texts(app)  # the model's text is escaped, never an image
    assert app.text_area(key="ask_sql").value == sql
    last = _questions(actions_home)[-1]
    assert last[:5] == ("max", "manager", "ai", "answered", len(expected))
    assert last[5:8] == (120, 80, 7000) and last[8] > 0


def test_admins_see_everyone_s_questions(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "admin", PAGE)
    assert_clean(app)
    assert "Recent questions (everyone's)" in [e.label for e in app.expander]
    viewer = open_as(actions_home, "viewer", PAGE)
    assert "Recent questions" in [e.label for e in viewer.expander]


def test_cvd_ask(actions_home: ActionsHome, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(actions_home.home)
    assert cvd(["ask", "--home", home, "--sql", "SELECT count(*) AS n FROM products"]) == 0
    expected = actions_home.sql("SELECT count(*) FROM products")[0][0]
    assert f"│ {expected}" in capsys.readouterr().out
    assert cvd(["ask", "--home", home, "--sql", "COPY products TO '/tmp/x.csv'"]) == 1
    assert "not COPY" in capsys.readouterr().err
    assert cvd(["ask", "--home", home, "Which machines need a visit?"]) == 3
    err = capsys.readouterr().err
    assert "The AI is off" in err and "needs_visit" in err
    assert cvd(["ask", "--home", home, "--report", "needs_visit", "--param", "days=3"]) == 2
    recorded = _questions(actions_home)[-3:]
    assert [r[2:4] for r in recorded] == [("sql", "answered"), ("sql", "refused"), ("ai", "no_key")]
    assert all(str(r[0]).startswith("cli:") for r in recorded)
