"""Signed QR codes for meeting sign-in (扫码签到): the kiosk shows one, the members' web app checks it.

A token says "meeting M, shown at terminal T, in the 30-second window W", sealed with HMAC-SHA256 under a
per-site key. The kiosk issues a new one each window; the web app accepts the current window and the one
before (a phone needs a few seconds to scan, open the page and log in), plus ``CLOCK_SKEW`` of slack for
two machines whose clocks differ a little. A photo of the code sent to someone at home is therefore
useless a minute later, and nobody can make a code for another meeting without the key.

The meeting is named by its uuid, not its row id: in a fleet the web app runs on the central PostgreSQL,
where the kiosk's local ids mean nothing (roster_sync and the outbox key meetings by uuid too). Version 1
carried the local id and is refused (the kiosk and the web app come from one release; a code lives a
minute).

Why HMAC and not Ed25519: both ends (kiosk and web app) are ours and hold the same site key, so a
signature that anyone could check buys nothing, while an Ed25519 signature alone is 64 bytes — a denser
QR code that a phone reads less easily from two metres. The tag is HMAC-SHA256 cut to 12 bytes (96 bits,
as IPsec's HMAC-SHA1-96 and TLS's Finished message): a code is only ever checked online, at most 30 a
minute from one address, and lives a minute, so guessing a tag is out of reach, and the 16-byte uuid
then still fits the QR version the 4-byte id needed (37×37 modules for a short https address). The
token is 34 bytes plus the terminal id, about 56 URL-safe characters.

Binary layout (then base64url without padding)::

    version(1)=2 | window(4, big-endian, unix seconds // 30) | meeting uuid(16) | len(1) | terminal_id | tag(12)

The key lives like the face key (``core.facecrypt``): ``$DANGJIAN_QR_KEY`` (url-safe base64 of 32 bytes)
or a file readable by its owner only, ``web.qr_key_file`` or ``<site.data_dir>/qr.key``, created with
mode 0600 on first use. The web server must read the same key (same data_dir, the same file copied, or
the same environment variable), or every code is refused as forged.

Scanning again: ``sign_in_with_token`` is the whole path the web app calls — verify, find the meeting by
uuid, ``core.attendance.sign_in(method="qr")`` at the terminal that showed the code (so that kiosk greets
the member). A member who scans the same code (or a later one) again is already signed in: the first
record is returned (``created`` False; the page says 您已签到), nothing more is written. A colleague may
scan the same code for themself. Every refusal — malformed, forged, expired, not yet valid, unknown
meeting, and a meeting the member cannot sign in to now (closed, not open yet, not on a 支委会's roster) —
is audited as ``qr.refused`` with its code.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import re
import struct
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from core.keyfiles import decode_key, read_key_file

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.attendance import SignInResult
    from core.config_sections import Config
    from core.models import Meeting, Member

KEY_ENV = "DANGJIAN_QR_KEY"
WINDOW_SECONDS = 30
#: Accepted windows: the current one and this many before it.
PREVIOUS_WINDOWS = 1
#: Slack for the clocks of the kiosk and the web server.
CLOCK_SKEW = timedelta(seconds=5)
_VERSION = 2
_TAG = 12
_HEAD = struct.Struct(">BI16sB")
_TERMINAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_LABEL = b"dangjian-qr-signin"

#: (code) → (中文, English) shown to the member on the phone.
MESSAGES = {
    "malformed": ("二维码无法识别，请重新扫描签到屏上的二维码",
                  "This code cannot be read: scan the code on the sign-in screen again"),
    "forged": ("二维码无效：不是本系统签发的",
               "This code was not issued by this system"),
    "expired": ("二维码已过期，请扫描签到屏上当前的二维码",
                "This code has expired: scan the code the sign-in screen shows now"),
    "not_yet_valid": ("二维码尚未生效，请检查终端与服务器的时钟",
                      "This code is not valid yet: check the clocks of the terminal and the server"),
    "unknown_meeting": ("二维码对应的会议不存在",
                        "The meeting of this code does not exist"),
}


class QrRefused(ValueError):
    """A code that signs nobody in: ``code`` (one of ``MESSAGES``) and the member-facing ``zh``/``en``."""

    def __init__(self, code: str, zh: str | None = None, en: str | None = None) -> None:
        d_zh, d_en = MESSAGES[code]
        self.code, self.zh, self.en = code, zh or d_zh, en or d_en
        super().__init__(f"{self.zh} / {self.en}")


class QrKeyError(RuntimeError):
    """The QR key is malformed or too widely readable; the message names the variable or file."""


@dataclass(frozen=True)
class QrClaim:
    """What a valid code says."""

    meeting_uuid: str
    """Canonical text form (lower case, with hyphens), as ``core.models.Meeting.uuid`` holds it."""
    terminal_id: str
    window_start: datetime
    """UTC start of the 30-s window the code was issued in."""


# ------------------------------------------------------------------------------------------ tokens


def _window(now: datetime) -> int:
    if now.tzinfo is None:
        raise ValueError("naive datetime: use an aware datetime")
    return int(now.timestamp()) // WINDOW_SECONDS


def _mac(key: bytes, body: bytes) -> bytes:
    mac_key = hmac.new(key, _LABEL, hashlib.sha256).digest()  # never the stored key itself
    return hmac.new(mac_key, body, hashlib.sha256).digest()[:_TAG]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def issue(meeting_uuid: str, terminal_id: str, *, key: bytes, now: datetime) -> str:
    """The URL-safe token for the meeting ``meeting_uuid`` shown at ``terminal_id`` in ``now``'s 30-s
    window."""
    try:
        meeting = uuid.UUID(str(meeting_uuid)).bytes
    except ValueError:
        raise ValueError(f"meeting uuid {meeting_uuid!r} is not a uuid") from None
    if not _TERMINAL.fullmatch(terminal_id):
        raise ValueError(f"terminal id {terminal_id!r}: letters, digits, _ . - (at most 64)")
    tid = terminal_id.encode("ascii")
    body = _HEAD.pack(_VERSION, _window(now), meeting, len(tid)) + tid
    return _b64(body + _mac(key, body))


def token_bytes(token: str) -> bytes:
    """The decoded token; ``QrRefused('malformed')`` unless it is canonical base64url (so one code has
    exactly one spelling, and a replay cannot hide behind another)."""
    if not isinstance(token, str) or not 0 < len(token) <= 200 or not token.isascii():
        raise QrRefused("malformed")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise QrRefused("malformed") from None
    if _b64(raw) != token:
        raise QrRefused("malformed")
    return raw


def verify(token: str, *, key: bytes, now: datetime) -> QrClaim:
    """The claim of a valid token, else ``QrRefused`` with its code (checked in this order): malformed
    (a version-1 code too), forged (wrong key or any byte changed), expired / not_yet_valid. Whether the
    meeting exists is ``find_meeting``'s question."""
    raw = token_bytes(token)
    if len(raw) < _HEAD.size + 1 + _TAG:
        raise QrRefused("malformed")
    version, window, meeting, n = _HEAD.unpack_from(raw)
    body, tag = raw[:-_TAG], raw[-_TAG:]
    if version != _VERSION or len(body) != _HEAD.size + n:
        raise QrRefused("malformed")
    if not hmac.compare_digest(_mac(key, body), tag):
        raise QrRefused("forged")
    terminal_id = body[_HEAD.size:].decode("ascii", "replace")
    if window < _window(now - CLOCK_SKEW) - PREVIOUS_WINDOWS:
        raise QrRefused("expired")
    if window > _window(now + CLOCK_SKEW):
        raise QrRefused("not_yet_valid")
    return QrClaim(str(uuid.UUID(bytes=meeting)), terminal_id, datetime.fromtimestamp(window * WINDOW_SECONDS, UTC))


