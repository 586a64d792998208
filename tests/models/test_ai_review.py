"""refine(): the AI reviewer against recorded Messages API answers, through the real SDK."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from scipy.stats import poisson

from models.ai import review
from models.ai.config import AIConfig
from models.ai.usage import UsageLedger
from models.planogram.optimise import optimise
from tests.models.ai_support import (
    MODEL,
    FakeAPI,
    ai_config,
    cabinet,
    fixture,
    proposal,
    timeout_error,
)

CONFIG = ai_config(enabled=None, timeout_s=5.0, max_retries=0)
FAST_RETRY = {"retry-after-ms": "1"}  # the API's own header; keeps retry tests fast


def _refine(api: FakeAPI, tmp_path, config: AIConfig = CONFIG, ledger=None, **kw):
    return review.refine(
        cabinet(), proposal(), dataclasses.replace(config, **kw), client=api.client(),
        ledger=ledger,
    )  # fmt: skip


def _poisson_min(mu: float, stock: int) -> float:
    """E[min(N, stock)], N ~ Poisson(mu), by summation (independent of the code's formula)."""
    return sum(min(k, stock) * poisson.pmf(k, mu) for k in range(400))


def test_good_answer_is_validated_and_applied_with_the_optimisers_expectation(tmp_path):
    api = FakeAPI((200, fixture("refine_ok.json")))
    ledger = UsageLedger()
    result = _refine(api, tmp_path, ledger=ledger)

    assert (result.source, result.ai_status) == ("ai", "ok")
    assert result.ai_model == "claude-sonnet-4-6"  # the model that answered
    assert result.summary.startswith("The optimiser's plan is kept except")
    by_slot = {a.slot: a for a in result.assignments}
    assert [a.slot for a in result.assignments] == ["A1", "A2", "A3", "A4", "B1"]
    assert (by_slot["A2"].product_id, by_slot["A2"].capacity, by_slot["A2"].par_level) == (
        "P02", 10, 8,
    )  # fmt: skip
    assert by_slot["A2"].selection == "112"
    assert "only still drink" in by_slot["A2"].reason
    # No substitutes among the candidates and one 7-day interval: the optimiser's model reduces
    # to E[min(Poisson(7·rate), par)] per product, computed here by summation.
    expected = {
        "A1": (_poisson_min(21.0, 9), 200),
        "A2": (_poisson_min(7.0, 8), 150),
        "A3": (_poisson_min(17.5, 13), 120),
        "A4": (_poisson_min(12.6, 13), 110),
        "B1": (_poisson_min(5.6, 6), 450),
    }
    for slot, (units, price) in expected.items():
        assert by_slot[slot].expected_weekly_units == pytest.approx(units, rel=1e-9), slot
        assert by_slot[slot].expected_weekly_revenue_cents == pytest.approx(units * price), slot
    # untouched: what the optimiser said about today
    assert result.current_weekly_units == 30.0
    assert result.model_version == "fc-test"
    assert [c.status for c in ledger.calls] == ["ok"]


def test_request_carries_the_schema_the_cache_breakpoint_and_the_cabinet(tmp_path):
    api = FakeAPI((200, fixture("refine_ok.json")))
    _refine(api, tmp_path, model="claude-haiku-4-5")

    request = api.requests[0]
    assert request.url.path == "/v1/messages"
    assert request.headers["authorization"] == "Bearer test"
    body = api.body()
    assert body["model"] == "claude-haiku-4-5"
    tool = body["tools"][0]
    assert body["tool_choice"]["type"] == "tool" and body["tool_choice"]["name"] == tool["name"]
    schema = tool["input_schema"]
    assert schema["required"] == ["summary", "slots"]
    assert set(schema["properties"]["slots"]["items"]["required"]) == {
        "slot", "product_id", "capacity", "par_level", "reason",
    }  # fmt: skip
    # the static part (tools, then system) ends in a cache breakpoint; the cabinet's data does not
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "par" in body["system"][-1]["text"].lower()
    user_blocks = body["messages"][0]["content"]
    assert all("cache_control" not in block for block in user_blocks)
    text = user_blocks[0]["text"]
    for needle in ('"slot":"B1"', '"product_id":"P05"', '"daily_demand":1.8', "KIK20000123",
                   '"core_products":["P01"]', '"price_cents":450'):  # fmt: skip
        assert needle in text
    # the cabinet's data is not part of the cached prefix
    assert "KIK20000123" not in body["system"][-1]["text"]


def test_refusal_keeps_the_optimisers_proposal(tmp_path):
    ledger = UsageLedger()
    result = _refine(FakeAPI((200, fixture("refusal.json"))), tmp_path, ledger=ledger)
    assert (result.source, result.ai_status) == ("optimiser", "refused")
    assert result.assignments == proposal().assignments
    assert ledger.calls[0].output_tokens == 5  # a refusal is still billed


def test_timeout_is_retried_then_reported(tmp_path):
    api = FakeAPI(timeout_error())
    config = ai_config(timeout_s=5.0, max_retries=1)
    ledger = UsageLedger()
    result = _refine(api, tmp_path, config=config, ledger=ledger)
    assert (result.source, result.ai_status, result.ai_model) == ("optimiser", "timeout", MODEL)
    assert len(api.requests) == 2  # first try + one retry
    assert result.assignments == proposal().assignments
    assert ledger.calls[0].input_tokens == 0 and ledger.calls[0].cost_usd == 0.0


def test_overloaded_529_is_retried_then_an_error(tmp_path):
    api = FakeAPI((529, fixture("overloaded_529.json"), FAST_RETRY))
    ledger = UsageLedger()
    result = _refine(api, tmp_path, config=ai_config(max_retries=2), ledger=ledger)
    assert (result.source, result.ai_status) == ("optimiser", "error")
    assert len(api.requests) == 3
    assert [r.headers.get("x-stainless-retry-count") for r in api.requests] == ["0", "1", "2"]
    assert "529" in ledger.calls[0].detail and "overloaded_error" in ledger.calls[0].detail


def test_overloaded_529_then_success_is_applied(tmp_path):
    api = FakeAPI(
        (529, fixture("overloaded_529.json"), FAST_RETRY), (200, fixture("refine_ok.json"))
    )
    result = _refine(api, tmp_path, config=ai_config(max_retries=2))
    assert (result.source, result.ai_status) == ("ai", "ok")
    assert len(api.requests) == 2


@pytest.mark.parametrize("name", ["malformed_schema.json", "malformed_text_only.json"])
def test_malformed_answer_is_invalid(tmp_path, caplog, name):
    caplog.set_level(logging.INFO, logger="cvd.models.ai")
    result = _refine(FakeAPI((200, fixture(name))), tmp_path)
    assert (result.source, result.ai_status) == ("optimiser", "invalid")
    assert result.assignments == proposal().assignments
    assert "malformed" in caplog.text


def test_answer_cut_at_max_tokens_is_invalid(tmp_path):
    answer = fixture("refine_ok.json") | {"stop_reason": "max_tokens"}
    ledger = UsageLedger()
    result = _refine(FakeAPI((200, answer)), tmp_path, ledger=ledger)
    assert (result.source, result.ai_status) == ("optimiser", "invalid")
    assert "max_tokens" in ledger.calls[0].detail


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("invalid_unknown_slot.json", "slot Z9: not in this cabinet"),
        ("invalid_par_over_capacity.json", "slot A2: par level 12 outside 1..capacity 10"),
        ("invalid_unknown_product.json", "slot A4: product P99 is not a candidate"),
    ],
)
def test_answer_breaking_a_rule_is_invalid_and_the_problem_logged(tmp_path, caplog, name, problem):
    caplog.set_level(logging.INFO, logger="cvd.models.ai")
    ledger = UsageLedger()
    result = _refine(FakeAPI((200, fixture(name))), tmp_path, ledger=ledger)
    assert (result.source, result.ai_status) == ("optimiser", "invalid")
    assert result.assignments == proposal().assignments
    assert problem in caplog.text
    assert problem in ledger.calls[0].detail


