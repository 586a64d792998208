"""The documented schema the model writes SQL against: ``docs/warehouse.md``, cut per view.

``docs/warehouse.md`` has one section per view, headed ``### `name`: what a row is``, with a
table of its columns (``tests/test_warehouse_contract.py`` keeps it equal to the built views).
The prompt gets the document's conventions (times, money) and the sections of the views the
user's role may query, in the document's order, and nothing else: a view the role may not see is
not even named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_HEADING = re.compile(r"^### `([a-z0-9_]+)`", re.MULTILINE)
# The paragraphs of the document's introduction that say how to read every view.
_CONVENTIONS = (
    re.compile(r"^Times: .*?(?=\n\n)", re.MULTILINE | re.DOTALL),
    re.compile(r"^### Rollups\n.*?(?=\n\n)", re.MULTILINE | re.DOTALL),
)


@dataclass(frozen=True)
class WarehouseDoc:
    """The document cut into its conventions and one section per view."""

    conventions: str
    sections: dict[str, str]  # view -> its section (heading, description, column table)

    def for_views(self, views: frozenset[str]) -> str:
        """The conventions and the sections of ``views`` (those documented), as one text."""
        parts = [self.conventions] if self.conventions else []
        parts += [text for view, text in self.sections.items() if view in views]
        return "\n\n".join(parts)


def load_doc(path: Path) -> WarehouseDoc:
    """Read and cut ``docs/warehouse.md`` (or another document in its shape)."""
    text = path.read_text(encoding="utf-8")
    matches = list(_HEADING.finditer(text))
    sections: dict[str, str] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[match.start() : end]
        cut = re.search(r"^#{1,3} ", body[3:], re.MULTILINE)  # a higher heading ends it
        if cut:
            body = body[: cut.start() + 3]
        sections[match.group(1)] = body.strip()
    found = (pattern.search(text) for pattern in _CONVENTIONS)
    conventions = "\n\n".join(m.group(0).strip().removeprefix("### ") for m in found if m)
    return WarehouseDoc(conventions, sections)