def find_meeting(session: Session, claim: QrClaim) -> Meeting:
    """The meeting ``claim`` names, by uuid (one indexed look-up); ``QrRefused('unknown_meeting')``."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from core.models import Meeting

    meeting = session.scalars(select(Meeting).options(joinedload(Meeting.branch))
                              .where(Meeting.uuid == claim.meeting_uuid)).first()
    if meeting is None:
        raise QrRefused("unknown_meeting")
    return meeting


def window_ends(now: datetime) -> datetime:
    """When the kiosk should show the next code (the end of ``now``'s window)."""
    return datetime.fromtimestamp((_window(now) + 1) * WINDOW_SECONDS, UTC)


def url_for(base_url: str, token: str) -> str:
    """The web app's sign-in page for ``token``: ``<base_url>/qr/<token>``."""
    return f"{base_url.rstrip('/')}/qr/{token}"


# --------------------------------------------------------------------------------------------- key


_NEW_KEY = "delete the file to have a new one made; phones then need a fresh code"


def _decode_key(value: str, where: str) -> bytes:
    return decode_key(value, where, error=QrKeyError, name="the QR sign-in key", advice=_NEW_KEY)


def key_file_for(config: Config) -> Path:
    """``web.qr_key_file`` when set, else ``<site.data_dir>/qr.key``."""
    path = config.web.qr_key_file
    return Path(path) if path is not None else Path(config.site.data_dir) / "qr.key"


def load_key(config: Config, environ: Mapping[str, str] | None = None) -> bytes:
    """The site's 32-byte QR key: ``$DANGJIAN_QR_KEY``, else the key file (created, mode 0600, when it
    does not exist yet; refused when others may read it)."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return _decode_key(env[KEY_ENV], f"environment {KEY_ENV}")
    path = key_file_for(config)
    if not path.exists():
        _create_key_file(path)
    return read_key_file(path, error=QrKeyError, name="the QR sign-in key", label="QR key", advice=_NEW_KEY)


def _create_key_file(path: Path) -> None:
    """Write a new key with mode 0600, atomically: it is written under a temporary name and linked into
    place, so a web server and a kiosk starting together never read a half-written key, and the second
    one to link reads the first one's key instead of replacing it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.urlsafe_b64encode(os.urandom(32)).decode("ascii") + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------ the whole path


def sign_in_with_token(session: Session, token: str, member: Member, *, key: bytes, now: datetime,
                       ip: str = "") -> SignInResult:
    """Sign the logged-in ``member`` in with a scanned code: ``verify``, ``find_meeting``, then
    ``core.attendance.sign_in(method="qr")`` at the terminal that showed the code — committed with its
    lateness, audit and outbox rows as any sign-in. Idempotent: a member already signed in (this code
    scanned twice, or a later one) gets the first record back (``created`` False) and nothing is written.
    Raises ``QrRefused`` or ``core.attendance.SignInError`` (closed, not open yet, not on a 支委会's roster);
    either is audited as ``qr.refused`` with its code, committed, and nothing else is written."""
    from core.attendance import SignInError, sign_in
    from core.audit import audit

    actor, terminal, target = f"member:{member.number}", "", ""

    def refused(code: str, **detail) -> None:
        session.rollback()
        audit(session, actor, "qr.refused", target, terminal, code=code, ip=ip, step="confirm", **detail)
        session.commit()

    try:
        claim = verify(token, key=key, now=now)
        terminal, target = claim.terminal_id, f"meeting:{claim.meeting_uuid}"
        meeting = find_meeting(session, claim)
    except QrRefused as exc:
        refused(exc.code)
        raise
    try:
        return sign_in(session, meeting, member, method="qr", terminal_id=claim.terminal_id, now=now)
    except SignInError as exc:
        refused("sign_in", reason=str(exc)[:200])
        raise
    except Exception:
        session.rollback()
        raise
