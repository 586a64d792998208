"""Ask CVD's record: every question and query, who asked, how it ended, what it cost.

Asking is ``Action.ASK`` (admins, managers, viewers; not drivers). The record is written for every
outcome, refusals included, and never changed; a user reads their own questions, admins everyone's
(``Action.READ_QUESTIONS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from operations.db import DbTarget, reading, transaction
from operations.permissions import Action, Actor, require
from operations.schema import QUESTION_SOURCES, AskedQuestion

MAX_TEXT = 20_000


@dataclass(frozen=True)
class QuestionRecord:
    """What is recorded about one question or query (the caller fills it from the outcome)."""

    source: str  # "ai", "sql" or "report"
    question: str
    sql: str
    status: str
    message: str
    rows: int = 0
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = 0.0
    elapsed_s: float = 0.0


def may_ask(actor: Actor) -> None:
    """Refuse (``PermissionDenied``) unless ``actor`` may use the assistant."""
    require(actor, Action.ASK)


def record_question(db: DbTarget, actor: Actor, record: QuestionRecord) -> AskedQuestion:
    """Store ``record`` as asked by ``actor`` now; returns the stored row."""
    require(actor, Action.ASK)
    if record.source not in QUESTION_SOURCES:
        raise ValueError(f"source must be one of {QUESTION_SOURCES}, not {record.source!r}")
    row = AskedQuestion(
        asked_by=actor.username,
        role=actor.role,
        source=record.source,
        question=record.question[:MAX_TEXT],
        sql=record.sql[:MAX_TEXT],
        status=record.status[:16],
        message=record.message[:MAX_TEXT],
        rows=record.rows,
        model=record.model,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        cache_read_tokens=record.cache_read_tokens,
        cache_write_tokens=record.cache_write_tokens,
        cost_usd=record.cost_usd,
        elapsed_s=record.elapsed_s,
    )
    with transaction(db) as session:
        session.add(row)
        session.flush()
        session.expunge(row)
    return row


def list_questions(
    db: DbTarget, actor: Actor, *, everyone: bool = False, limit: int = 200
) -> list[AskedQuestion]:
    """The latest questions: ``actor``'s own, or everyone's (admins, ``everyone=True``)."""
    require(actor, Action.READ_QUESTIONS if everyone else Action.ASK)
    query = select(AskedQuestion)
    if not everyone:
        query = query.where(AskedQuestion.asked_by == actor.username)
    with reading(db) as session:
        rows = list(session.scalars(query.order_by(AskedQuestion.id.desc()).limit(limit)))
        session.expunge_all()
    return rows
