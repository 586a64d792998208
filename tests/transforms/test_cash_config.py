"""$CVD_HOME/config/cash.toml: defaults without it, values read, bad keys and values refused
naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.cash_flags import CashConfigError, CashThresholds, load_thresholds


def test_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_thresholds(tmp_path / "cash.toml") == CashThresholds()


def test_values_are_read_from_a_cash_table(tmp_path: Path) -> None:
    path = tmp_path / "cash.toml"
    path.write_text("[cash]\nvariance_abs = 10\nvariance_share = 0.1\nmin_flags = 4\n")
    assert load_thresholds(path) == CashThresholds(variance_abs=10.0, variance_share=0.1,
                                                   min_flags=4)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("varience_abs = 5", "unknown key 'varience_abs'"),
        ("variance_abs = -1", "variance_abs must be a number not below 0"),
        ("min_flags = 2.5", "min_flags must be a whole number"),
        ('variance_share = "5%"', "variance_share must be a number"),
        ("variance_abs = ", "cash.toml"),
    ],
)
def test_bad_keys_and_values_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "cash.toml"
    path.write_text(text)
    with pytest.raises(CashConfigError, match=problem) as refused:
        load_thresholds(path)
    assert str(path) in str(refused.value)
