"""Which warehouse views each role may query through the assistant.

Views are granted by the catalog folder they come from (``transforms.catalog.CATALOG``): the
office roles read the master data, the marts and the model outputs; the raw DEX tables (file
names, archive hashes, quarantine reasons) are for admins and managers, who run intake. A view
the catalog gains later is admin-only until it is granted here (deny by default). Drivers do not
use the assistant (``Action.ASK`` is not theirs).
"""

from __future__ import annotations

from collections.abc import Iterable

FULL_ACCESS = frozenset({"admin", "system"})
FOLDERS_BY_ROLE: dict[str, frozenset[str]] = {
    "manager": frozenset({"raw", "master", "marts", "ml"}),
    "viewer": frozenset({"master", "marts", "ml"}),
}


def views_for(role: str, catalog: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The views of ``catalog`` (``(folder, view)`` pairs) that ``role`` may query: every view for
    admins and the operator's shell, the granted folders' views for the others."""
    if role in FULL_ACCESS:
        return frozenset(view for _, view in catalog)
    folders = FOLDERS_BY_ROLE.get(role, frozenset())
    return frozenset(view for folder, view in catalog if folder in folders)
