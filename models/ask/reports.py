"""Saved, parameterised reports: what the assistant answers when the AI is off or fails.

The library is ``reports/library.toml`` (title, the question, keywords, default parameters,
chart) with one ``reports/<id>.sql`` per report. A question finds reports by its words (a
report's keywords that occur in it, most first); its numbers and names fill the parameters:
"last 14 days", "last week" (7), "last month" (30), "top 5", "route 3", a product in quotes.
A role is offered only the reports whose views it may read (checked by the same guard as any
query), and a report runs through the same sandbox.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from models.ask.answer import Chart
from models.ask.guard import QueryRefusedError, check_query

LIBRARY = Path(__file__).parent / "reports"
_WORD = re.compile(r"[a-z0-9][a-z0-9\-]*")
_DAYS = re.compile(r"(?:last|past|previous)\s+(\d{1,4})\s+(day|week|month)s?")
_PERIOD = {"week": 7, "month": 30, "fortnight": 14, "year": 365, "quarter": 91}
_LIMIT = re.compile(r"\b(?:top|bottom|best|worst|first)\s+(\d{1,4})\b")
_ROUTE = re.compile(r"\broute\s+([A-Za-z0-9_-]{1,64})", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“'‘]([^\"”'’]{2,100})[\"”'’]")
MAX_DAYS = 3650
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Report:
    """One saved report: its SQL and defaults as the library gives them."""

    report_id: str
    title: str
    question: str
    keywords: frozenset[str]
    params: dict[str, Any]
    chart: Chart
    sql: str


@dataclass(frozen=True)
class Match:
    """A report a question found, the words that found it, and its filled parameters."""

    report: Report
    score: float
    params: dict[str, Any] = field(default_factory=dict)


@cache
def library() -> tuple[Report, ...]:
    """Every saved report, in the library's order."""
    entries = tomllib.loads((LIBRARY / "library.toml").read_text(encoding="utf-8"))
    return tuple(
        Report(
            report_id=report_id,
            title=entry["title"],
            question=entry["question"],
            keywords=frozenset(_stem(k) for k in entry["keywords"]),
            params=dict(entry.get("params", {})),
            chart=Chart(**entry.get("chart", {"kind": "none"})),
            sql=(LIBRARY / f"{report_id}.sql").read_text(encoding="utf-8"),
        )
        for report_id, entry in entries.items()
    )


@cache
def _keyword_weights() -> dict[str, float]:
    """A keyword that only one report has says more than one many reports share: 1 / reports."""
    counts: dict[str, int] = {}
    for item in library():
        for keyword in item.keywords:
            counts[keyword] = counts.get(keyword, 0) + 1
    return {keyword: 1.0 / count for keyword, count in counts.items()}


def report(report_id: str) -> Report:
    """The report called ``report_id``; ``KeyError`` naming the known ids when there is none."""
    for item in library():
        if item.report_id == report_id:
            return item
    known = ", ".join(r.report_id for r in library())
    raise KeyError(f"no saved report {report_id!r}; the reports are: {known}")


def offered(allowed_views: frozenset[str]) -> list[Report]:
    """The reports a role that may read ``allowed_views`` may run."""
    out = []
    for item in library():
        try:
            check_query(item.sql, allowed_views)
        except QueryRefusedError:
            continue
        out.append(item)
    return out


def match(question: str, allowed_views: frozenset[str], *, limit: int = 5) -> list[Match]:
    """The offered reports whose keywords occur in ``question``, best first (keywords weighted
    by how few reports share them), with parameters filled from it."""
    # the words that set a period or a route ("last 14 days", "route 3") do not pick a report
    plain = _ROUTE.sub(" ", _DAYS.sub(" ", question.lower()))
    words = {_stem(w) for w in _WORD.findall(plain)}
    weights = _keyword_weights()
    named = _QUOTED.search(question) is not None  # a name in quotes: a report that takes one
    scored = [
        (
            sum(weights[k] for k in item.keywords & words)
            + (1.5 if named and "product" in item.params else 0.0),
            i,
            item,
        )
        for i, item in enumerate(offered(allowed_views))
    ]
    ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
    return [Match(item, score, fill_params(item, question)) for score, _, item in ranked[:limit]]


def fill_params(item: Report, question: str) -> dict[str, Any]:
    """``item``'s parameters: its defaults, overridden by what ``question`` says."""
    text = question.lower()
    params = dict(item.params)
    if "days" in params:
        if found := _DAYS.search(text):
            params["days"] = min(int(found.group(1)) * _PERIOD.get(found.group(2), 1), MAX_DAYS)
        else:
            for word, days in _PERIOD.items():
                if re.search(rf"\b(?:last|past|this|previous)\s+{word}\b", text):
                    params["days"] = days
                    break
            if re.search(r"\b(?:yesterday|today)\b", text):
                params["days"] = 1
    if "limit" in params and (found := _LIMIT.search(text)):
        params["limit"] = max(1, min(int(found.group(1)), MAX_LIMIT))
    if "route" in params and (found := _ROUTE.search(question)):
        params["route"] = found.group(1)
    if "product" in params and (found := _QUOTED.search(question)):
        params["product"] = found.group(1).strip()
    return params


def with_params(item: Report, params: dict[str, Any]) -> Match:
    """``item`` with ``params`` (checked against its defaults' names and types)."""
    filled = dict(item.params)
    for name, value in params.items():
        if name not in filled:
            raise ValueError(f"report {item.report_id} has no parameter {name!r}")
        default = filled[name]
        if isinstance(default, int):
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"parameter {name} must be a whole number, not {value!r}"
                ) from None
            ceiling = MAX_DAYS if name == "days" else MAX_LIMIT
            if not 1 <= number <= ceiling:
                raise ValueError(f"parameter {name} must lie between 1 and {ceiling}")
            filled[name] = number
        else:
            filled[name] = str(value).strip()[:100]
    return Match(item, 0, filled)


def query_params(match_: Match) -> dict[str, Any]:
    """The values bound to the report's ``$`` parameters (an empty text means "any")."""
    return {name: (value if value != "" else None) for name, value in match_.params.items()}


def _stem(word: str) -> str:
    """A crude stem so "machines"/"machine" and "stockouts"/"stockout" meet."""
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
