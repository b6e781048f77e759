"""Chinese text normalisation for speech: write out what a reader says for digits and symbols.

Why: the acoustic model only knows Chinese syllables. "45.00元" must become 四十五元, "2020年7月31日"
二零二零年七月三十一日, "1.5%" 百分之一点五, "3000元以上至5000元" 三千元以上至五千元, "9:00-17:00"
九点到十七点, a phone number digit by digit (with 幺 for 1, as Chinese speakers read them). Anything
left unread is dropped by the front end, so a number that is not written out here is silence.

Rules run in a fixed order, most specific first (dates and times before plain numbers), each a regular
expression over the text; what they produce is plain Chinese characters.
"""

from __future__ import annotations

import re

_DIGITS = "零一二三四五六七八九"
_UNITS = ["", "十", "百", "千"]
_BIG = ["", "万", "亿", "万亿"]

# A "2" before these is read 两 (两个, 两位, 两次), as everyone says it.
_LIANG_BEFORE = set("个位名次条项件种天年周月岁条本张家层间所座人")

_UNIT_WORDS = {
    "km²": "平方公里", "m²": "平方米", "km": "公里", "cm": "厘米", "mm": "毫米", "kg": "公斤",
    "°C": "摄氏度", "℃": "摄氏度", "kWh": "千瓦时", "kW": "千瓦", "MW": "兆瓦", "GW": "吉瓦",
}


def digits(s: str, yao: bool = False) -> str:
    """Read a digit string one digit at a time (years, phone numbers, codes)."""
    out = "".join(_DIGITS[int(c)] for c in s if c.isdigit())
    return out.replace("一", "幺") if yao else out


def _four(n: int) -> str:
    """0 < n < 10000 in Chinese, with 零 for inner gaps."""
    s = ""
    zero = False
    for i, d in enumerate(f"{n:04d}"):
        pos = 3 - i
        if d == "0":
            zero = bool(s)
            continue
        if zero:
            s += "零"
            zero = False
        s += _DIGITS[int(d)] + _UNITS[pos]
    return s


def integer(n: int | str) -> str:
    """An integer as it is read: 105 一百零五, 3000 三千, 12 十二, 20000 两万."""
    n = int(n)
    if n == 0:
        return "零"
    if n >= 10**16:
        return digits(str(n))
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    need_zero = False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or g < 1000):
            out += "零"
        out += _four(g) + _BIG[i]
        need_zero = False
    if out.startswith("一十"):
        out = out[1:]  # 十二, not 一十二
    if out.startswith("二") and len(out) > 1 and out[1] in "千万亿":
        out = "两" + out[1:]  # 两千, 两万
    return out


def number(s: str) -> str:
    """A decimal or integer string: 1.5 一点五, 0.05 零点零五, 12 十二."""
    s = s.replace(",", "")
    if "." in s:
        whole, frac = s.split(".", 1)
        return integer(whole or "0") + ("点" + digits(frac) if frac else "")
    if len(s) > 1 and s.startswith("0"):
        return digits(s)
    return integer(s)


def money(amount: str) -> str:
    """45.00 四十五元, 45.50 四十五元五角, 0.05 五分, 12.35 十二元三角五分."""
    amount = amount.replace(",", "")
    whole, _, frac = amount.partition(".")
    frac = (frac + "00")[:2]
    jiao, fen = int(frac[0]), int(frac[1])
    yuan = int(whole or "0")
    out = integer(yuan) + "元" if yuan or not (jiao or fen) else ""
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif fen and yuan:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return out


def _date(m: re.Match) -> str:
    y, mo, d = m.group("y"), m.group("m"), m.group("d")
    out = digits(y) + "年" if y else ""
    if mo:
        out += integer(mo) + "月"
    if d:
        out += integer(d) + (m.group("suffix") or "日")
    return out


