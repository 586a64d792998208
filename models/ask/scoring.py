"""Whether an answer's rows are the reference's rows: the assistant's evaluation compares result
sets, not SQL text.

Values are normalised (numbers of any type to 2 decimals, dates and times to ISO text). Every
reference column must appear among the answer's columns (matched by their values, so names and
order do not matter); extra answer columns are allowed (a name beside an id helps a reader).
Rows are compared as a multiset, or in order when the question asks for an order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from itertools import permutations
from typing import Any

Row = tuple[Any, ...]
MAX_EXTRA_COLUMNS = 6  # beyond this many answer columns, only the greedy match is tried


def normalise(value: Any) -> Any:
    """A comparable form of one value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        number = float(value)
        if math.isnan(number):
            return None
        return round(number, 2) + 0.0  # -0.0 and 0.0 alike
    if isinstance(value, dt.datetime) and value.tzinfo is None and value.time() == dt.time():
        return value.date().isoformat()  # a day, whether typed DATE or a midnight TIMESTAMP
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return normalise(value.item())
    return str(value)


def same_result(expected: Sequence[Row], got: Sequence[Row], *, ordered: bool = False) -> bool:
    """Whether ``got`` holds ``expected``'s rows (see the module's rules)."""
    want = [tuple(normalise(v) for v in row) for row in expected]
    have = [tuple(normalise(v) for v in row) for row in got]
    if len(want) != len(have):
        return False
    if not want:
        return True
    width, got_width = len(want[0]), len(have[0])
    if got_width < width:
        return False
    for columns in _column_matches(want, have, width, got_width):
        projected = [tuple(row[i] for i in columns) for row in have]
        if projected == want if ordered else Counter(projected) == Counter(want):
            return True
    return False


def _column_matches(
    want: list[Row], have: list[Row], width: int, got_width: int
) -> list[tuple[int, ...]]:
    """Candidate mappings of reference columns to answer columns whose values agree as sets."""
    values = [Counter(row[i] for row in have) for i in range(got_width)]
    options = [
        [j for j in range(got_width) if values[j] == Counter(row[i] for row in want)]
        for i in range(width)
    ]
    if any(not found for found in options):
        return []
    if got_width > width + MAX_EXTRA_COLUMNS:
        greedy: list[int] = []
        for found in options:
            free = [j for j in found if j not in greedy]
            if not free:
                return []
            greedy.append(free[0])
        return [tuple(greedy)]
    return [
        choice
        for choice in permutations(range(got_width), width)
        if all(choice[i] in options[i] for i in range(width))
    ][:50]
