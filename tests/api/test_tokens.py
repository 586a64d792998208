"""`cvd tokens add | list | revoke`: shown once, stored as a hash, audited, refused at once
when revoked; and every API use audited."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from api.config import ApiConfig
from operations import audit, db
from operations.permissions import SYSTEM
from operations.services import tokens
from orchestration.cli import main
from tests.api.conftest import empty_home
from tests.api.server import serve


def test_tokens_from_the_cli_are_shown_once_stored_hashed_and_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = empty_home(tmp_path / "home")
    home = str(settings.home)
    assert main(["tokens", "add", "erp", "--scope", "read", "--home", home]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 40  # token_urlsafe(32): 43 characters
    stored = b"".join(p.read_bytes() for p in settings.home.glob("cvd.sqlite*"))
    assert token.encode() not in stored
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored

    assert main(["tokens", "add", "erp", "--scope", "intake", "--home", home]) == 1
    assert "already taken" in capsys.readouterr().err
    assert main(["tokens", "add", "Bad Name", "--scope", "read", "--home", home]) == 1
    assert (
        main(["tokens", "add", "x", "--scope", "read", "--expires", "2001-01-01", "--home", home])
        == 1
    )
    capsys.readouterr()

    assert main(["tokens", "list", "--home", home]) == 0
    listing = capsys.readouterr().out
    assert "erp" in listing and "active" in listing and token not in listing

    with serve(ApiConfig(settings)) as running:
        url = f"{running.url}/v1/machines"
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(url, headers=headers).status_code == 503  # valid; no warehouse yet
        assert main(["tokens", "revoke", "erp", "--home", home]) == 0
        refused = httpx.get(url, headers=headers)
        assert refused.status_code == 401
        assert "revoked" in refused.json()["error"]["message"]
    assert main(["tokens", "revoke", "erp", "--home", home]) == 1  # revoked already

    engine = db.connect(settings.database_url)
    try:
        rows = audit.list_entries(engine, SYSTEM, entity="api_token")
    finally:
        engine.dispose()
    assert [(r.action, r.actor) for r in reversed(rows)] == [
        ("create", "system"),
        ("use", "token:erp"),
        ("revoke", "system"),
        ("use_denied", "token:erp"),
    ]
    assert json.loads(rows[-2].after)["use"] == "GET /v1/machines"
    for row in rows:
        assert token not in (row.before or "") + (row.after or "")
        assert "token_hash" not in (row.before or "") + (row.after or "")


def test_a_token_of_another_scope_is_refused_and_audited(tmp_path: Path) -> None:
    settings = empty_home(tmp_path / "home")
    engine = db.connect(settings.database_url)
    try:
        _, token = tokens.add_token(engine, SYSTEM, name="scraper", scope="metrics")
        with pytest.raises(tokens.PermissionDenied):
            tokens.use_token(engine, token, "intake", use="POST /v1/dex")
        with pytest.raises(tokens.AuthenticationError):
            tokens.use_token(
                engine,
                token[:-1] + ("A" if token[-1] != "A" else "B"),
                "metrics",
                use="GET /metrics",
            )
        assert tokens.use_token(engine, token, "metrics", use="GET /metrics").name == "scraper"
        actions = [r.action for r in audit.list_entries(engine, SYSTEM, entity="api_token")]
    finally:
        engine.dispose()
    assert actions == ["use", "use_denied", "create"]
