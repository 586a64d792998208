"""Thumbnails of an order's before/after photos (the driver's page and the office's order view).

The thumbnails are the JPEGs ``operations.photos`` wrote beside each photo; a HEIC photo has
none and is listed by name. Captions are plain text (``st.image`` does not render Markdown).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboards import data, session
from dashboards.escape import md
from operations import photos
from operations.schema import OrderPhoto
from operations.services import visits

PER_ROW = 3


def _caption(photo: OrderPhoto) -> str:
    return f"{photo.kind} · {photo.uploaded_by} · {photo.uploaded_at:%H:%M}"


def show(shown: Sequence[OrderPhoto]) -> None:
    """The photos as a grid of thumbnails, ``PER_ROW`` to a row."""
    root = data.settings().photos
    for start in range(0, len(shown), PER_ROW):
        columns = st.columns(PER_ROW)
        for column, photo in zip(columns, shown[start : start + PER_ROW], strict=False):
            thumb = photos.thumbnail_path(root, photo.sha256)
            if thumb.is_file():
                column.image(str(thumb), caption=_caption(photo))
            else:
                column.caption(md(f"{_caption(photo)} · {photo.original_name} (no preview)"))


def order_photos(order_id: int) -> None:
    """The photos of one order, per cabinet, for the office's order view."""
    found = visits.list_photos(data.ops_db(), session.actor(), order_id)
    if not found:
        st.caption("No photos for this order.")
        return
    st.markdown(f"**Photos** ({len(found)})")
    show(found)
