"""便民服务 (services): the party-dues calculator, the contacts directory, office hours and short guides.

- ``ServicesScreen``: the hub (three big tiles, and the organisation's phone and hours at a glance).
- ``DuesScreen``: pick a category with big toggles, type the after-tax monthly pay on the keypad, and
  read the monthly and yearly dues, the rate and the band; the table of bands marks the one that
  applies. Input the calculator cannot use (nothing typed, an absurd amount) gives a plain message,
  never an exception. The keypad has no decimal point: whole yuan is enough to find the band, and the
  dues are computed exactly (``Decimal``) by ``core.dues``.
- ``ContactsScreen``: branches (secretary, phone, meeting place) and committee members (anyone whose
  role is not plain 党员) with phones. A full IME is out of scope at a kiosk, so the directory is
  searched by typing digits of a phone number, by tapping a branch, or by a surname's pinyin initial.
- ``OfficeHoursScreen``: office hours, address and phone from the site, and how-to guides (党费,
  组织关系转接, 刷脸签到, 入党申请) in Chinese and English.

Chinese first: every label is written in the kiosk's language with the other one smaller beside or
under it.

One module per screen (``hub``, ``dues``, ``contacts``, ``office``), so each stays small enough to read
at once; the guides' text in ``guides``, shared helpers in ``common`` and shared widgets in ``widgets``.
This package re-exports their public names, so ``kiosk.screens.services.DuesScreen`` and the like keep
working.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.context import KioskContext
from kiosk.screens.services.common import digits, organisation_info, organisation_rows, pair
from kiosk.screens.services.contacts import (
    ROLE_ORDER,
    SURNAME_INITIALS,
    Contact,
    ContactsScreen,
    Style,
    lazy_pinyin,
    load_contacts,
    name_initial,
    short_branch,
)
from kiosk.screens.services.dues import (
    CATEGORIES,
    BandTable,
    DuesResult,
    DuesScreen,
    PayKeypad,
    band_rows,
    money,
)
from kiosk.screens.services.hub import SERVICES, Service, ServicesScreen
from kiosk.screens.services.office import Guide, OfficeHoursScreen
from kiosk.screens.services.widgets import Heading, InfoPanel, ToggleButton
from kiosk.ui.screens import Screen

__all__ = [
    "CATEGORIES",
    "ROLE_ORDER",
    "SCREENS",
    "SERVICES",
    "SURNAME_INITIALS",
    "BandTable",
    "Contact",
    "ContactsScreen",
    "DuesResult",
    "DuesScreen",
    "Guide",
    "Heading",
    "InfoPanel",
    "OfficeHoursScreen",
    "PayKeypad",
    "Service",
    "ServicesScreen",
    "Style",
    "ToggleButton",
    "band_rows",
    "digits",
    "lazy_pinyin",
    "load_contacts",
    "money",
    "name_initial",
    "organisation_info",
    "organisation_rows",
    "pair",
    "short_branch",
]

SCREENS: dict[str, Callable[[KioskContext], Screen]] = {
    "services": ServicesScreen,
    "dues": DuesScreen,
    "contacts": ContactsScreen,
    "office": OfficeHoursScreen,
}
