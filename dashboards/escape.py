"""One escaping helper for everything the data or a user supplies that a page puts into Markdown.

Streamlit renders ``st.markdown``, ``st.caption``, ``st.info`` and friends, and the labels of
widgets and metrics, as Markdown: a DEX serial or a location name such as
``x`![t](http://e.invalid/p.png)`y`` would otherwise become an image fetched from a foreign host
(a tracking pixel), a link, or a code span that swallows the rest of the line. :func:`md`
backslash-escapes every ASCII punctuation character (CommonMark lets any of them be escaped, and
then shows it literally), which also covers Streamlit's own ``:red[...]``, ``:material/...:`` and
``$...$`` syntax, and folds line breaks so a value cannot start a heading or a list.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")


def md(value: object) -> str:
    """``value`` as text that Markdown shows literally (``None`` as an empty string)."""
    if value is None:
        return ""
    return _PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(value)))
