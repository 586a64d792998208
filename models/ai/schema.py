"""The answer's shape: the tool Claude must call, its JSON schema, and a strict parser for it.

The parser checks shape only (fields, types); whether the answer respects the cabinet's rules is
:mod:`models.ai.validation`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOOL_NAME = "submit_planogram_review"
EMPTY_SLOT = ""  # the product_id of a slot left empty (as the optimiser leaves one)

REVIEW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["summary", "slots"],
    "properties": {
        "summary": {
            "type": "string",
            "description": "Two to five sentences for the manager: what changes in this cabinet "
            "and why, and what the expected effect is. Plain language, no jargon.",
        },
        "slots": {
            "type": "array",
            "description": "Every slot of the cabinet exactly once, in any order.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["slot", "product_id", "capacity", "par_level", "reason"],
                "properties": {
                    "slot": {"type": "string", "description": "Slot position, e.g. A1."},
                    "product_id": {
                        "type": "string",
                        "description": 'A candidate\'s product_id, or "" to leave the slot '
                        "empty (then capacity and par_level are 0).",
                    },
                    "capacity": {"type": "integer", "description": "Units the slot holds."},
                    "par_level": {"type": "integer", "description": "Fill-to level, ≤ capacity."},
                    "reason": {
                        "type": "string",
                        "description": "One sentence a manager understands: why this product, "
                        "capacity and par in this slot (say 'unchanged' and why when kept).",
                    },
                },
            },
        },
    },
}

REVIEW_TOOL: dict[str, Any] = {
    "name": TOOL_NAME,
    "description": "Submit the reviewed planogram for one vending-machine cabinet: one entry per "
    "slot with product, capacity, par level and a one-sentence reason, plus a short summary "
    "for the manager. Call it exactly once with the complete cabinet.",
    "input_schema": REVIEW_SCHEMA,
    "strict": True,
}


class MalformedAnswerError(ValueError):
    """The tool input does not match :data:`REVIEW_SCHEMA`; the message names the field."""


@dataclass(frozen=True)
class SlotDecision:
    """One slot as the reviewer wants it."""

    slot: str
    product_id: str
    capacity: int
    par_level: int
    reason: str


@dataclass(frozen=True)
class Review:
    """The reviewer's whole answer for a cabinet."""

    summary: str
    slots: tuple[SlotDecision, ...]


_SLOT_FIELDS: dict[str, type] = {
    "slot": str,
    "product_id": str,
    "capacity": int,
    "par_level": int,
    "reason": str,
}


def parse_review(tool_input: object) -> Review:
    """``tool_input`` checked against the schema and typed; :class:`MalformedAnswerError` if not."""
    if not isinstance(tool_input, dict):
        raise MalformedAnswerError(f"input: expected an object, got {type(tool_input).__name__}")
    _exact_keys("input", tool_input, {"summary", "slots"})
    summary = _typed("input.summary", tool_input["summary"], str)
    slots = tool_input["slots"]
    if not isinstance(slots, list):
        raise MalformedAnswerError(f"input.slots: expected an array, got {type(slots).__name__}")
    decisions = []
    for i, item in enumerate(slots):
        where = f"input.slots[{i}]"
        if not isinstance(item, dict):
            raise MalformedAnswerError(f"{where}: expected an object, got {type(item).__name__}")
        _exact_keys(where, item, set(_SLOT_FIELDS))
        values = {
            k: _typed(f"{where}.{k}", item[k], kind, allow_empty=k == "product_id")
            for k, kind in _SLOT_FIELDS.items()
        }
        decisions.append(SlotDecision(**values))
    return Review(summary=summary, slots=tuple(decisions))


def _exact_keys(where: str, obj: dict[str, Any], expected: set[str]) -> None:
    missing = expected - obj.keys()
    extra = obj.keys() - expected
    if missing:
        raise MalformedAnswerError(f"{where}: missing {sorted(missing)}")
    if extra:
        raise MalformedAnswerError(f"{where}: unexpected {sorted(extra)}")


def _typed(where: str, value: object, kind: type, *, allow_empty: bool = False) -> Any:
    # bool is an int in Python, not in JSON
    if isinstance(value, bool) or not isinstance(value, kind):
        raise MalformedAnswerError(f"{where}: expected {kind.__name__}, got {value!r}")
    if isinstance(value, str) and not allow_empty and not value.strip():  # kind is str
        raise MalformedAnswerError(f"{where}: empty text")
    return value
