"""One question, or one query, from start to outcome: ask the model, check, run, account.

:func:`ask` sends the question to Claude and runs the SQL it answers with; :func:`run_sql` runs a
query the user wrote or edited. Both go through the same guard and sandbox, never raise for
anything the model, the user or the API does, and return an :class:`Outcome` whose ``status``
says how it ended:

``answered`` (rows, maybe ``truncated``), ``unanswerable`` (the model says the views cannot
answer), ``refused`` (the guard), ``query_error``, ``query_timeout``, ``invalid`` (the model's
reply is not a usable query), ``no_key``, ``disabled``, ``ai_timeout``, ``ai_error``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anthropic

from models.ai.client import call_messages, make_client
from models.ai.config import AIConfig
from models.ai.pricing import cost_usd
from models.ask.answer import Answer, Chart, NotAnAnswerError, parse_answer
from models.ask.guard import QueryRefusedError, check_query
from models.ask.prompt import build_request
from models.ask.reports import Match, query_params
from models.ask.runner import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_S,
    QueryFailedError,
    QueryResult,
    run_query,
)
from transforms.lake import Location

log = logging.getLogger("cvd.models.ask")

AI_OFF = frozenset({"no_key", "disabled", "ai_timeout", "ai_error"})


@dataclass(frozen=True)
class Warehouse:
    """Where queries run and what a role may read there."""

    path: Path  # warehouse.duckdb
    lake: Location  # the only folder (or object storage prefix) its views may read
    views: frozenset[str]  # the views the asking role may query
    catalog_views: frozenset[str]  # every view of the catalog
    schema_text: str  # the documented schema of ``views`` (the prompt's static part)
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_rows: int = DEFAULT_MAX_ROWS


@dataclass(frozen=True)
class Usage:
    """Tokens, cost and wait of the model call behind an outcome (zero without one)."""

    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = 0.0
    latency_s: float = 0.0


@dataclass(frozen=True)
class Outcome:
    """How a question or query ended, what ran, and what it returned."""

    status: str
    message: str  # what the user is told
    sql: str = ""
    explanation: str = ""
    chart: Chart = field(default_factory=Chart)
    result: QueryResult | None = None
    usage: Usage = field(default_factory=Usage)

    @property
    def rows(self) -> int:
        """Rows shown (0 without a result)."""
        return 0 if self.result is None else len(self.result.frame)


def ask(
    question: str,
    warehouse: Warehouse,
    config: AIConfig,
    *,
    role: str,
    user: str,
    client: anthropic.Anthropic | None = None,
) -> Outcome:
    """Ask Claude for the query that answers ``question`` and run it."""
    question = question.strip()
    if not question:
        return Outcome("invalid", "Type a question first.")
    if not config.api_key:
        return Outcome("no_key", "The AI is off (no API key is configured).")
    if config.enabled is False:
        return Outcome("disabled", "The AI is off (switched off in the configuration).")
    request = build_request(
        question,
        warehouse.schema_text,
        role=role,
        model=config.model,
        max_tokens=min(config.max_tokens, 2048),
        user=user,
    )
    call = call_messages(client or make_client(config.api_key), request, config)
    usage = _usage(call.message, config.model, call.latency_s)
    if call.message is None:
        status = "ai_timeout" if call.status == "timeout" else "ai_error"
        log.warning("ask user=%s status=%s detail=%r", user, status, call.detail)
        return Outcome(
            status, f"The AI did not answer ({call.detail or call.status}).", usage=usage
        )
    try:
        answer = parse_answer(call.message)
    except NotAnAnswerError as exc:
        return Outcome("invalid", f"The AI's reply was not a usable query: {exc}.", usage=usage)
    if not answer.sql:
        return Outcome(
            "unanswerable",
            "The AI says the warehouse cannot answer this question.",
            explanation=answer.explanation,
            usage=usage,
        )
    return _run(answer, warehouse, usage)


def run_sql(sql: str, warehouse: Warehouse) -> Outcome:
    """Run a query the user wrote or edited, through the same guard and sandbox."""
    return _run(Answer(sql.strip(), "", Chart()), warehouse, Usage())


def run_report(match: Match, warehouse: Warehouse) -> Outcome:
    """Run a saved report with its parameters (a route given by number or name is resolved to
    its id first), through the same guard and sandbox."""
    item = match.report
    params = query_params(match)
    if params.get("route") is not None:
        route = _resolve_route(str(params["route"]), warehouse)
        if route is None:
            return Outcome("query_error", f"No route is called {params['route']!r}.", sql=item.sql)
        params["route"] = route
    answer = Answer(item.sql, item.question, item.chart)
    return _run(answer, warehouse, Usage(), params)


def _resolve_route(token: str, warehouse: Warehouse) -> str | None:
    outcome = run_sql("SELECT route_id, name FROM routes", warehouse)
    if outcome.result is None:
        return None
    wanted = token.strip().lower()
    for route_id, name in outcome.result.frame.itertuples(index=False):
        names = {str(route_id).lower(), str(name).lower()}
        digits = str(route_id).lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-")
        if (
            wanted in names
            or f"route {wanted}" in names
            or (wanted.isdigit() and digits.isdigit() and int(digits) == int(wanted))
        ):
            return str(route_id)
    return None


def _run(
    answer: Answer, warehouse: Warehouse, usage: Usage, params: dict[str, Any] | None = None
) -> Outcome:
    def outcome(status: str, message: str, result: QueryResult | None = None) -> Outcome:
        return Outcome(
            status,
            message,
            sql=answer.sql,
            explanation=answer.explanation,
            chart=answer.chart,
            result=result,
            usage=usage,
        )

    try:
        checked = check_query(answer.sql, warehouse.views, warehouse.catalog_views)
    except QueryRefusedError as exc:
        return outcome("refused", f"Refused before it ran: {exc}")
    try:
        result = run_query(
            checked,
            warehouse.path,
            warehouse.lake,
            timeout_s=warehouse.timeout_s,
            max_rows=warehouse.max_rows,
            params=params,
        )
    except QueryFailedError as exc:
        return outcome("query_timeout" if exc.timed_out else "query_error", str(exc))
    message = f"{len(result.frame):,} rows."
    if result.truncated:
        message = f"Showing the first {warehouse.max_rows:,} rows; the query returned more."
    return outcome("answered", message, result)


def _usage(message: object, model: str, latency_s: float) -> Usage:
    counts = getattr(message, "usage", None)
    if counts is None:
        return Usage(model=model, latency_s=latency_s)
    tokens = {
        "input_tokens": counts.input_tokens or 0,
        "output_tokens": counts.output_tokens or 0,
        "cache_read_tokens": getattr(counts, "cache_read_input_tokens", 0) or 0,
        "cache_write_tokens": getattr(counts, "cache_creation_input_tokens", 0) or 0,
    }
    return Usage(model=model, cost_usd=cost_usd(model, **tokens), latency_s=latency_s, **tokens)
