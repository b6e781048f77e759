"""Reusable touch UI toolkit for the 智慧党建 kiosk (pygame).

Modules, one concern each:

- ``fonts``    find a Simplified-Chinese font and cache sized ``pygame.freetype`` fonts
- ``text``     pixel-width line breaking with 禁则 (kinsoku) rules (``textshape.wrap``, shared with the hall)
- ``theme``    palette, type scale and spacing that scale with the screen; WCAG contrast
- ``gestures`` raw pygame events → Tap / LongPress / Drag / Swipe / Fling, touch+mouse de-duplicated
- ``layout``   rect helpers and a tile grid for landscape and portrait
- ``drawing``  small drawing primitives (baseline-aligned text, rounded cards)
- ``widgets``  Button, Tile, Label, Paragraph, ScrollList, NumericKeypad, Header, Banner, Dialog,
               ProgressBar, BarChart, Donut
- ``screens``  Screen base class, Navigator (stack + transitions + shell header) with a failsafe
- ``loop``     the main loop: events → gestures → navigator, drawing only dirty rects
- ``demo``     ``python -m kiosk.ui.demo --out showcase.png`` renders the toolkit headless

Nothing here imports a device library or the domain beyond ``core.fonts`` (font paths): screens get data handed in.
This package does not import pygame at import time; its modules do.
"""
