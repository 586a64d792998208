"""Plain-JSON views of parse results, with the stable snake_case keys of docs/dex-json.md.

Money is written as a decimal string (``"1.25"``) so no float ever rounds a cent; times are
ISO 8601 without a zone (the machine's clock); missing fields are ``null``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

from evadts.model import ParseResult, Problem, Read

SCHEMA_VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """A problem as a JSON object."""
    return _plain(problem)


def read_to_dict(read: Read, *, include_segments: bool = False) -> dict[str, Any]:
    """A read as a JSON object; raw segments only when asked (they repeat the file)."""
    out: dict[str, Any] = {
        "index": read.index,
        "first_line": read.first_line,
        "last_line": read.last_line,
        "usable": read.usable,
        "machine": _plain(read.machine),
        "dts_version": read.dts_version,
        "read_at": _plain(read.read_at),
        "read_at_source": read.read_at_source,
        "previous_read_at": _plain(read.previous_read_at),
        "init_at": _plain(read.init_at),
        "currency": _plain(read.currency),
        "integrity": _plain(read.integrity),
        "totals": _plain(read.totals),
        "cash": _plain(read.cash),
        "selections": [{**_plain(s), "interval_only": s.interval_only} for s in read.selections],
        "price_lists": _plain(read.price_lists),
        "events": _plain(read.events),
        "audit": _plain(read.audit),
        "problems": [problem_to_dict(p) for p in read.problems],
    }
    if include_segments:
        out["segments"] = [
            {"line": s.line, "id": s.id, "elements": list(s.elements)} for s in read.segments
        ]
    return out


def result_to_dict(result: ParseResult, *, include_segments: bool = False) -> dict[str, Any]:
    """One file's result: ``{"source", "usable", "reads": [...], "problems": [...]}``.

    ``problems`` lists every problem of the file in line order (file-level ones and each
    read's); each read also carries its own under ``reads[i].problems``.
    """
    return {
        "source": result.source,
        "usable": result.usable,
        "reads": [read_to_dict(r, include_segments=include_segments) for r in result.reads],
        "problems": [problem_to_dict(p) for p in result.problems],
    }
