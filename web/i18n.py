"""Chinese first, English on request: the language is a cookie set by /lang/zh and /lang/en."""

from __future__ import annotations

from starlette.requests import Request

LANGS = ("zh", "en")
COOKIE = "dj_lang"


def lang_of(request: Request) -> str:
    value = request.cookies.get(COOKIE, "")
    return value if value in LANGS else request.app.state.web.default_lang


def translator(lang: str):
    """``t("中文", "English")`` picks the visitor's language; every string in the templates goes through it."""
    def t(zh: str, en: str) -> str:
        return en if lang == "en" and en else zh
    return t


STATE_WORDS = {
    "present": ("已签到", "Present"), "late": ("迟到", "Late"), "absent": ("缺席", "Absent"),
    "open": ("进行中，未签到", "In progress: not signed in yet"),
    "walk_in": ("列席", "Attended (guest)"), "done": ("本期已开", "Held this period"),
    "scheduled": ("本期已安排", "Scheduled this period"), "pending": ("本期未安排", "Not yet scheduled"),
    "green": ("按期完成", "On track"), "amber": ("缺 1 次", "1 missed"), "red": ("缺多次", "Several missed"),
}

TYPE_EN = {"支部党员大会": "Branch general meeting", "支委会": "Branch committee meeting",
           "党小组会": "Party group meeting", "党课": "Party lecture"}

#: How a sign-in was made (``core.models.SIGN_IN_METHODS``), as a member reads it.
METHOD_WORDS = {"face": ("人脸", "face"), "pin": ("PIN", "PIN"), "qr": ("扫码", "QR code"),
                "admin": ("管理员代签", "by an administrator")}
