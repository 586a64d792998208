"""`cvd demo-data` refuses options it cannot run with: a clear message naming the option, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.cli import main


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--products", "0"], "--products"),
        (["--products", "3", "--machines", "30"], "--products"),
        (["--seed", "-1"], "--seed"),
        (["--machines", "0"], "--machines"),
        (["--days", "-2"], "--days"),
        (["--batches", "2", "--batch", "3"], "--batch"),
    ],
)
def test_sim_cli_rejects_bad_options(
    options: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data", "--home", str(tmp_path), *options]) == 2
    err = capsys.readouterr().err
    assert f"cvd demo-data: {named} must" in err
    assert "Traceback" not in err
    assert not any(tmp_path.iterdir())  # nothing written


def test_sim_cli_smallest_catalog_runs(tmp_path: Path) -> None:
    # One product per category is enough for every cabinet type, even in a large fleet.
    options = ["--products", "5", "--machines", "30", "--days", "2", "--seed", "0"]
    assert main(["demo-data", "--home", str(tmp_path), "--workers", "1", *options]) == 0
    assert any((tmp_path / "inbox").iterdir())
