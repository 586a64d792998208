"""What the AI reviewer needs to call the API: key, model, switch and limits, as one value.

The reviewer reads no environment: the edge that runs it (the recommendation asset, a test)
builds an :class:`AIConfig` (``orchestration.settings.load_ai_config`` reads ``ANTHROPIC_API_KEY``,
``CVD_AI_MODEL`` and ``CVD_AI_*``) and passes it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_MODEL = "claude-sonnet-4-6"
DEFAULT_TIMEOUT_S = 120.0  # a 54-slot answer is ~3,000 output tokens
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_TOKENS = 8192


@dataclass(frozen=True)
class AIConfig:
    """How the reviewer calls the API. No ``api_key``: it never calls (``no_key``);
    ``enabled=None`` means on when a key is set."""

    api_key: str | None = field(default=None, repr=False)  # never in a log line
    model: str = DEFAULT_MODEL
    enabled: bool | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    max_tokens: int = DEFAULT_MAX_TOKENS
