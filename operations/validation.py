"""Field checks shared by the services and the importer.

Each check takes the field name and the raw value (a Python value from a caller, or a string
from a CSV cell), returns the clean value, and raises :class:`ValidationError` naming the field
and the value otherwise. Identifiers (codes, serials, user names) are strict; display names accept
any printable Unicode but not the characters that only markup or SQL would want.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from operations.errors import ValidationError

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
# Deliberately narrower than RFC 5321: what real mailboxes use, nothing markup or a shell likes.
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,63}"
)
MAX_EMAIL = 254
SLOT_PATTERN = re.compile(r"([A-Z])([1-9][0-9]?)")
FORBIDDEN_IN_TEXT = frozenset("<>;{}`\\")
MAX_CODE = 64
MAX_NAME = 200


def _text(
    field: str, value: object, max_length: int, *, required: bool = True, nfc: bool = False
) -> str:
    """``value`` as stripped text (NFC-normalised if asked), refused when it is not text, is
    empty (where required) or longer than ``max_length``: what every text check starts with."""
    if not isinstance(value, str):
        raise ValidationError(field, value, f"must be text, not {type(value).__name__}")
    cleaned = value.strip()
    if nfc:
        cleaned = unicodedata.normalize("NFC", cleaned)
    if required and not cleaned:
        raise ValidationError(field, value, "must not be empty")
    if len(cleaned) > max_length:
        raise ValidationError(field, value, f"longer than {max_length} characters")
    return cleaned


def code(field: str, value: object, *, max_length: int = MAX_CODE) -> str:
    """An identifier: letters, digits and ``. _ / -``, starting with a letter or digit."""
    cleaned = _text(field, value, max_length)
    if not CODE_PATTERN.fullmatch(cleaned):
        raise ValidationError(
            field, value, "may hold only letters, digits and . _ / - (starting with letter/digit)"
        )
    return cleaned


def dex_serial(field: str, value: object) -> str:
    """A DEX serial as machines send it (ID101): printable ASCII, inner spaces allowed."""
    cleaned = _text(field, value, MAX_CODE)
    if not all(" " <= ch <= "~" for ch in cleaned):
        raise ValidationError(field, value, "may hold only printable ASCII characters")
    return cleaned


def username(field: str, value: object) -> str:
    """A user name: lower-case letters, digits and ``. _ -``, starting with a letter or digit."""
    cleaned = _text(field, value, MAX_CODE)
    if not USERNAME_PATTERN.fullmatch(cleaned):
        raise ValidationError(
            field,
            value,
            "may hold only lower-case letters, digits and . _ - (starting with a letter or digit)",
        )
    return cleaned


def email(field: str, value: object) -> str:
    """An email address ``local@domain.tld`` (ASCII, no quoting or comments); the domain is
    lower-cased."""
    cleaned = _text(field, value, MAX_EMAIL)
    if not EMAIL_PATTERN.fullmatch(cleaned):
        raise ValidationError(field, value, "is not an email address like name@example.com")
    local, domain = cleaned.rsplit("@", 1)
    if len(local) > 64:
        raise ValidationError(field, value, "has more than 64 characters before the @")
    return f"{local}@{domain.lower()}"


def name(field: str, value: object, *, max_length: int = MAX_NAME, required: bool = True) -> str:
    """Display text: printable Unicode, no control characters, none of ``< > ; { } ` \\``."""
    cleaned = _text(field, value, max_length, required=required, nfc=True)
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise ValidationError(field, value, "contains control characters")
    bad = sorted(FORBIDDEN_IN_TEXT.intersection(cleaned))
    if bad:
        raise ValidationError(field, value, f"must not contain {' '.join(bad)}")
    return cleaned


def integer(field: str, value: object, *, minimum: int, maximum: int) -> int:
    """A whole number in ``[minimum, maximum]``; digit strings are accepted (CSV cells)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(field, value, f"must be a whole number, not {type(value).__name__}")
    if isinstance(value, str):
        if not re.fullmatch(r"[+-]?[0-9]{1,18}", value.strip()):
            raise ValidationError(field, value, "must be a whole number")
        value = int(value.strip())
    if not minimum <= value <= maximum:
        raise ValidationError(field, value, f"must be between {minimum} and {maximum}")
    return value


def money_cents(field: str, value: object, *, maximum_cents: int = 10_000_00) -> int:
    """A non-negative amount in currency units (at most 2 decimals), returned in cents."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ValidationError(field, value, f"must be a decimal amount, not {type(value).__name__}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValidationError(field, value, "must be a decimal amount like 1.50") from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(field, value, "must be a finite amount, not negative")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValidationError(field, value, "has more than 2 decimals")
    if cents > maximum_cents:
        raise ValidationError(field, value, f"must be at most {Decimal(maximum_cents) / 100}")
    return int(cents)


def number(field: str, value: object, *, minimum: float, maximum: float) -> float:
    """A finite decimal number in ``[minimum, maximum]`` (coordinates)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValidationError(field, value, f"must be a number, not {type(value).__name__}")
    try:
        parsed = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise ValidationError(field, value, "must be a number") from None
    if not minimum <= parsed <= maximum:  # also false for NaN
        raise ValidationError(field, value, f"must be between {minimum} and {maximum}")
    return parsed


def choice(field: str, value: object, options: tuple[str, ...]) -> str:
    """One of ``options`` exactly."""
    if not isinstance(value, str) or value.strip() not in options:
        raise ValidationError(field, value, f"must be one of {', '.join(options)}")
    return value.strip()


def boolean(field: str, value: object) -> bool:
    """``True``/``False``, or the CSV spellings ``true``/``false``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ValidationError(field, value, "must be true or false")


def weekday_mask(field: str, value: object) -> str:
    """Seven ``0``/``1`` characters, Monday first (``1010100``)."""
    if not isinstance(value, str) or not re.fullmatch(r"[01]{7}", value.strip()):
        raise ValidationError(field, value, "must be 7 characters of 0/1, Monday first")
    return value.strip()


def slot_position(field: str, value: object, *, rows: int, columns: int) -> str:
    """A slot like ``A1``: a row letter within ``rows`` and a column number within ``columns``."""
    match = SLOT_PATTERN.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValidationError(field, value, "must be a row letter and column number, like A1")
    row_letter, column = match.groups()
    if ord(row_letter) - ord("A") >= rows or int(column) > columns:
        last = chr(ord("A") + rows - 1)
        raise ValidationError(field, value, f"outside the cabinet (A1 to {last}{columns})")
    return match.group(0)  # the whole stripped value


def calendar_date(field: str, value: object) -> date:
    """A date, or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(field, value, "must be a date (YYYY-MM-DD)")


def barcode(field: str, value: object) -> str | None:
    """A GTIN (EAN-8, UPC-A, EAN-13, GTIN-14) with a correct check digit; empty text is None."""
    cleaned = _text(field, value, 14, required=False)
    if not cleaned:
        return None
    if not re.fullmatch(r"[0-9]{8}|[0-9]{12,14}", cleaned):
        raise ValidationError(field, value, "must be 8, 12, 13 or 14 digits (EAN/UPC)")
    digits = [int(ch) for ch in cleaned]
    # GS1: weights 3 and 1 alternate from the digit left of the check digit
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    if (10 - total % 10) % 10 != digits[-1]:
        raise ValidationError(field, value, "has a wrong check digit")
    return cleaned


def web_url(field: str, value: object, *, max_length: int = 500) -> str | None:
    """An ``https://`` or ``http://`` address without spaces or quotes; empty text is None."""
    cleaned = _text(field, value, max_length, required=False)
    if not cleaned:
        return None
    if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s\"'<>`\\]*)?", cleaned):
        raise ValidationError(field, value, "must be a web address starting with https://")
    return cleaned
