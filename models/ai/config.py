"""The AI reviewer's switches and limits, read from the environment with safe defaults.

``orchestration.settings.Settings`` carries the key and the model name; the switch, timeout and
retry count are the reviewer's own (``CVD_AI_ENABLED``, ``CVD_AI_TIMEOUT_S``,
``CVD_AI_MAX_RETRIES``, ``CVD_AI_MAX_TOKENS``) and are read here, once, by :func:`load_ai_config`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

DEFAULT_TIMEOUT_S = 120.0  # a 54-slot answer is ~3,000 output tokens
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_TOKENS = 8192
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_Number = TypeVar("_Number", int, float)


class AIConfigError(ValueError):
    """An AI setting in the environment has a value that cannot be used."""


@dataclass(frozen=True)
class AIConfig:
    """How the reviewer calls the API. ``enabled=None`` means: on when a key is set."""

    enabled: bool | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    max_tokens: int = DEFAULT_MAX_TOKENS


def load_ai_config(environ: Mapping[str, str] | None = None) -> AIConfig:
    """Read ``CVD_AI_*`` variables; an unusable value raises :class:`AIConfigError` naming it."""
    env = os.environ if environ is None else environ
    return AIConfig(
        enabled=_switch(env, "CVD_AI_ENABLED"),
        timeout_s=_number(env, "CVD_AI_TIMEOUT_S", DEFAULT_TIMEOUT_S, float, minimum=0.1),
        max_retries=_number(env, "CVD_AI_MAX_RETRIES", DEFAULT_MAX_RETRIES, int, minimum=0),
        max_tokens=_number(env, "CVD_AI_MAX_TOKENS", DEFAULT_MAX_TOKENS, int, minimum=256),
    )


def _switch(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise AIConfigError(f"{name}={env[name]!r}: expected one of {sorted(_TRUE | _FALSE)}")


def _number(
    env: Mapping[str, str],
    name: str,
    default: _Number,
    kind: type[_Number],
    *,
    minimum: _Number,
) -> _Number:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise AIConfigError(f"{name}={raw!r}: expected a {kind.__name__}") from None
    if value < minimum:
        raise AIConfigError(f"{name}={raw!r}: must be at least {minimum}")
    return value
