"""Typed errors raised by the operational package.

Every error names what it concerns (the field and the offending value, the entity and its key)
so the CLI, the dashboards and the importer can show it to a person without translation.
"""

from __future__ import annotations


class OperationsError(Exception):
    """Base class of every error the operational package raises on purpose."""


class ValidationError(OperationsError):
    """A value is missing, malformed or breaks a business rule."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{field}={shown}: {problem}")


class NotFound(OperationsError):  # noqa: N818 - the name is the API
    """A referenced record does not exist (or was soft-deleted)."""

    def __init__(self, entity: str, key: object) -> None:
        self.entity = entity
        self.key = key
        super().__init__(f"{entity} {key!r} not found")


class Conflict(OperationsError):  # noqa: N818 - the name is the API
    """The write collides with existing data (a duplicate key, an illegal state transition)."""


class NotAllApplied(OperationsError):  # noqa: N818 - the name is the API
    """One item of an all-or-nothing batch was refused, so none of the batch was written."""

    def __init__(self, item: str, cause: OperationsError, batch: str) -> None:
        self.item = item
        self.cause = cause
        super().__init__(f"{item}: {cause}; so none of {batch} was changed")


class PermissionDenied(OperationsError):  # noqa: N818 - the name is the API
    """The acting user's role does not allow the action (or not on this record)."""

    def __init__(self, actor: str, role: str, action: str, detail: str = "") -> None:
        self.actor = actor
        self.role = role
        self.action = action
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{actor} (role {role}) may not {action}{suffix}")


class AuthenticationError(OperationsError):
    """Wrong user name or password, an expired or unknown session, or a locked account."""


class SchemaOutdated(OperationsError):  # noqa: N818 - the name is the API
    """The database has not been upgraded to the schema this code expects."""
