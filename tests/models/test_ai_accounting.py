"""Cost arithmetic, the run ledger, the AI switches, and the rules applied to an answer."""

from __future__ import annotations

import copy

import pytest

from models.ai import review
from models.ai.config import AIConfig
from models.ai.pricing import cost_usd
from models.ai.schema import parse_review
from models.ai.usage import UsageLedger
from models.ai.validation import validate
from orchestration.settings import Settings, SettingsError, load_ai_config
from tests.models.ai_support import FakeAPI, ai_config, cabinet, fixture, proposal


def test_cost_is_tokens_times_the_listed_price():
    # Sonnet 4.6: $3 input, $15 output, $0.30 cache read, $3.75 cache write per million tokens
    assert cost_usd(
        "claude-sonnet-4-6",
        input_tokens=1234, output_tokens=456, cache_read_tokens=1500, cache_write_tokens=0,
    ) == pytest.approx(0.010992)  # fmt: skip
    assert cost_usd(
        "claude-sonnet-4-6",
        input_tokens=900, output_tokens=5, cache_read_tokens=0, cache_write_tokens=1400,
    ) == pytest.approx(0.008025)  # 2700 + 75 + 5250 micro-dollars  # fmt: skip
    # Haiku 4.5: $1 in, $5 out; Sonnet 5.5 cache reads $0.10 (cut on 2026-10-07)
    one_million = {"cache_read_tokens": 0, "cache_write_tokens": 0}
    assert cost_usd(
        "claude-haiku-4-5", input_tokens=10**6, output_tokens=10**6, **one_million
    ) == pytest.approx(6.0)
    assert cost_usd(
        "claude-sonnet-5-5",
        input_tokens=0, output_tokens=0, cache_read_tokens=10**6, cache_write_tokens=0,
    ) == pytest.approx(0.10)  # fmt: skip


def test_dated_model_ids_are_priced_and_unknown_models_are_not_guessed():
    counts = {"input_tokens": 10**6, "output_tokens": 0, "cache_read_tokens": 0}
    assert cost_usd("claude-sonnet-4-5-20250929", cache_write_tokens=0, **counts) == 3.0
    assert cost_usd("claude-opus-5-5", cache_write_tokens=0, **counts) is None  # not claude-opus-5
    assert cost_usd("gpt-6", cache_write_tokens=0, **counts) is None


def test_ledger_sums_a_run(tmp_path):
    ledger = UsageLedger()
    for answer in ("refine_ok.json", "refusal.json"):
        api = FakeAPI((200, fixture(answer)))
        review.refine(
            cabinet(), proposal(), ai_config(max_retries=0), client=api.client(), ledger=ledger
        )  # fmt: skip
    assert (ledger.input_tokens, ledger.output_tokens) == (1234 + 900, 456 + 5)
    assert (ledger.cache_read_tokens, ledger.cache_write_tokens) == (1500, 1400)
    assert ledger.cost_usd == pytest.approx(0.010992 + 0.008025)
    assert ledger.by_status() == {"ok": 1, "refused": 1}
    assert ledger.unpriced_calls == 0
    assert ledger.latency_s > 0
    summary = ledger.summary()
    assert (summary["calls"], summary["cost_usd"]) == (2, 0.019017)


def test_unpriced_model_is_counted_apart(tmp_path, caplog):
    caplog.set_level("INFO", logger="cvd.models.ai")
    answer = fixture("refusal.json") | {"model": "claude-opus-5-5"}  # not in the price table
    ledger = UsageLedger()
    review.refine(
        cabinet(), proposal(), ai_config(model="claude-opus-5-5", max_retries=0),
        client=FakeAPI((200, answer)).client(), ledger=ledger,
    )  # fmt: skip
    assert ledger.calls[0].cost_usd is None
    assert (ledger.unpriced_calls, ledger.cost_usd, ledger.input_tokens) == (1, 0.0, 900)
    assert "cost_usd=unpriced" in caplog.text


def test_models_that_reject_forced_tool_choice_get_auto(tmp_path):
    api = FakeAPI((200, fixture("refine_ok.json")))
    result = review.refine(
        cabinet(), proposal(), ai_config(model="claude-sonnet-5-5", max_retries=0),
        client=api.client(),
    )  # fmt: skip
    assert api.body()["tool_choice"]["type"] == "auto"
    assert result.ai_status == "ok"


def _settings(tmp_path, key: str | None = "test") -> Settings:
    return Settings(
        home=tmp_path, database_url="sqlite://", anthropic_api_key=key, ai_model="claude-haiku-4-5"
    )


