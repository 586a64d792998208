"""Navigation links for a stop, built from its coordinates alone (nothing is fetched).

``geo:`` (RFC 5870) opens the phone's own maps app; the OpenStreetMap URL works in any browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class NavigationLinks:
    """The two ways to get to a place."""

    geo: str
    web: str


def navigation_links(latitude: float | None, longitude: float | None) -> NavigationLinks | None:
    """Links to ``latitude``/``longitude`` (WGS 84 degrees); None when the place has none."""
    if latitude is None or longitude is None:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    lat, lon = f"{latitude:.6f}", f"{longitude:.6f}"
    query = urlencode({"mlat": lat, "mlon": lon})
    return NavigationLinks(
        geo=f"geo:{lat},{lon}",
        web=f"https://www.openstreetmap.org/?{query}#map=18/{lat}/{lon}",
    )
