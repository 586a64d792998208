"""Ask CVD: a question in plain language, answered by one checked, read-only query on the
warehouse; the answer, the SQL (editable, re-runnable), the rows and a chart where one fits.
Without an API key, or when the AI fails, the saved reports its words match are offered.
Every question and query is recorded with who asked and what it cost (``asked_questions``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import data, session
from dashboards.escape import md
from models.ask import policy, reports
from models.ask.answer import Chart
from models.ask.assistant import AI_OFF, Outcome
from operations.permissions import Action
from operations.services import questions
from orchestration import ask
from orchestration.settings import SettingsError, load_ai_config
from transforms.catalog import CATALOG
from transforms.spreadsheet import frame_csv

OUTCOME_KEY = "ask_outcome"
SQL_KEY = "ask_sql"
HISTORY_ROWS = 50
EXAMPLES = (
    "Which machines on route 3 lost the most to stock-outs last week?",
    "What were the 5 best-selling products in the last 14 days?",
    "Which machines need a visit, and why?",
)


def _chart(frame: pd.DataFrame, chart: Chart) -> None:
    """The chart the answer suggests, when its columns are in the result and it has rows."""
    if chart.kind == "none" or frame.empty or len(frame) > 2_000:
        return
    if chart.x not in frame.columns or chart.y not in frame.columns:
        return
    plotted = frame.copy()
    plotted[chart.y] = pd.to_numeric(plotted[chart.y], errors="coerce")
    if plotted[chart.y].isna().all():
        return
    color = chart.color if chart.color in frame.columns else None
    draw = {"bar": px.bar, "line": px.line, "scatter": px.scatter}[chart.kind]
    st.plotly_chart(draw(plotted, x=chart.x, y=chart.y, color=color), width="stretch")


def _show(outcome: Outcome) -> None:
    """The outcome: explanation, SQL, rows, chart, CSV; or why there are none."""
    if outcome.explanation:
        st.markdown(md(outcome.explanation))
    if outcome.result is None:
        st.error(md(outcome.message))
        return
    st.caption(md(outcome.message))
    frame = outcome.result.frame
    _chart(frame, outcome.chart)
    st.dataframe(frame, hide_index=True, width="stretch", key="ask_result")
    st.download_button(
        "Download CSV",
        frame_csv(frame).encode(),
        file_name="cvd_answer.csv",
        mime="text/csv",
        key="ask_download",
    )


def _remember(outcome: Outcome, *, show_sql: bool = True) -> None:
    """Keep ``outcome`` for the reruns; put its SQL in the editor (not when the editor's own
    text ran: a widget's value cannot be set after it was drawn)."""
    st.session_state[OUTCOME_KEY] = outcome
    if show_sql and outcome.sql:
        st.session_state[SQL_KEY] = outcome.sql


def _reports_for(question: str, views: frozenset[str], settings: Any, who: Any) -> None:
    """The saved reports the question's words match (all of them without a question)."""
    found = reports.match(question, views) if question else []
    items = found or [reports.Match(r, 0, dict(r.params)) for r in reports.offered(views)]
    label = "Saved reports that may answer it" if found else "Saved reports"
    st.markdown(f"**{label}**")
    for i, match in enumerate(items):
        params = ", ".join(f"{k} = {v}" for k, v in match.params.items() if v != "")
        title = match.report.question + (f" ({params})" if params else "")
        if st.button(md(title), key=f"ask_report_{i}_{match.report.report_id}"):
            _remember(ask.run_saved_report(settings, data.ops_db(), who, match))


def main() -> None:
    """The page."""
    who = session.require(Action.ASK)
    st.title("Ask CVD")
    settings = data.settings()
    if not settings.warehouse.exists():
        st.info("No warehouse yet: run the pipeline first.")
        return
    try:
        config = load_ai_config(settings)
    except SettingsError as exc:
        st.error(md(exc))
        return
    ai_on = bool(config.api_key) and config.enabled is not False
    views = policy.views_for(who.role, CATALOG)
    st.caption(
        "Answers come from one read-only query on the warehouse, shown below the answer; only "
        "the views your role may read can be queried."
        + ("" if ai_on else " The AI is off (no API key configured): saved reports only.")
    )
    with st.form("ask_form"):
        question = st.text_input(
            "Question", placeholder=EXAMPLES[0], max_chars=1_000, key="ask_question"
        )
        asked = st.form_submit_button("Ask", type="primary")
    if asked and question.strip():
        if ai_on:
            with st.spinner("Asking…"):
                _remember(ask.ask_question(settings, data.ops_db(), who, question, config))
        else:
            st.session_state.pop(OUTCOME_KEY, None)
    outcome: Outcome | None = st.session_state.get(OUTCOME_KEY)
    if not ai_on or (outcome is not None and outcome.status in AI_OFF):
        if outcome is not None and outcome.status in AI_OFF:
            st.warning(md(outcome.message))
        _reports_for(question.strip(), views, settings, who)
        outcome = st.session_state.get(OUTCOME_KEY)
    if outcome is not None and outcome.status not in AI_OFF:
        _show(outcome)
    with st.expander("SQL", expanded=bool(st.session_state.get(SQL_KEY))):
        st.text_area("Query (one SELECT)", key=SQL_KEY, height=200)
        if st.button("Run SQL", key="ask_run_sql"):
            ran = ask.run_query_text(settings, data.ops_db(), who, st.session_state[SQL_KEY])
            _remember(ran, show_sql=False)
            st.rerun()
        st.caption("Views you may query: " + md(", ".join(sorted(views))))
    _history(who)


def _history(who: Any) -> None:
    everyone = session.allowed(Action.READ_QUESTIONS, who)
    with st.expander("Recent questions" + (" (everyone's)" if everyone else "")):
        rows = questions.list_questions(data.ops_db(), who, everyone=everyone, limit=HISTORY_ROWS)
        table = pd.DataFrame(
            [
                {
                    "Asked": r.asked_at,
                    "By": r.asked_by,
                    "How": r.source,
                    "Question": r.question,
                    "Outcome": r.status,
                    "Rows": r.rows,
                    "Tokens in": r.input_tokens + r.cache_read_tokens + r.cache_write_tokens,
                    "Tokens out": r.output_tokens,
                    "Cost (USD)": None if r.cost_usd is None else round(r.cost_usd, 4),
                }
                for r in rows
            ]
        )
        if table.empty:
            st.caption("No questions yet.")
        else:
            st.dataframe(table, hide_index=True, width="stretch", key="ask_history")


main()
