"""``refine``: the optimiser's proposal, reviewed and explained by Claude when that works.

Whatever goes wrong, the optimiser's proposal stands and ``ai_status`` says why: ``no_key``,
``disabled``, ``timeout``, ``error`` (HTTP or network failure after the SDK's retries),
``refused`` (stop_reason "refusal"), ``invalid`` (no tool call, a malformed input, or an answer
that breaks the cabinet's rules; the problems are logged). ``ok`` means the answer was validated
and applied: ``source="ai"``.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import anthropic

from models.ai.client import CallOutcome, call_messages, make_client
from models.ai.config import AIConfig
from models.ai.expectation import ExpectFn, Layout, expect_by_slot
from models.ai.prompt import build_request
from models.ai.schema import TOOL_NAME, MalformedAnswerError, Review, parse_review
from models.ai.usage import CallIds, CallUsage, UsageLedger, log_call, usage_from_response
from models.ai.validation import validate
from models.planogram.types import CabinetContext, Proposal, SlotAssignment

log = logging.getLogger("cvd.models.ai")


def refine(
    context: CabinetContext,
    proposal: Proposal,
    config: AIConfig,
    *,
    client: anthropic.Anthropic | None = None,
    ledger: UsageLedger | None = None,
    expect: ExpectFn | None = None,
) -> Proposal:
    """Ask Claude to review ``proposal``; return the refined proposal or the original with a status.

    ``config`` carries the key, the model, the switch and the limits (built by the caller);
    ``client`` defaults to one built from ``config.api_key``; ``expect`` to the optimiser's model
    (``expect_by_slot``). Every call is added to ``ledger``.
    """
    if not config.api_key:
        return dataclasses.replace(proposal, ai_status="no_key", ai_model=None)
    if config.enabled is False:
        return dataclasses.replace(proposal, ai_status="disabled", ai_model=None)

    model = config.model
    request = build_request(context, proposal, model=model, max_tokens=config.max_tokens)
    outcome = call_messages(client or make_client(config.api_key), request, config)
    result, call = _conclude(context, proposal, outcome, model, expect)
    log_call(call)
    if ledger is not None:
        ledger.record(call)
    return result


def _conclude(
    context: CabinetContext,
    proposal: Proposal,
    outcome: CallOutcome,
    model: str,
    expect: ExpectFn | None,
) -> tuple[Proposal, CallUsage]:
    ids: CallIds = {
        "machine_serial": context.machine_serial,
        "cabinet_index": context.cabinet_index,
    }
    if outcome.message is None:
        call = CallUsage(
            **ids,
            model=model,
            status=outcome.status,
            latency_s=outcome.latency_s,
            request_id=outcome.request_id,
            detail=outcome.detail,
        )
        return dataclasses.replace(proposal, ai_status=outcome.status, ai_model=model), call

    message = outcome.message
    status, detail, refined = "ok", "", None
    if message.stop_reason == "refusal":
        status, detail = "refused", _refusal_detail(message)
    else:
        try:
            review = parse_review(_tool_input(message))
        except MalformedAnswerError as exc:
            status, detail = "invalid", f"malformed: {exc}"
        else:
            problems = validate(context, review)
            if problems:
                status, detail = "invalid", "; ".join(problems)
            else:
                refined = _apply(context, proposal, review, message.model or model, expect)
    call = usage_from_response(
        message.usage,
        **ids,
        model=message.model or model,
        status=status,
        latency_s=outcome.latency_s,
        request_id=outcome.request_id,
        detail=detail,
    )
    if refined is None:
        refined = dataclasses.replace(proposal, ai_status=status, ai_model=message.model or model)
    return refined, call


def _tool_input(message: Any) -> object:
    calls = [b for b in message.content if b.type == "tool_use" and b.name == TOOL_NAME]
    if message.stop_reason == "max_tokens":
        raise MalformedAnswerError("answer cut off at max_tokens")
    if len(calls) != 1:
        raise MalformedAnswerError(f"expected one {TOOL_NAME} call, got {len(calls)}")
    return calls[0].input


def _refusal_detail(message: Any) -> str:
    details = getattr(message, "stop_details", None)
    if details is None:
        return "refusal"
    return f"refusal category={details.category} {details.explanation or ''}".strip()


def _apply(
    context: CabinetContext, proposal: Proposal, review: Review, model: str, expect: ExpectFn | None
) -> Proposal:
    before = {a.slot: a for a in proposal.assignments}
    layout: Layout = {d.slot: (d.product_id, d.capacity, d.par_level) for d in review.slots}
    figures = dict((expect or expect_by_slot)(context, layout))
    selection = {s.slot: s.selection for s in context.slots}
    assignments = tuple(
        SlotAssignment(
            slot=slot.slot,
            selection=selection[slot.slot],
            product_id=d.product_id,
            capacity=d.capacity,
            par_level=d.par_level,
            expected_weekly_units=float(figures[slot.slot][0]),
            expected_weekly_revenue_cents=float(figures[slot.slot][1]),
            reason=d.reason,
        )
        for slot in context.slots
        for d in review.slots
        if d.slot == slot.slot
    )
    changed = sum(
        1
        for d in review.slots
        if _key(before.get(d.slot)) != (d.product_id, d.capacity, d.par_level)
    )
    log.info(
        "ai_review applied machine=%s cabinet=%s slots_changed=%d",
        context.machine_serial,
        context.cabinet_index,
        changed,
    )
    return dataclasses.replace(
        proposal,
        assignments=assignments,
        source="ai",
        summary=review.summary,
        ai_status="ok",
        ai_model=model,
    )


def _key(assignment: SlotAssignment | None) -> tuple[str, int, int] | None:
    if assignment is None:
        return None
    return (assignment.product_id, assignment.capacity, assignment.par_level)
