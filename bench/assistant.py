"""Ask CVD's evaluation: the share of managers' questions answered correctly.

    uv run python bench/assistant.py [--home DIR] [--live]

Builds the demo home (`cvd demo-data` + `cvd materialize`, 50 machines x 90 days) unless
``--home`` names a materialized one, then puts each question of ``bench/assistant/questions.toml``
through the assistant (``models.ask.assistant.ask``: the prompt, the guard, the sandbox) and
compares the result set with the hand-written reference query's (``models.ask.scoring``).

Without ``ANTHROPIC_API_KEY`` (or without ``--live``) the API is replaced at its transport by the
recorded answers (``recorded`` in the file), which checks the plumbing and the scorer, not a
model; with the key and ``--live`` the configured model (``CVD_AI_MODEL``) answers.
The last line: ``assistant: correct X/N (S%), refused R, failed F, mode M``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import anthropic
import duckdb
import httpx2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.ai.config import AIConfig  # noqa: E402
from models.ask import policy  # noqa: E402
from models.ask.assistant import Warehouse, ask  # noqa: E402
from models.ask.prompt import TOOL_NAME  # noqa: E402
from models.ask.schema import load_doc  # noqa: E402
from models.ask.scoring import same_result  # noqa: E402
from transforms.catalog import CATALOG  # noqa: E402

QUESTIONS = ROOT / "bench" / "assistant" / "questions.toml"


def load_questions() -> list[dict[str, Any]]:
    """The evaluation set."""
    return list(tomllib.loads(QUESTIONS.read_text(encoding="utf-8"))["q"])


def recorded_client(questions: list[dict[str, Any]]) -> anthropic.Anthropic:
    """A real SDK client whose transport answers each question with its recorded SQL."""
    by_question = {q["question"]: q["recorded"] for q in questions}

    def answer(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        asked = json.loads(body["messages"][0]["content"][0]["text"])["question"]
        tool = {"sql": by_question[asked], "explanation": "recorded answer"}
        return httpx2.Response(
            200,
            json={
                "id": "msg_recorded",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "tool_use", "id": "t1", "name": TOOL_NAME, "input": tool}],
                "stop_reason": "tool_use",
                "stop_sequence": None,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            },
        )

    http = anthropic.DefaultHttpxClient(transport=httpx2.MockTransport(answer))
    return anthropic.Anthropic(api_key="recorded", http_client=http, max_retries=0)


def demo_home(base: Path) -> Path:
    """A materialized default demo home (as `cvd up` builds it)."""
    home = base / "home"
    env = {**os.environ, "CVD_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    for args in (["demo-data"], ["db", "upgrade"], ["import", "master-data"], ["materialize"]):
        subprocess.run(
            ["cvd", *args, "--home", str(home)],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return home


def evaluate(home: Path, live: bool) -> int:
    """Score every question; print one line each and the summary; exit 0 when all ran."""
    questions = load_questions()
    views = policy.views_for("manager", CATALOG)
    warehouse = Warehouse(
        path=home / "warehouse.duckdb",
        lake=home / "lake",
        views=views,
        catalog_views=frozenset(v for _, v in CATALOG),
        schema_text=load_doc(ROOT / "docs" / "warehouse.md").for_views(views),
    )
    key = os.environ.get("ANTHROPIC_API_KEY")
    if live and key:
        config = AIConfig(api_key=key, model=os.environ.get("CVD_AI_MODEL", AIConfig.model))
        client, mode = anthropic.Anthropic(api_key=key), f"live {config.model}"
    else:
        config = AIConfig(api_key="recorded", max_retries=0)
        client, mode = recorded_client(questions), "recorded"
    con = duckdb.connect(str(warehouse.path), read_only=True)
    correct = refused = failed = 0
    cost = 0.0
    started = time.perf_counter()
    for q in questions:
        expected = con.execute(q["reference"]).fetchall()
        outcome = ask(q["question"], warehouse, config, role="manager", user="bench", client=client)
        cost += outcome.usage.cost_usd or 0.0
        if outcome.result is None:
            verdict = outcome.status
            refused += outcome.status == "refused"
            failed += outcome.status != "refused"
        else:
            rows = [tuple(r) for r in outcome.result.frame.itertuples(index=False)]
            ok = same_result(expected, rows, ordered=bool(q.get("ordered")))
            correct += ok
            verdict = "correct" if ok else "WRONG"
        print(f"{q['id']:<24} {verdict}")
    con.close()
    n = len(questions)
    print(f"{n} questions in {time.perf_counter() - started:.1f} s, model cost ${cost:.4f}")
    print(
        f"assistant: correct {correct}/{n} ({100 * correct / n:.0f}%), refused {refused},"
        f" failed {failed}, mode {mode}"
    )
    return 0


def main() -> int:
    """Parse the arguments, find or build the home, evaluate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a materialized CVD home (default: build one)")
    parser.add_argument("--live", action="store_true", help="ask the real API (needs the key)")
    args = parser.parse_args()
    if args.home:
        return evaluate(args.home, args.live)
    with tempfile.TemporaryDirectory(prefix="cvd-bench-assistant-") as tmp:
        return evaluate(demo_home(Path(tmp)), args.live)


if __name__ == "__main__":
    sys.exit(main())
