"""The visit rules: weights and thresholds of the service score, with defaults, overridable by a
TOML file (``$CVD_HOME/config/visits.toml``, or a file the caller names: the edge reads
``CVD_VISIT_RULES``).

Every rule is documented in docs/visits.md. A bad file is refused with its path,
the key and the problem; nothing is guessed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

RULES_FILE = Path("config") / "visits.toml"


@dataclass(frozen=True)
class VisitRules:
    """Weights (score points) and thresholds of the service score and the plan."""

    # a slot is sold out when its (estimated) level is below this many units
    sold_out_below_units: float = 0.5
    points_per_sold_out: float = 8.0
    # a slot is depleted when its level is below this share of its par level
    depleted_below_share_of_par: float = 0.3
    # points for the share of slots depleted (all slots depleted = this many points)
    points_per_share_depleted: float = 40.0
    points_per_unit_since_visit: float = 0.1
    points_per_revenue_since_visit: float = 0.0  # per currency unit; off by default
    points_per_day_since_service: float = 2.0
    # core products: the machine's top sellers (by rate) unless core_products names them
    core_top_n: int = 5
    core_products: tuple[str, ...] = ()
    points_per_core_out: float = 10.0
    # a machine is visited at least this often (the score is raised to the threshold)
    max_days_between_visits: float = 14.0
    visit_threshold: float = 50.0
    # on its service day a machine on the route is added above this lower score
    service_day_threshold: float = 25.0
    add_on_service_day: bool = True
    horizon_days: int = 14
    # plan date: None = the day after the data's last day
    plan_date: str | None = None
    # pick quantities: 'ceil' (never short) or 'round'
    pick_rounding: str = "ceil"


class RulesError(ValueError):
    """A visit rules file that cannot be used: names the file, the key and the problem."""

    def __init__(self, path: Path, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")
        self.path, self.key, self.problem = path, key, problem


_CHOICES = {"pick_rounding": ("ceil", "round")}


def _coerce(path: Path, key: str, default: Any, value: Any) -> Any:
    """``value`` converted to the type of the field's default, or a RulesError."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise RulesError(path, key, f"expected true or false, got {value!r}")
        return value
    if isinstance(default, int | float):  # a bool default returned above
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RulesError(path, key, f"expected a number, got {value!r}")
        if isinstance(default, int) and value != int(value):
            raise RulesError(path, key, f"expected a whole number, got {value!r}")
        if value < 0:
            raise RulesError(path, key, f"must not be negative, got {value!r}")
        return type(default)(value)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RulesError(path, key, f"expected a list of product ids, got {value!r}")
        return tuple(value)
    if not isinstance(value, str):
        raise RulesError(path, key, f"expected text, got {value!r}")
    if key in _CHOICES and value not in _CHOICES[key]:
        raise RulesError(path, key, f"expected one of {', '.join(_CHOICES[key])}, got {value!r}")
    return value


def rules_from_file(path: Path) -> VisitRules:
    """The defaults overridden by the keys of ``path`` (TOML, top level or a ``[visits]`` table)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(path, "(file)", f"not valid TOML: {exc}") from exc
    if isinstance(doc.get("visits"), dict):
        doc = doc["visits"]
    defaults = VisitRules()
    known = {f.name: getattr(defaults, f.name) for f in fields(VisitRules)}
    changes: dict[str, Any] = {}
    for key, value in doc.items():
        if key not in known:
            raise RulesError(path, key, f"unknown rule; known: {', '.join(known)}")
        if key == "plan_date":
            changes[key] = _plan_date(path, value)
            continue
        changes[key] = _coerce(path, key, known[key], value)
    rules = replace(defaults, **changes)
    if rules.service_day_threshold > rules.visit_threshold:
        raise RulesError(path, "service_day_threshold", "must not exceed visit_threshold")
    if not 1 <= rules.horizon_days <= 28:
        raise RulesError(path, "horizon_days", "must be between 1 and 28")
    return rules


def _plan_date(path: Path, value: Any) -> str:
    """A plan date as ISO text (TOML dates and 'YYYY-MM-DD' strings both work)."""
    from datetime import date  # noqa: PLC0415

    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise RulesError(path, "plan_date", f"expected a date YYYY-MM-DD, got {value!r}") from exc


def load_rules(
    home: Path, named: Path | None = None, *, named_by: str = "rules file"
) -> tuple[VisitRules, Path | None]:
    """The rules in force for ``home`` and the file they came from (None: the defaults).
    ``named`` (given by ``named_by``, e.g. an environment variable) must exist; without it,
    ``home/config/visits.toml`` if it exists."""
    if named is not None:
        if not named.is_file():
            raise RulesError(named, named_by, "the file does not exist")
        return rules_from_file(named), named
    path = home / RULES_FILE
    if path.is_file():
        return rules_from_file(path), path
    return VisitRules(), None
