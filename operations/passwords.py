"""The password policy: 12 characters or more, not a common password, not the user name.

No composition rules (they push people to ``Password1!``): length and a list of common
passwords do the work. The list (``operations/data/common-passwords.txt``, built by
``operations.data.make_common_passwords``) ships with the project, is read once per process
and compared case-insensitively.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from operations.errors import ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 1024
COMMON_PASSWORDS = Path(__file__).with_name("data") / "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (read once)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def check_password(password: object, *, username: str | None = None) -> str:
    """``password`` if the policy accepts it, else :class:`ValidationError` saying why.

    The error never shows the password (its value reads ``***``).
    """
    if not isinstance(password, str):
        raise ValidationError("password", "***", f"must be text, not {type(password).__name__}")
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationError("password", "***", f"must be {MIN_LENGTH} to {MAX_LENGTH} characters")
    folded = password.lower()
    if folded in common_passwords():
        raise ValidationError("password", "***", "is on the list of common passwords")
    if username is not None and folded == username.lower():
        raise ValidationError("password", "***", "must not be the user name")
    return password
