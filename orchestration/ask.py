"""Ask CVD wired to a home: the warehouse a role may query, the record of every question.

The CLI (`cvd ask`) and the Ask page both call :func:`ask_question`, :func:`run_query_text` or
:func:`run_saved_report`, so a question gets the same guard, limits and record wherever it is
asked. Every outcome is stored in the operational database (``asked_questions``) with who asked,
what ran, how it ended and what the model call cost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import anthropic
from sqlalchemy.engine import Engine

from models.ai.config import AIConfig
from models.ask import assistant, policy
from models.ask.assistant import Outcome, Warehouse
from models.ask.reports import Match
from models.ask.schema import WarehouseDoc, load_doc
from operations.permissions import Actor
from operations.services import questions
from orchestration.settings import Settings, load_ask_limits
from transforms.catalog import CATALOG

log = logging.getLogger("cvd.ask")
WAREHOUSE_DOC = Path(__file__).resolve().parents[1] / "docs" / "warehouse.md"


@cache
def warehouse_doc(path: Path = WAREHOUSE_DOC) -> WarehouseDoc:
    """``docs/warehouse.md`` cut per view (read once per process)."""
    return load_doc(path)


def warehouse_for(settings: Settings, role: str) -> Warehouse:
    """The warehouse of ``settings`` as ``role`` may query it, with the configured limits."""
    views = policy.views_for(role, CATALOG)
    limits = load_ask_limits()
    return Warehouse(
        path=settings.warehouse,
        lake=settings.lake,
        views=views,
        catalog_views=frozenset(view for _, view in CATALOG),
        schema_text=warehouse_doc().for_views(views),
        timeout_s=limits.timeout_s,
        max_rows=limits.max_rows,
    )


def ask_question(
    settings: Settings,
    engine: Engine,
    actor: Actor,
    question: str,
    config: AIConfig,
    *,
    client: anthropic.Anthropic | None = None,
) -> Outcome:
    """Ask Claude (through ``client``, default one built from the key), run its query, record
    the outcome."""
    questions.may_ask(actor)
    warehouse = warehouse_for(settings, actor.role)
    return _recorded(
        engine,
        actor,
        "ai",
        question,
        lambda: assistant.ask(
            question, warehouse, config, role=actor.role, user=actor.username, client=client
        ),
    )


def run_query_text(settings: Settings, engine: Engine, actor: Actor, sql: str) -> Outcome:
    """Run a query the user wrote or edited; record it."""
    questions.may_ask(actor)
    warehouse = warehouse_for(settings, actor.role)
    return _recorded(engine, actor, "sql", sql, lambda: assistant.run_sql(sql, warehouse))


def run_saved_report(settings: Settings, engine: Engine, actor: Actor, match: Match) -> Outcome:
    """Run a saved report with its parameters; record it."""
    questions.may_ask(actor)
    warehouse = warehouse_for(settings, actor.role)
    label = f"report {match.report.report_id} {match.params}"
    return _recorded(engine, actor, "report", label, lambda: assistant.run_report(match, warehouse))


def _recorded(
    engine: Engine, actor: Actor, source: str, question: str, run: Callable[[], Outcome]
) -> Outcome:
    started = time.perf_counter()
    outcome = run()
    elapsed = time.perf_counter() - started
    usage = outcome.usage
    questions.record_question(
        engine,
        actor,
        questions.QuestionRecord(
            source=source,
            question=question,
            sql=outcome.sql,
            status=outcome.status,
            message=outcome.message,
            rows=outcome.rows,
            model=usage.model or None,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            cost_usd=usage.cost_usd,
            elapsed_s=elapsed,
        ),
    )
    log.info(
        "ask user=%s role=%s source=%s status=%s rows=%d elapsed_s=%.3f cost_usd=%s",
        actor.username,
        actor.role,
        source,
        outcome.status,
        outcome.rows,
        elapsed,
        "unpriced" if usage.cost_usd is None else f"{usage.cost_usd:.6f}",
    )
    return outcome
