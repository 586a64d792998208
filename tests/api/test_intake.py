"""`POST /v1/dex` over real HTTP: every status code, the archive and ledger afterwards, the
idempotence under concurrent clients, and a client leaving mid-upload."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.config import ApiConfig
from ingest.incoming import blob_path
from tests.api.conftest import Tokens, empty_home, make_tokens
from tests.api.server import Running, serve

LIMIT = 64 * 1024  # the intake_api fixture's body limit


def dex(n: int) -> bytes:
    """A small DEX-looking file, different for every ``n``."""
    return (
        f"DXS*9252131001*VA*V1/1*1\r\nST*001*0001\r\nID1*SERIAL{n:06d}\r\n"
        f"PA1*1*100\r\nPA2*{n}*{n * 100}\r\nSE*5*0001\r\nDXE*1*1\r\n"
    ).encode()


def ledger_rows(home: Path) -> list[tuple[str, str, str]]:
    """(delivery_id, sha256, original_name) of every delivery, read with plain sqlite3."""
    path = home / "archive" / "ledger.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(path) as con:
        return con.execute(
            "SELECT delivery_id, sha256, original_name FROM deliveries ORDER BY 1"
        ).fetchall()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def home_of(running: Running) -> Path:
    return running.app.state.config.settings.home  # type: ignore[attr-defined]


def test_a_posted_file_is_archived_and_recorded_before_the_202(
    intake_api: tuple[Running, Tokens],
) -> None:
    running, tokens = intake_api
    body = dex(1)
    answer = httpx.post(
        f"{running.url}/v1/dex?name=../../etc/M1.dex", content=body, headers=auth(tokens.intake)
    )
    assert answer.status_code == 202, answer.text
    doc = answer.json()
    sha = hashlib.sha256(body).hexdigest()  # worked out here, not by the service
    assert doc["sha256"] == sha and doc["size"] == len(body) and doc["status"] == "received"
    home = home_of(running)
    assert blob_path(home / "archive", sha).read_bytes() == body
    rows = [r for r in ledger_rows(home) if r[1] == sha]
    assert rows == [(doc["delivery_id"], sha, "http/intake/M1.dex")]  # never a path

    again = httpx.post(f"{running.url}/v1/dex", content=body, headers=auth(tokens.intake))
    assert again.status_code == 202
    assert again.json() == {**doc, "status": "already_received"}
    assert [r for r in ledger_rows(home) if r[1] == sha] == rows  # nothing recorded twice


def test_a_multipart_post_records_every_file(intake_api: tuple[Running, Tokens]) -> None:
    running, tokens = intake_api
    files = [("file", (f"m{n}.dex", dex(n), "application/octet-stream")) for n in (2, 3, 4)]
    answer = httpx.post(
        f"{running.url}/v1/dex", files=files, data={"note": "x"}, headers=auth(tokens.intake)
    )
    assert answer.status_code == 202, answer.text
    got = answer.json()["files"]
    assert [f["sha256"] for f in got] == [hashlib.sha256(dex(n)).hexdigest() for n in (2, 3, 4)]
    assert {f["status"] for f in got} == {"received"}
    names = {r[2] for r in ledger_rows(home_of(running))}
    assert {"http/intake/m2.dex", "http/intake/m3.dex", "http/intake/m4.dex"} <= names


@pytest.mark.parametrize(
    ("token", "status"),
    [(None, 401), ("not-a-token", 401), ("revoked", 401), ("expired", 401), ("read", 403)],
)
def test_refused_tokens_get_json_errors_and_nothing_is_recorded(
    intake_api: tuple[Running, Tokens], token: str | None, status: int
) -> None:
    running, tokens = intake_api
    before = ledger_rows(home_of(running))
    headers = {} if token is None else auth(getattr(tokens, token, token))
    answer = httpx.post(f"{running.url}/v1/dex", content=dex(90), headers=headers)
    assert answer.status_code == status
    assert answer.json()["error"]["status"] == status
    assert answer.json()["error"]["message"]
    assert ledger_rows(home_of(running)) == before


def test_over_the_size_limit_is_413_declared_or_streamed(
    intake_api: tuple[Running, Tokens],
) -> None:
    running, tokens = intake_api
    home = home_of(running)
    before = ledger_rows(home)
    big = b"DXS*" + b"9" * LIMIT
    declared = httpx.post(f"{running.url}/v1/dex", content=big, headers=auth(tokens.intake))
    assert declared.status_code == 413
    assert declared.json()["error"]["status"] == 413

    def chunks() -> object:  # no Content-Length: the limit must stop the read itself
        for _ in range(LIMIT // 1024 + 8):
            yield b"A" * 1024

    streamed = httpx.post(f"{running.url}/v1/dex", content=chunks(), headers=auth(tokens.intake))
    assert streamed.status_code == 413
    assert ledger_rows(home) == before
    assert list((home / "archive").glob(".incoming.*")) == []


def test_an_empty_body_is_400(intake_api: tuple[Running, Tokens]) -> None:
    running, tokens = intake_api
    answer = httpx.post(f"{running.url}/v1/dex", content=b"", headers=auth(tokens.intake))
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "no DEX file in the body"


def test_past_the_rate_limit_is_429_per_token(tmp_path: Path) -> None:
    settings = empty_home(tmp_path / "home")
    tokens = make_tokens(settings)
    other = make_tokens(settings, prefix="b-")
    config = ApiConfig(settings, rate_per_second=0.001, burst=3)  # no refill within the test
    with serve(config) as running:
        codes = [
            httpx.post(
                f"{running.url}/v1/dex", content=dex(100 + n), headers=auth(tokens.intake)
            ).status_code
            for n in range(5)
        ]
        assert codes == [202, 202, 202, 429, 429]
        limited = httpx.post(f"{running.url}/v1/dex", content=dex(200), headers=auth(tokens.intake))
        assert limited.json()["error"]["status"] == 429
        assert int(limited.headers["Retry-After"]) >= 1
        # another token has its own bucket
        fresh = httpx.post(f"{running.url}/v1/dex", content=dex(201), headers=auth(other.intake))
        assert fresh.status_code == 202
    assert len(ledger_rows(settings.home)) == 4  # three of the first token, one of the other


def test_eight_concurrent_clients_same_and_different_files_exact_counts(
    tmp_path: Path,
) -> None:
    settings = empty_home(tmp_path / "home")
    tokens = make_tokens(settings)
    config = ApiConfig(settings, rate_per_second=10_000.0, burst=10_000)
    shared = [dex(1000 + n) for n in range(10)]  # every client posts these
    own = {c: [dex(2000 + 100 * c + n) for n in range(5)] for c in range(8)}  # and its own

    def client(c: int) -> list[tuple[str, str]]:
        with httpx.Client(headers=auth(tokens.intake), timeout=60) as http:
            out = []
            for body in [*shared, *own[c]]:
                answer = http.post(f"{running.url}/v1/dex", content=body)
                assert answer.status_code == 202, answer.text
                out.append((answer.json()["sha256"], answer.json()["status"]))
            return out

    with serve(config) as running, ThreadPoolExecutor(8) as pool:
        results = [r for got in pool.map(client, range(8)) for r in got]
    expected = {
        hashlib.sha256(b).hexdigest() for b in [*shared, *(b for v in own.values() for b in v)]
    }
    assert len(expected) == 10 + 8 * 5
    received = [sha for sha, status in results if status == "received"]
    assert sorted(received) == sorted(expected)  # each content received exactly once
    assert len(results) == 8 * 15 and {s for s, _ in results} == expected
    rows = ledger_rows(settings.home)
    assert len(rows) == len(expected)  # one delivery per content: nothing lost or doubled
    assert {r[1] for r in rows} == expected
    for body in [*shared, *own[3]]:
        assert blob_path(settings.archive, hashlib.sha256(body).hexdigest()).read_bytes() == body
    assert list(settings.archive.glob(".incoming.*")) == []


def _requests_answered(running: Running, status: int) -> int:
    metrics = running.app.state.metrics  # type: ignore[attr-defined]
    return metrics.requests.get(("POST", "/v1/dex", str(status)), 0)


def _leave_mid_upload(
    running: Running, token: str, head: bytes, declared: int, content_type: str
) -> None:
    """Send the headers and the first bytes of a body of ``declared`` bytes, then hang up."""
    with socket.create_connection((running.host, running.port)) as sock:
        sock.sendall(
            b"POST /v1/dex HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {token}\r\nContent-Length: {declared}\r\n".encode()
            + f"Content-Type: {content_type}\r\n\r\n".encode()
            + head
        )
        time.sleep(0.3)  # let the server start reading the body before the hang-up


def _wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + 30
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_client_leaving_mid_upload_leaves_nothing_half_recorded(
    intake_api: tuple[Running, Tokens],
) -> None:
    running, tokens = intake_api
    home = home_of(running)
    before = ledger_rows(home)
    left = _requests_answered(running, 400)
    head = dex(77)[:40]
    _leave_mid_upload(running, tokens.intake, head, 10_000, "application/octet-stream")
    _wait_for(lambda: _requests_answered(running, 400) == left + 1, "the server never noticed")
    assert ledger_rows(home) == before
    assert list((home / "archive").glob(".incoming.*")) == []
    assert not blob_path(home / "archive", hashlib.sha256(head).hexdigest()).exists()

    # multipart: a first file complete, the second cut off: neither is recorded
    complete = dex(78)
    part = "--b0undary\r\nContent-Disposition: form-data; name=f; filename={}\r\n\r\n"
    body = part.format("a.dex").encode() + complete + b"\r\n" + part.format("b.dex").encode()
    multipart = "multipart/form-data; boundary=b0undary"
    _leave_mid_upload(running, tokens.intake, body + dex(79)[:20], len(body) + 5000, multipart)
    _wait_for(lambda: _requests_answered(running, 400) == left + 2, "the server never noticed")
    assert ledger_rows(home) == before
    assert list((home / "archive").glob(".incoming.*")) == []
    assert hashlib.sha256(complete).hexdigest() not in {r[1] for r in ledger_rows(home)}


def test_the_app_refuses_to_start_on_a_database_without_the_tokens_table(tmp_path: Path) -> None:
    from operations import db
    from operations.errors import SchemaOutdated
    from orchestration.settings import load_settings

    settings = load_settings(tmp_path / "home")
    db.upgrade(settings.database_url, "0003")  # the revision before the tokens table
    app = create_app(settings)
    with pytest.raises(SchemaOutdated):
        import asyncio

        async def start() -> None:
            async with app.router.lifespan_context(app):
                pass

        asyncio.run(start())
