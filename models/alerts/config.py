"""The alert rules' thresholds, with defaults, overridable by ``$CVD_HOME/config/alerts.toml``.

Every rule and key is documented in docs/alerts.md. A bad file is refused with its path, the key
and the problem. ``disabled`` switches rules off by name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

ALERTS_FILE = Path("config") / "alerts.toml"
RULES: tuple[str, ...] = (
    "silent_machine",
    "crc_failures",
    "core_sold_out",
    "sellout_before_visit",
    "cash_variance",
    "nightly_run",
    "warehouse_age",
    "quarantine_spike",
)


@dataclass(frozen=True)
class AlertRules:
    """Thresholds of every rule (times in hours unless the name says days)."""

    # silent: no read for this many times the machine's usual (median) read interval ...
    silent_factor: float = 3.0
    # ... and for at least this many hours
    silent_min_hours: float = 24.0
    # files that failed their CRC check within this many hours before now
    crc_window_hours: float = 24.0
    # core products; empty = the planogram's core_products ($CVD_HOME/planogram.toml)
    core_products: tuple[str, ...] = ()
    # a machine is reported when at least this many slots sell out before its next visit
    sellout_min_slots: int = 3
    # the next visit of a machine with no planned visit and no service days, in days from now
    sellout_no_visit_days: float = 7.0
    # the absolute cash variance (currency units) of a collection that raises an alert
    cash_variance_threshold: float = 20.0
    # the last successful nightly run must have ended within this many hours
    nightly_late_hours: float = 26.0
    # the warehouse file must have been rebuilt within this many hours
    warehouse_max_age_hours: float = 26.0
    # today's quarantined files raise an alert past factor × the trailing median ...
    quarantine_spike_factor: float = 3.0
    # ... and at least this many files
    quarantine_spike_min_files: int = 5
    quarantine_trailing_days: int = 14
    disabled: tuple[str, ...] = ()


class AlertRulesError(ValueError):
    """An alerts file that cannot be used: names the file, the key and the problem."""

    def __init__(self, path: Path, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")


def _value(path: Path, key: str, default: Any, value: Any) -> Any:
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AlertRulesError(path, key, f"expected a list of names, got {value!r}")
        if key == "disabled" and (unknown := set(value) - set(RULES)):
            raise AlertRulesError(path, key, f"unknown rules {sorted(unknown)}; known: {RULES}")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise AlertRulesError(path, key, f"expected a number >= 0, got {value!r}")
    if isinstance(default, int) and value != int(value):
        raise AlertRulesError(path, key, f"expected a whole number, got {value!r}")
    return type(default)(value)


def load_alert_rules(home: Path) -> AlertRules:
    """``home/config/alerts.toml`` over the defaults (top level or an ``[alerts]`` table)."""
    path = home / ALERTS_FILE
    if not path.exists():
        return AlertRules()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AlertRulesError(path, "(file)", f"not valid TOML: {exc}") from exc
    if isinstance(doc.get("alerts"), dict):
        doc = doc["alerts"]
    defaults = {f.name: getattr(AlertRules(), f.name) for f in fields(AlertRules)}
    changes = {}
    for key, value in doc.items():
        if key not in defaults:
            raise AlertRulesError(path, key, f"unknown key; known: {', '.join(defaults)}")
        changes[key] = _value(path, key, defaults[key], value)
    return replace(AlertRules(), **changes)
