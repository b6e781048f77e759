"""Touch widgets: one per file, all drawn with pygame.draw and the theme's fonts."""

from kiosk.ui.widgets.banner import Banner
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.button import Button, Pressable
from kiosk.ui.widgets.charts import BarChart, Donut
from kiosk.ui.widgets.container import Container
from kiosk.ui.widgets.dialog import Dialog
from kiosk.ui.widgets.header import Header, StatusItem, default_statuses, draw_status_icon
from kiosk.ui.widgets.keypad import NumericKeypad
from kiosk.ui.widgets.label import Label, Paragraph
from kiosk.ui.widgets.progress import ProgressBar
from kiosk.ui.widgets.scroll_list import ListItem, ScrollList
from kiosk.ui.widgets.tile import Tile

__all__ = [
    "Banner",
    "BarChart",
    "Button",
    "Container",
    "Dialog",
    "Donut",
    "Header",
    "Label",
    "ListItem",
    "NumericKeypad",
    "Paragraph",
    "Pressable",
    "ProgressBar",
    "ScrollList",
    "StatusItem",
    "Tile",
    "Widget",
    "default_statuses",
    "draw_status_icon",
]
