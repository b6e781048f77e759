"""Text shaping that the kiosk (pygame) and the hall (Panda3D) share, and that neither owns.

- ``wrap``  pixel-width line breaking with 禁则 (kinsoku) rules for Chinese and English, Thai and other
            scripts written without spaces broken between words (``words``); pure functions that take a
            ``measure(text) -> int`` from whichever renderer draws the text
- ``words`` where a line may break inside a run of Thai (a dictionary, pythainlp), Lao, Khmer or Myanmar
- ``bidi``  right-to-left text (Arabic, Hebrew) for renderers that neither reorder nor shape

Why a package of its own: the hall wrapped its 3-D text with the kiosk's ``kiosk.ui.text``, so vr_hall
imported kiosk (and the hall's child process loaded the kiosk's package). Nothing here imports pygame,
Panda3D, kiosk or vr_hall (tests/hall/test_text3d.py imports the hall with kiosk blocked).
"""
