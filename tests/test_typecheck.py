"""The library packages type-check clean under mypy, as configured in pyproject.toml
([tool.mypy]), and every ``type: ignore`` left in them says why.

mypy keeps its cache in ``.mypy_cache`` at the repository root: a cold run (a fresh clone, as
in CI) takes about a minute, a warm one a few seconds.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# "# type: ignore[code]  # why": the code is enforced by mypy (ignore-without-code), the reason here
_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")
_REASON = re.compile(r"^\s*#\s*\S")


def _checked_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages: list[str] = config["tool"]["mypy"]["packages"]
    return packages


def unexplained_ignores(text: str, source: str) -> list[str]:
    """``source:line`` of each ``type: ignore`` in ``text`` without a code and a reason comment
    after it on the same line."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _IGNORE.search(line)
        if match and not (match["codes"] and _REASON.match(match["rest"])):
            found.append(f"{source}:{number}: {line.strip()}")
    return found


def test_mypy_finds_no_errors_in_the_library_packages() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],  # packages and flags come from pyproject.toml
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"mypy reports:\n{result.stdout}{result.stderr}"


def test_every_type_ignore_in_the_checked_packages_names_its_code_and_reason() -> None:
    unexplained = [
        hit
        for package in _checked_packages()
        for path in sorted((ROOT / package).rglob("*.py"))
        for hit in unexplained_ignores(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not unexplained, "type: ignore without [code]  # reason:\n" + "\n".join(unexplained)


def test_an_ignore_without_a_reason_is_caught() -> None:
    # the scanner itself, on lines written by hand: only the last one is explained
    text = (
        "x = f()  # type: ignore\n"
        "y = g()  # type: ignore[arg-type]\n"
        "z = h()  # type: ignore[arg-type]  # stubs lack h's overload\n"
    )
    assert unexplained_ignores(text, "m.py") == [
        "m.py:1: x = f()  # type: ignore",
        "m.py:2: y = g()  # type: ignore[arg-type]",
    ]
