"""Every log line is JSON with the request's id; no body and no token ever reaches a log."""

from __future__ import annotations

import json
import logging

import httpx

from api.logs import JsonFormatter
from tests.api.conftest import Tokens
from tests.api.server import Running


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_request_lines_carry_the_request_id_never_the_body_or_token(
    intake_api: tuple[Running, Tokens],
) -> None:
    running, tokens = intake_api
    capture = _Lines()
    root = logging.getLogger()
    root.addHandler(capture)
    level = root.level
    root.setLevel(logging.INFO)
    secret_body = b"DXS*SECRETBODYMARKER*VA*V1/1*1\r\nDXE*1*1\r\n"
    try:
        ok = httpx.post(
            f"{running.url}/v1/dex",
            content=secret_body,
            headers={"Authorization": f"Bearer {tokens.intake}"},
        )
        bad = httpx.get(
            f"{running.url}/v1/machines", headers={"Authorization": "Bearer sekrit-xyz"}
        )
        cut = httpx.post(
            f"{running.url}/v1/dex",
            content=b"x" * 70_000,
            headers={"Authorization": f"Bearer {tokens.intake}"},
        )
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    assert (ok.status_code, bad.status_code, cut.status_code) == (202, 401, 413)
    docs = [json.loads(line) for line in capture.lines]
    requests = [d for d in docs if d["message"] == "request"]
    ids = {ok.headers["X-Request-ID"], bad.headers["X-Request-ID"], cut.headers["X-Request-ID"]}
    assert ids <= {d["request_id"] for d in requests}
    mine = [d for d in docs if d["request_id"] in ids]
    assert {d["status"] for d in mine if d["message"] == "request"} == {202, 401, 413}
    assert next(d for d in mine if d["status"] == 202)["token"] == "intake"  # the name only
    for line in capture.lines:
        assert "SECRETBODYMARKER" not in line
        assert tokens.intake not in line and "sekrit-xyz" not in line