def test_no_key_and_switched_off_never_call(tmp_path):
    api = FakeAPI((200, fixture("refine_ok.json")))
    no_key = _refine(api, tmp_path, api_key=None)
    off = _refine(api, tmp_path, config=ai_config(enabled=False))
    assert (no_key.ai_status, no_key.source, no_key.ai_model) == ("no_key", "optimiser", None)
    assert (off.ai_status, off.source) == ("disabled", "optimiser")
    assert api.requests == []


def test_log_line_names_machine_cabinet_model_status_tokens_cost(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="cvd.models.ai")
    _refine(FakeAPI((200, fixture("refine_ok.json"))), tmp_path)
    [line] = [r for r in caplog.records if hasattr(r, "ai_call")]
    fields = line.ai_call
    assert fields["machine"] == "KIK20000123" and fields["cabinet"] == 1
    assert fields["model"] == "claude-sonnet-4-6" and fields["status"] == "ok"
    assert (fields["input_tokens"], fields["output_tokens"]) == (1234, 456)
    assert (fields["cache_read_tokens"], fields["cache_write_tokens"]) == (1500, 0)
    # 1234 × $3 + 456 × $15 + 1500 × $0.30 per million tokens = $0.010992
    assert fields["cost_usd"] == "0.010992"


def test_only_the_three_strongest_substitutes_are_sent(tmp_path):
    ctx = cabinet()
    shares = {"P02": 0.05, "P03": 0.30, "P04": 0.10, "P05": 0.20, "P06": 0.01}
    cola = dataclasses.replace(ctx.candidates[0], substitutes=shares)
    ctx = dataclasses.replace(ctx, candidates=(cola, *ctx.candidates[1:]))
    api = FakeAPI((200, fixture("refine_ok.json")))
    review.refine(ctx, proposal(), CONFIG, client=api.client())
    sent = json.loads(api.body()["messages"][0]["content"][0]["text"])
    assert sent["candidates"][0]["substitutes"] == {"P03": 0.3, "P05": 0.2, "P04": 0.1}


