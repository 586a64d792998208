"""One escaping helper for everything the data or a user supplies that a page puts into Markdown.

Streamlit renders ``st.markdown``, ``st.caption``, ``st.info`` and friends, and the labels of
widgets and metrics, as Markdown: a DEX serial or a location name such as
``x`![t](http://e.invalid/p.png)`y`` would otherwise become an image fetched from a foreign host
(a tracking pixel), a link, or a code span that swallows the rest of the line. :func:`md`
backslash-escapes (CommonMark shows an escaped punctuation character literally) every character
that starts Markdown or Streamlit syntax anywhere in a line: links and images, autolinks and
HTML, emphasis, code, tables, LaTeX, Streamlit's ``:red[...]`` and ``:icon:`` directives,
entities. Characters that only act at the start of a line (``-``, ``+``, ``=``, ``1.``) are
escaped there, and line breaks are folded so a value cannot start a new block. Ordinary
punctuation elsewhere (``.``, ``,``, ``'``, ``-`` inside words) stays as it is.
"""

from __future__ import annotations

import re

_ANYWHERE = re.compile(r"([\\`*_{}\[\]()<>#|~$!:&])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")


def md(value: object) -> str:
    """``value`` as text that Markdown shows literally (``None`` as an empty string)."""
    if value is None:
        return ""
    text = _ANYWHERE.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(value)))
    return _LINE_START.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", text)
