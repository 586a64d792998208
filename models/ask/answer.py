"""The model's answer: the ``answer_with_sql`` tool call read into an :class:`Answer`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.ask.prompt import CHART_KINDS, TOOL_NAME


class NotAnAnswerError(ValueError):
    """The reply has no usable tool call (text only, a refusal, a malformed input)."""


@dataclass(frozen=True)
class Chart:
    """Which chart fits the result: a kind and the result columns it plots."""

    kind: str = "none"
    x: str = ""
    y: str = ""
    color: str = ""


@dataclass(frozen=True)
class Answer:
    """One SQL query (empty: the data cannot answer), its explanation and its chart."""

    sql: str
    explanation: str
    chart: Chart


def parse_answer(message: Any) -> Answer:
    """Read the tool call of ``message`` (an SDK ``Message``); raise :class:`NotAnAnswerError`."""
    if getattr(message, "stop_reason", None) == "refusal":
        raise NotAnAnswerError("the model declined to answer")
    calls = [
        block
        for block in getattr(message, "content", [])
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == TOOL_NAME
    ]
    if len(calls) != 1:
        raise NotAnAnswerError("the model answered without a query" if not calls else "two answers")
    data = calls[0].input
    if not isinstance(data, dict):
        raise NotAnAnswerError("the answer is not an object")
    sql, explanation = data.get("sql"), data.get("explanation", "")
    if not isinstance(sql, str) or not isinstance(explanation, str):
        raise NotAnAnswerError("the answer's sql or explanation is not text")
    return Answer(sql.strip(), explanation.strip(), _chart(data.get("chart")))


def _chart(value: Any) -> Chart:
    if not isinstance(value, dict) or value.get("kind") not in CHART_KINDS:
        return Chart()
    fields = {key: value.get(key) for key in ("x", "y", "color")}
    return Chart(
        kind=str(value["kind"]),
        **{key: item for key, item in fields.items() if isinstance(item, str)},
    )
