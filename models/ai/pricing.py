"""What a call costs, from its token counts and a price table per model.

ASSUMPTION (read 2026-11-29 from https://platform.claude.com/docs/en/about-claude/pricing and
the models' overview pages, list prices in USD per million tokens, standard tier, 5-minute cache
writes, no ``inference_geo`` surcharge): prices change, so the table is dated, and a model
missing from it is costed as ``None`` ("unpriced"), never guessed. Left out on purpose: Claude
Haiku 5.5 (priced by prompt length) and Claude Opus 5.5 (cache-write price not confirmed).
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-11-29"
_PER_TOKEN = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens."""

    input: float
    output: float
    cache_write: float  # 5-minute cache writes (1.25 × input)
    cache_read: float  # cache hits and refreshes (0.1 × input, less on the newest models)


_FABLE_5_1 = ModelPrice(input=10.0, output=50.0, cache_write=12.50, cache_read=0.25)
_FABLE_5 = ModelPrice(input=10.0, output=50.0, cache_write=12.50, cache_read=1.0)
_SONNET_5_5 = ModelPrice(input=2.0, output=10.0, cache_write=2.50, cache_read=0.10)  # 2026-10-07
_SONNET_5 = ModelPrice(input=2.0, output=10.0, cache_write=2.50, cache_read=0.20)
_SONNET_4 = ModelPrice(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30)
_HAIKU_4_5 = ModelPrice(input=1.0, output=5.0, cache_write=1.25, cache_read=0.10)
_OPUS_4_5 = ModelPrice(input=5.0, output=25.0, cache_write=6.25, cache_read=0.50)
_OPUS_4_1 = ModelPrice(input=15.0, output=75.0, cache_write=18.75, cache_read=1.50)

PRICES: dict[str, ModelPrice] = {
    "claude-fable-5-1": _FABLE_5_1,
    "claude-mythos-5-1": _FABLE_5_1,
    "claude-fable-5": _FABLE_5,
    "claude-mythos-5": _FABLE_5,
    "claude-sonnet-5-5": _SONNET_5_5,
    "claude-sonnet-5": _SONNET_5,
    "claude-sonnet-4-6": _SONNET_4,
    "claude-sonnet-4-5": _SONNET_4,
    "claude-sonnet-4-0": _SONNET_4,
    "claude-haiku-4-5": _HAIKU_4_5,
    "claude-opus-5": _OPUS_4_5,
    "claude-opus-4-8": _OPUS_4_5,
    "claude-opus-4-7": _OPUS_4_5,
    "claude-opus-4-6": _OPUS_4_5,
    "claude-opus-4-5": _OPUS_4_5,
    "claude-opus-4-1": _OPUS_4_1,
}


def price_for(model: str) -> ModelPrice | None:
    """The price of ``model``; a dated id (``claude-sonnet-4-5-20250929``) maps to its alias."""
    if model in PRICES:
        return PRICES[model]
    for alias in sorted(PRICES, key=len, reverse=True):
        suffix = model.removeprefix(alias)
        # only a snapshot date (8 digits) may follow: claude-opus-5-5 is not claude-opus-5
        if suffix != model and len(suffix) == 9 and suffix[0] == "-" and suffix[1:].isdigit():
            return PRICES[alias]
    return None


def cost_usd(
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int,
    cache_write_tokens: int,
) -> float | None:
    """USD for one call; ``input_tokens`` are the uncached ones (the API reports them apart)."""
    price = price_for(model)
    if price is None:
        return None
    return (
        input_tokens * price.input
        + output_tokens * price.output
        + cache_read_tokens * price.cache_read
        + cache_write_tokens * price.cache_write
    ) / _PER_TOKEN