def _time(m: re.Match) -> str:
    h, mi = int(m.group(1)), int(m.group(2))
    out = integer(h) + "点"
    if mi == 30:
        out += "半"
    elif mi:
        out += ("零" if mi < 10 else "") + integer(mi) + "分"
    return out


def _phone(m: re.Match) -> str:
    return "，".join(digits(part, yao=True) for part in re.split(r"[-\s]", m.group(0)) if part)


def _plain(m: re.Match) -> str:
    s = m.group(0)
    if s == "2" and m.end() < len(m.string) and m.string[m.end()] in _LIANG_BEFORE:
        return "两"
    return number(s)


_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_RULES: list[tuple[re.Pattern, object]] = [
    # phone numbers: 0xx-xxxxxxxx, 1xx xxxx xxxx, 400-xxx-xxxx; read digit by digit
    (re.compile(r"(?<!\d)(?:0\d{2,3}-\d{7,8}|400-\d{3}-\d{4}|1[3-9]\d(?:[-\s]?\d{4}){2})(?!\d)"), _phone),
    (re.compile(r"(?<![\d.])(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?P<suffix>)(?![\d])"), _date),
    (re.compile(r"(?:(?P<y>\d{4})年)?(?:(?P<m>\d{1,2})月)?(?:(?P<d>\d{1,2})(?P<suffix>[日号]))?"
                r"(?<=[年月日号])"), lambda m: _date(m) if m.group(0) else ""),
    (re.compile(r"(?<!\d)(\d{1,2})[:：](\d{2})(?!\d)"), _time),
    (re.compile(r"[¥￥]\s*(" + _NUM + r")"), lambda m: money(m.group(1))),
    (re.compile(r"(" + _NUM + r")\s*元(?![旦宵])"), lambda m: money(m.group(1))),
    (re.compile(r"(" + _NUM + r")\s*[%％]"), lambda m: "百分之" + number(m.group(1))),
    (re.compile(r"(" + _NUM + r")\s*‰"), lambda m: "千分之" + number(m.group(1))),
    (re.compile(r"(" + _NUM + r")\s*(" + "|".join(re.escape(u) for u in sorted(_UNIT_WORDS, key=len, reverse=True))
                + r")(?![A-Za-z])"), lambda m: number(m.group(1)) + _UNIT_WORDS[m.group(2)]),
    (re.compile(r"(?<!\d)(\d{5,})(?!\d|\.\d)(?=\D*$|[^\d年元万亿千百十个位名次])"),
     lambda m: digits(m.group(1)) if m.group(1).startswith("0") else number(m.group(1))),
    (re.compile(_NUM), _plain),
]

# A range sign between two spoken numbers (after the rules above they are Chinese): 到.
_RANGE = re.compile(r"(?<=[零一二三四五六七八九十百千万亿两点半分元角%日月年号])\s*[-~～—–]{1,2}\s*(?=[零一二三四五六七八九十两])")
_SYMBOLS = {"+": "加", "×": "乘", "≥": "大于等于", "≤": "小于等于", ">": "大于", "<": "小于", "=": "等于", "&": "和",
            "@": "艾特", "#": "号"}


def normalize(text: str) -> str:
    """Text as it is read aloud: every digit and the common symbols written out in Chinese characters."""
    text = text.replace("\u3000", " ")
    # a range whose first number has no unit takes the unit of the second: 3000-5000元 → 三千到五千元
    text = re.sub(r"(" + _NUM + r")\s*[-~～—–]\s*(?=" + _NUM + r"\s*[元%％])", r"\1到", text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)  # type: ignore[arg-type]
    text = _RANGE.sub("到", text)
    for sym, word in _SYMBOLS.items():
        text = text.replace(sym, word)
    return text


if __name__ == "__main__":  # demo: python -m robot_assistant.voice.textnorm "党费为45.00元"
    import sys

    print(normalize(" ".join(sys.argv[1:]) or "2020年7月31日起，月收入3000元以上至5000元的交纳1.5%，每月45.00元。"))
