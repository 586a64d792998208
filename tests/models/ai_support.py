"""A hand-written cabinet, its optimiser proposal, and a recording fake of the API transport.

Only the Anthropic API is faked, at its HTTP transport (``httpx2.MockTransport``); the SDK, the
retries, the parsing and everything of ours run for real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import httpx2

from models.ai.config import AIConfig
from models.planogram.types import (
    CabinetContext,
    CandidateProduct,
    Constraints,
    Proposal,
    SlotAssignment,
    SlotInfo,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ai"
MODEL = "claude-sonnet-4-6"


def fixture(name: str) -> dict[str, Any]:
    """A recorded answer (JSON shaped like a Messages API response)."""
    return json.loads((FIXTURES / name).read_text())


def ai_config(*, api_key: str | None = "test", model: str = MODEL, **limits: Any) -> AIConfig:
    """The reviewer's config with a (fake) key, as an edge would build it."""
    return AIConfig(api_key=api_key, model=model, **limits)


def cabinet() -> CabinetContext:
    """Five slots (two M, two S, one L), six candidates without substitutes, weekly visits."""
    return CabinetContext(
        machine_serial="KIK20000123",
        asset_number="A00007",
        cabinet_index=1,
        slots=(
            SlotInfo("A1", "111", "M", "P01", 10, 9),
            SlotInfo("A2", "112", "M", "P02", 10, 9),
            SlotInfo("A3", "113", "S", "P03", 15, 13),
            SlotInfo("A4", "114", "S", "P04", 15, 13),
            SlotInfo("B1", "121", "L", "P06", 7, 6),
        ),
        candidates=(
            CandidateProduct("P01", "Cola 330ml", "Drinks", "M", 200, 80, 3.0, "forecast"),
            CandidateProduct("P02", "Still Water 500ml", "Drinks", "M", 150, 40, 1.0, "forecast"),
            CandidateProduct("P03", "Sea Salt Crisps", "Snacks", "S", 120, 50, 2.5, "forecast"),
            CandidateProduct("P04", "Pretzels", "Snacks", "S", 130, 55, 0.3, "forecast"),
            CandidateProduct("P05", "Milk Chocolate", "Candy", "S", 110, 45, 1.8, "forecast"),
            CandidateProduct("P06", "Turkey Sandwich", "Fresh", "L", 450, 250, 0.8, "borrowed"),
        ),
        service_interval_days=7.0,
        constraints=Constraints(
            core_products=frozenset({"P01"}), required_categories=frozenset({"Drinks", "Snacks"})
        ),
    )


def proposal() -> Proposal:
    """The optimiser's (hand-written) proposal: a second cola facing, chocolate for pretzels."""
    return Proposal(
        machine_serial="KIK20000123",
        cabinet_index=1,
        assignments=(
            SlotAssignment("A1", "111", "P01", 10, 9, 10.4, 2080.0, "Cola sells out; two facings."),
            SlotAssignment("A2", "112", "P01", 10, 9, 10.4, 2080.0, "Second cola facing."),
            SlotAssignment("A3", "113", "P03", 15, 13, 12.9, 1548.0, "Crisps stay."),
            SlotAssignment("A4", "114", "P05", 15, 13, 11.8, 1298.0, "Chocolate for pretzels."),
            SlotAssignment("B1", "121", "P06", 7, 6, 5.4, 2430.0, "Sandwich stays."),
        ),
        current_weekly_units=30.0,
        current_weekly_revenue_cents=5000.0,
        model_version="fc-test",
    )


class FakeAPI:
    """The transport: answers each request with the next scripted reply and records the request.

    A reply is ``(status, body)``, ``(status, body, headers)``, or an exception instance to raise.
    """

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        status, body, *rest = reply
        headers = {"request-id": f"req_test_{len(self.requests)}", **(rest[0] if rest else {})}
        return httpx2.Response(status, json=body, headers=headers)

    def body(self, i: int = 0) -> dict[str, Any]:
        """The JSON body of the ``i``-th request sent."""
        return json.loads(self.requests[i].content)

    def client(self) -> anthropic.Anthropic:
        """A real SDK client whose HTTP goes to this fake."""
        http = anthropic.DefaultHttpxClient(transport=httpx2.MockTransport(self))
        return anthropic.Anthropic(api_key="test", http_client=http, max_retries=0)


def timeout_error() -> Exception:
    """What httpx2 raises when the server does not answer in time."""
    return httpx2.ReadTimeout("timed out")