def test_config_from_environment(tmp_path):
    assert load_ai_config(_settings(tmp_path), {}) == AIConfig(
        api_key="test",
        model="claude-haiku-4-5",
        enabled=None,
        timeout_s=120.0,
        max_retries=2,
        max_tokens=8192,
    )
    config = load_ai_config(
        _settings(tmp_path),
        {"CVD_AI_ENABLED": "off", "CVD_AI_TIMEOUT_S": "12.5", "CVD_AI_MAX_RETRIES": "4"},
    )
    assert (config.enabled, config.timeout_s, config.max_retries) == (False, 12.5, 4)
    assert load_ai_config(_settings(tmp_path), {"CVD_AI_ENABLED": "Yes"}).enabled is True
    for env, name in [
        ({"CVD_AI_ENABLED": "maybe"}, "CVD_AI_ENABLED"),
        ({"CVD_AI_TIMEOUT_S": "soon"}, "CVD_AI_TIMEOUT_S"),
        ({"CVD_AI_MAX_RETRIES": "-1"}, "CVD_AI_MAX_RETRIES"),
    ]:
        with pytest.raises(SettingsError, match=name):
            load_ai_config(_settings(tmp_path), env)


def test_the_key_never_shows_in_the_configs_repr(tmp_path):
    config = load_ai_config(_settings(tmp_path, key="sk-ant-secret"), {})
    assert config.api_key == "sk-ant-secret"
    assert "sk-ant-secret" not in repr(config)


def test_switch_in_the_environment_turns_the_reviewer_off(tmp_path, monkeypatch):
    monkeypatch.setenv("CVD_AI_ENABLED", "0")
    config = load_ai_config(_settings(tmp_path))  # the edge reads the process environment
    api = FakeAPI((200, fixture("refine_ok.json")))
    result = review.refine(cabinet(), proposal(), config, client=api.client())
    assert result.ai_status == "disabled" and api.requests == []


def _answer_with(change) -> list[str]:
    answer = copy.deepcopy(fixture("refine_ok.json")["content"][0]["input"])
    change(answer["slots"])
    return validate(cabinet(), parse_review(answer))


def _set(i: int, **fields):
    def change(slots):
        slots[i].update(fields)

    return change


def test_the_good_answer_breaks_no_rule():
    assert _answer_with(lambda slots: None) == []


def test_a_slot_may_be_left_empty_as_the_optimiser_does(tmp_path):
    answer = fixture("refine_ok.json")
    answer["content"][0]["input"]["slots"][4].update(product_id="", capacity=0, par_level=0)
    result = review.refine(
        cabinet(), proposal(), ai_config(max_retries=0), client=FakeAPI((200, answer)).client()
    )  # fmt: skip
    assert result.ai_status == "ok"
    b1 = result.assignments[-1]
    assert (b1.product_id, b1.capacity, b1.expected_weekly_units) == ("", 0, 0.0)


def _all_chocolate_but_drinks(slots):
    for i in (2, 3):
        slots[i].update(product_id="P05")
    slots[4].update(product_id="P05", capacity=15, par_level=13)


def _duplicate_a4(slots):
    slots.append(dict(slots[3]))


SIZE_L_IN_S = "slot A3: product P06 (size L) does not fit a size-S slot"
M_HOLDS_10 = "slot A2: capacity 12 outside 1..10 for a size-M product (P02)"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_set(2, product_id="P06", capacity=7, par_level=6), SIZE_L_IN_S),
        (_set(1, capacity=12, par_level=10), M_HOLDS_10),
        (_set(1, par_level=0), "slot A2: par level 0 outside 1..capacity 10"),
        (_set(0, product_id="P02"), "core product P01: no facing left"),  # cola is core
        (_all_chocolate_but_drinks, "category Snacks: no facing left"),
        (_duplicate_a4, "slot A4: listed 2 times"),
        (lambda slots: slots.pop(), "slot B1: missing from the answer"),
        (
            _set(4, product_id="", capacity=7, par_level=6),
            "slot B1: left empty but capacity/par 7/6",
        ),
    ],
)
def test_each_rule_is_enforced(change, problem):
    assert problem in _answer_with(change)


def test_max_facings_is_enforced():
    def four_chocolate(slots):
        for i in (2, 3):
            slots[i].update(product_id="P05")
        slots[4].update(product_id="P05", capacity=15, par_level=13)
        slots[1].update(product_id="P05", capacity=15, par_level=13)

    problems = _answer_with(four_chocolate)
    assert "product P05: 4 facings, maximum 3" in problems