def test_keeping_the_optimisers_plan_keeps_its_figures(tmp_path):
    """AI figures come from the optimiser's model: an answer that changes nothing reproduces the
    optimiser's own expected units and revenue for every slot."""
    ctx = cabinet()
    planned = optimise(ctx, model_version="fc-test")
    answer = fixture("refine_ok.json")
    answer["content"][0]["input"]["slots"] = [
        {"slot": a.slot, "product_id": a.product_id, "capacity": a.capacity,
         "par_level": a.par_level, "reason": "Unchanged."}
        for a in planned.assignments
    ]  # fmt: skip
    result = review.refine(ctx, planned, CONFIG, client=FakeAPI((200, answer)).client())
    assert result.ai_status == "ok"
    for ours, theirs in zip(result.assignments, planned.assignments, strict=True):
        assert ours.expected_weekly_units == pytest.approx(theirs.expected_weekly_units)
        assert ours.expected_weekly_revenue_cents == pytest.approx(
            theirs.expected_weekly_revenue_cents
        )


def test_a_slot_whose_planogram_lags_is_sent_with_the_product_the_machine_holds(tmp_path):
    """Issue 19: where DEX reports P05 in A4 and the planogram still names P04, keeping P05 (what
    the hand-written proposal does) is a record, not a swap: the reviewer is told the slot holds
    P05 now, and that the planogram names P04."""
    ctx = cabinet()
    lagging = dataclasses.replace(ctx.slots[3], dex_product_id="P05")
    agreeing = dataclasses.replace(ctx.slots[0], dex_product_id="P01")
    ctx = dataclasses.replace(ctx, slots=(agreeing, *ctx.slots[1:3], lagging, ctx.slots[4]))
    api = FakeAPI((200, fixture("refine_ok.json")))
    review.refine(ctx, proposal(), CONFIG, client=api.client())
    sent = json.loads(api.body()["messages"][0]["content"][0]["text"])
    slots = {s["slot"]: s for s in sent["slots"]}
    assert (
        slots["A4"]["current_product_id"]
        == "P05"
        == sent["proposal"]["assignments"][3]["product_id"]
    )
    assert slots["A4"]["planogram_product_id"] == "P04"
    assert slots["A1"]["current_product_id"] == "P01" and "planogram_product_id" not in slots["A1"]
    assert "planogram_product_id" not in slots["B1"]
    assert "not a swap" in api.body()["system"][-1]["text"]
