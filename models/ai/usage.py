"""Token, cost and latency accounting per call, summed per run by a :class:`UsageLedger`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, TypedDict

from models.ai.pricing import cost_usd

log = logging.getLogger("cvd.models.ai")


class CallIds(TypedDict):
    """Which cabinet a call was about (the first fields of :class:`CallUsage`)."""

    machine_serial: str
    cabinet_index: int


class TokenCounts(TypedDict):
    """The token counts of one call, as :class:`CallUsage` and the price table name them."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int


@dataclass(frozen=True)
class CallUsage:
    """One API call (all its SDK retries included) for one cabinet."""

    machine_serial: str
    cabinet_index: int
    model: str
    status: str  # the ai_status it led to
    input_tokens: int = 0  # uncached input
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = 0.0  # None: the model is not in the price table
    latency_s: float = 0.0
    request_id: str | None = None
    detail: str = ""

    def log_fields(self) -> dict[str, Any]:
        """The fields of the structured log line, in a stable order."""
        return {
            "machine": self.machine_serial,
            "cabinet": self.cabinet_index,
            "model": self.model,
            "status": self.status,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cost_usd": "unpriced" if self.cost_usd is None else f"{self.cost_usd:.6f}",
            "latency_s": f"{self.latency_s:.3f}",
            "request_id": self.request_id or "",
        }


def usage_from_response(
    usage: Any, *, machine_serial: str, cabinet_index: int, model: str, status: str, **extra: Any
) -> CallUsage:
    """A :class:`CallUsage` from the SDK's ``message.usage`` (cache counts may be absent)."""
    counts: TokenCounts = {
        "input_tokens": usage.input_tokens or 0,
        "output_tokens": usage.output_tokens or 0,
        "cache_read_tokens": usage.cache_read_input_tokens or 0,
        "cache_write_tokens": usage.cache_creation_input_tokens or 0,
    }
    return CallUsage(
        machine_serial=machine_serial,
        cabinet_index=cabinet_index,
        model=model,
        status=status,
        cost_usd=cost_usd(model, **counts),
        **counts,
        **extra,
    )


def log_call(call: CallUsage) -> None:
    """One structured line per call: what happened to which machine and cabinet, at what cost."""
    fields = call.log_fields()
    line = " ".join(f"{key}={value}" for key, value in fields.items())
    if call.detail:
        line += f" detail={call.detail!r}"
    level = logging.INFO if call.status == "ok" else logging.WARNING
    log.log(level, "ai_review %s", line, extra={"ai_call": fields})


@dataclass
class UsageLedger:
    """Every call of a run, and their sums."""

    calls: list[CallUsage] = field(default_factory=list)

    def record(self, call: CallUsage) -> None:
        """Add one call."""
        self.calls.append(call)

    @property
    def input_tokens(self) -> int:
        """Uncached input tokens, summed."""
        return sum(c.input_tokens for c in self.calls)

    @property
    def output_tokens(self) -> int:
        """Output tokens, summed."""
        return sum(c.output_tokens for c in self.calls)

    @property
    def cache_read_tokens(self) -> int:
        """Input tokens read from the prompt cache, summed."""
        return sum(c.cache_read_tokens for c in self.calls)

    @property
    def cache_write_tokens(self) -> int:
        """Input tokens written to the prompt cache, summed."""
        return sum(c.cache_write_tokens for c in self.calls)

    @property
    def cost_usd(self) -> float:
        """Cost of the priced calls, summed (see :attr:`unpriced_calls`)."""
        return sum(c.cost_usd for c in self.calls if c.cost_usd is not None)

    @property
    def unpriced_calls(self) -> int:
        """Calls to models missing from the price table (their cost is not in :attr:`cost_usd`)."""
        return sum(1 for c in self.calls if c.cost_usd is None)

    @property
    def latency_s(self) -> float:
        """Wall time spent waiting for the API, summed."""
        return sum(c.latency_s for c in self.calls)

    def by_status(self) -> dict[str, int]:
        """How many calls ended in each ai_status."""
        counts: dict[str, int] = {}
        for call in self.calls:
            counts[call.status] = counts.get(call.status, 0) + 1
        return counts

    def summary(self) -> dict[str, Any]:
        """The run's totals as plain values (for Dagster metadata or one closing log line)."""
        return {
            "calls": len(self.calls),
            "by_status": self.by_status(),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "unpriced_calls": self.unpriced_calls,
            "latency_s": round(self.latency_s, 3),
        }
