"""One call to the Messages API, with every way it can end turned into an outcome.

The SDK retries timeouts, 429, 529 and other 5xx itself (``max_retries``, exponential back-off,
``retry-after`` honoured); what still fails after that becomes ``timeout`` or ``error`` here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anthropic

from models.ai.config import AIConfig


@dataclass(frozen=True)
class CallOutcome:
    """What one call produced: a message, or the status it failed with."""

    status: str  # "answered" | "timeout" | "error"
    latency_s: float
    message: Any | None = None  # anthropic.types.Message when answered
    detail: str = ""
    request_id: str | None = None


def make_client(api_key: str) -> anthropic.Anthropic:
    """A client for the real API (timeouts and retries are applied per call from the config)."""
    return anthropic.Anthropic(api_key=api_key)


def call_messages(
    client: anthropic.Anthropic, request: dict[str, Any], config: AIConfig
) -> CallOutcome:
    """Send ``request``; never raises for API, network or timeout failures."""
    configured = client.with_options(timeout=config.timeout_s, max_retries=config.max_retries)
    started = time.perf_counter()
    try:
        message = configured.messages.create(**request)
    except anthropic.APITimeoutError as exc:
        return CallOutcome("timeout", time.perf_counter() - started, detail=_describe(exc))
    except anthropic.APIStatusError as exc:
        return CallOutcome(
            "error",
            time.perf_counter() - started,
            detail=f"HTTP {exc.status_code} {exc.type}: {exc.api_message or exc.message}",
            request_id=exc.request_id,
        )
    except anthropic.APIConnectionError as exc:
        return CallOutcome("error", time.perf_counter() - started, detail=_describe(exc))
    except anthropic.APIResponseValidationError as exc:
        return CallOutcome("error", time.perf_counter() - started, detail=_describe(exc))
    latency = time.perf_counter() - started
    return CallOutcome(
        "answered", latency, message=message, request_id=getattr(message, "_request_id", None)
    )


def _describe(exc: Exception) -> str:
    cause = exc.__cause__
    return f"{type(exc).__name__}" + (f" ({type(cause).__name__})" if cause is not None else "")
