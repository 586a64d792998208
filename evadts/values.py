"""Element values: numbers with implied decimals, dates, times, sentinels, escapes."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

SENTINELS = frozenset({"FFFF", "FFFFFFFF", "4294967295"})
_ESCAPE = re.compile(r"\^([0-9A-Fa-f]{2})\^")


class ElementError(ValueError):
    """An element that is present but cannot be read; the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def unescape(text: str) -> str:
    """Replace ``^XX^`` escapes by the byte they name (``^2A^`` is ``*``)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "^" in text else text


def to_int(text: str) -> int:
    """An integer element: zero-padded or space-padded digits, maybe signed.

    Raises ElementError with code ``sentinel`` for the "unknown" markers, ``bad_number`` else.
    """
    if text in SENTINELS:
        raise ElementError("sentinel", f"{text} means unknown")
    try:
        return int(text)
    except ValueError:
        raise ElementError("bad_number", f"{text!r} is not a number") from None


def scale(amount: int, decimals: int) -> Decimal:
    """Money from its integer form with ``decimals`` implied decimal places."""
    return Decimal(amount).scaleb(-decimals)


def unscale(amount: Decimal, decimals: int) -> int:
    """The integer form of ``amount`` with ``decimals`` implied places (exact or it raises)."""
    scaled = amount.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than {decimals} decimal places")
    return int(scaled)


def to_date(text: str) -> date | None:
    """``YYMMDD`` or ``YYYYMMDD``; all zeros means no date. Two-digit years are 20YY below 70."""
    if not text.isdecimal() or len(text) not in (6, 8):
        raise ElementError("bad_date", f"{text!r} is not YYMMDD or YYYYMMDD")
    if int(text) == 0:
        return None
    if len(text) == 6:
        yy = int(text[:2])
        year = 2000 + yy if yy < 70 else 1900 + yy
        month, day = int(text[2:4]), int(text[4:6])
    else:
        year, month, day = int(text[:4]), int(text[4:6]), int(text[6:8])
    try:
        return date(year, month, day)
    except ValueError:
        raise ElementError("bad_date", f"{text!r} is not a calendar date") from None


def to_time(text: str) -> time:
    """``HHMM`` or ``HHMMSS``."""
    if not text.isdecimal() or len(text) not in (4, 6):
        raise ElementError("bad_time", f"{text!r} is not HHMM or HHMMSS")
    hour, minute = int(text[:2]), int(text[2:4])
    second = int(text[4:6]) if len(text) == 6 else 0
    try:
        return time(hour, minute, second)
    except ValueError:
        raise ElementError("bad_time", f"{text!r} is not a time of day") from None


def combine(day: date | None, at: time | None) -> datetime | None:
    """Date and time to a naive datetime on the machine's clock (midnight when no time)."""
    if day is None:
        return None
    return datetime.combine(day, at or time(0, 0))
