"""党建地图 (party-branch map): an offline vector basemap, the branches coloured by 三会一课 completion,
and where this terminal stands (BeiDou), with distance and direction to each branch.

Why it is built this way:

- Offline first: the basemap is a GeoJSON file the site supplies (``map.geojson`` in config; the demo
  site ships a fictional town, used only while the demo site is configured), drawn with pygame — no tile
  server, no internet. A site without a basemap gets its branches on plain ground and a line saying there
  is no basemap and which setting adds one — never the demo's streets.
- Status is never colour alone: each branch marker carries a shape (✓ ! ×) and its label says the state
  in words (按期完成 / 需关注 / 滞后), the same vocabulary as the dashboard.
- Touch first: drag to pan (with a short fling), pinch, double-tap, or double-tap-and-drag with one
  finger, plus ≥ 80 px buttons (+ − 回到本机) for anyone who does not pinch.
- Search without a keyboard: a button per branch centres the map on it and opens its card.
- Privacy: only branches and public sites are drawn; no member's position exists anywhere in it.

The package by concern:

- ``pins.py``: what the map knows of each branch, read through core's services (no SQL here);
- ``basemap.py``: loading, styling and drawing the GeoJSON streets and their names;
- ``markers.py``: branch markers, 本机 and the scale bar, placed so none hides another;
- ``view.py``: :class:`MapView`, the canvas — projection, panning, zoom, pinch, hit testing;
- ``cards.py``: the branch buttons, the branch card and the legend;
- ``position_card.py``: 本机位置, the BeiDou card;
- ``screen.py``: :class:`MapScreen` — layout, Position events, search and 回到本机.
"""

from __future__ import annotations

from kiosk.screens.map.basemap import load_basemap
from kiosk.screens.map.cards import BranchButton, BranchCard, Legend
from kiosk.screens.map.markers import TerminalMark
from kiosk.screens.map.pins import BranchPin, load_pins
from kiosk.screens.map.position_card import GnssPanel, age_text
from kiosk.screens.map.screen import BUTTON_ZOOM, SCREENS, MapScreen
from kiosk.screens.map.view import MAX_SCALE, MIN_SCALE, MapView, sdl_fingers

__all__ = [
    "BUTTON_ZOOM",
    "MAX_SCALE",
    "MIN_SCALE",
    "SCREENS",
    "BranchButton",
    "BranchCard",
    "BranchPin",
    "GnssPanel",
    "Legend",
    "MapScreen",
    "MapView",
    "TerminalMark",
    "age_text",
    "load_basemap",
    "load_pins",
    "sdl_fingers",
]
