"""Helpers for the assistant's tests: the warehouse of the shared demo home as a role sees it,
and scripted Messages API replies (the transport fake is ``tests/models/ai_support.FakeAPI``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from models.ask import policy
from models.ask.assistant import Warehouse
from models.ask.prompt import TOOL_NAME
from models.ask.schema import load_doc
from transforms.catalog import CATALOG

DOC = Path(__file__).resolve().parents[3] / "docs" / "warehouse.md"


def warehouse(home: Path, role: str = "manager", **limits: Any) -> Warehouse:
    """``home``'s warehouse with the views ``role`` may query."""
    views = policy.views_for(role, CATALOG)
    return Warehouse(
        path=home / "warehouse.duckdb",
        lake=home / "lake",
        views=views,
        catalog_views=frozenset(v for _, v in CATALOG),
        schema_text=load_doc(DOC).for_views(views),
        **limits,
    )


def direct(home: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on ``home``'s warehouse, opened the plain way (the independent check)."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def tool_reply(
    sql: str, explanation: str = "", chart: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Messages API response that calls the answer tool."""
    answer: dict[str, Any] = {"sql": sql, "explanation": explanation}
    if chart is not None:
        answer["chart"] = chart
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": TOOL_NAME, "input": answer}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 120,
            "output_tokens": 80,
            "cache_read_input_tokens": 7000,
            "cache_creation_input_tokens": 0,
        },
    }


def text_reply(text: str) -> dict[str, Any]:
    """A Messages API response with prose and no tool call."""
    reply = tool_reply("")
    reply["content"] = [{"type": "text", "text": text}]
    reply["stop_reason"] = "end_turn"
    return reply
