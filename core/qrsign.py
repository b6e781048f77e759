"""Signed QR codes for meeting sign-in (扫码签到): the kiosk shows one, the members' web app checks it.

A token says "meeting M, shown at terminal T, in the 30-second window W", sealed with HMAC-SHA256 under a
per-site key. The kiosk issues a new one each window; the web app accepts the current window and the one
before (a phone needs a few seconds to scan, open the page and log in), plus ``CLOCK_SKEW`` of slack for
two machines whose clocks differ a little. A photo of the code sent to someone at home is therefore
useless a minute later, and nobody can make a code for another meeting without the key.

Why HMAC and not Ed25519: both ends (kiosk and web app) are ours and hold the same site key, so a
signature that anyone could check buys nothing, while an Ed25519 signature alone is 64 bytes — a denser
QR code that a phone reads less easily from two metres. The tag is HMAC-SHA256 cut to 16 bytes (128
bits; RFC 2104 allows truncation to half the hash), the whole token is 34 bytes plus the terminal id,
about 46 URL-safe characters.

Binary layout (then base64url without padding)::

    version(1) | window(4, big-endian, unix seconds // 30) | meeting_id(4) | len(1) | terminal_id | tag(16)

The key lives like the face key (``core.facecrypt``): ``$DANGJIAN_QR_KEY`` (url-safe base64 of 32 bytes)
or a file readable by its owner only, ``web.qr_key_file`` or ``<site.data_dir>/qr.key``, created with
mode 0600 on first use. The web server must read the same key (same data_dir, the same file copied, or
the same environment variable), or every code is refused as forged.

Replay: a token signs a given member in at most once. ``record_use`` keeps (window, token, member) as a
row of the ``settings`` table (``qruse:<window>:<digest>``, as the PIN lockouts and web sessions keep
theirs), so no migration is needed; the primary key makes two racing requests conflict, and the zero-padded
window in the key lets old rows be deleted by a key range. ``sign_in_with_token`` is the whole path the web
app calls: verify, replay check, ``core.attendance.sign_in(method="qr")`` at the terminal that showed the
code (so that kiosk greets the member), every refusal audited as ``qr.refused``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import re
import stat
import struct
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.attendance import SignInResult
    from core.models import Member

KEY_ENV = "DANGJIAN_QR_KEY"
WINDOW_SECONDS = 30
#: Accepted windows: the current one and this many before it.
PREVIOUS_WINDOWS = 1
#: Slack for the clocks of the kiosk and the web server.
CLOCK_SKEW = timedelta(seconds=5)
_VERSION = 1
_TAG = 16
_HEAD = struct.Struct(">BIIB")
_TERMINAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_LABEL = b"dangjian-qr-signin:v1"

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
    "replayed": ("此二维码已为您签到过，请扫描签到屏上当前的二维码",
                 "This code has already signed you in: scan the code the sign-in screen shows now"),
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

    meeting_id: int
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


def issue(meeting_id: int, terminal_id: str, *, key: bytes, now: datetime) -> str:
    """The URL-safe token for ``meeting_id`` shown at ``terminal_id`` in ``now``'s 30-s window."""
    if not 0 < meeting_id < 2**32:
        raise ValueError(f"meeting id {meeting_id} out of range")
    if not _TERMINAL.fullmatch(terminal_id):
        raise ValueError(f"terminal id {terminal_id!r}: letters, digits, _ . - (at most 64)")
    tid = terminal_id.encode("ascii")
    body = _HEAD.pack(_VERSION, _window(now), meeting_id, len(tid)) + tid
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


def verify(token: str, *, key: bytes, now: datetime,
           meeting_exists: Callable[[int], bool] | None = None) -> QrClaim:
    """The claim of a valid token, else ``QrRefused`` with its code (checked in this order): malformed,
    forged (wrong key or any byte changed), expired / not_yet_valid, unknown_meeting (when
    ``meeting_exists`` is given and says no)."""
    raw = token_bytes(token)
    if len(raw) < _HEAD.size + 1 + _TAG:
        raise QrRefused("malformed")
    version, window, meeting_id, n = _HEAD.unpack_from(raw)
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
    if meeting_exists is not None and not meeting_exists(meeting_id):
        raise QrRefused("unknown_meeting")
    return QrClaim(meeting_id, terminal_id, datetime.fromtimestamp(window * WINDOW_SECONDS, UTC))


def window_ends(now: datetime) -> datetime:
    """When the kiosk should show the next code (the end of ``now``'s window)."""
    return datetime.fromtimestamp((_window(now) + 1) * WINDOW_SECONDS, UTC)


def url_for(base_url: str, token: str) -> str:
    """The web app's sign-in page for ``token``: ``<base_url>/qr/<token>``."""
    return f"{base_url.rstrip('/')}/qr/{token}"


# --------------------------------------------------------------------------------------------- key


def _decode_key(value: str, where: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(value.strip().encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise QrKeyError(f"{where}: the QR sign-in key must be url-safe base64 of 32 bytes "
                         f"(delete the file to have a new one made; phones then need a fresh code)")
    return key


def key_file_for(config: Any) -> Path:
    """``web.qr_key_file`` when set, else ``<site.data_dir>/qr.key``."""
    path = getattr(getattr(config, "web", None), "qr_key_file", None)
    return Path(path) if path is not None else Path(config.site.data_dir) / "qr.key"


def load_key(config: Any, environ: Mapping[str, str] | None = None) -> bytes:
    """The site's 32-byte QR key: ``$DANGJIAN_QR_KEY``, else the key file (created, mode 0600, when it
    does not exist yet; refused when others may read it)."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return _decode_key(env[KEY_ENV], f"environment {KEY_ENV}")
    path = key_file_for(config)
    if not path.exists():
        _create_key_file(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise QrKeyError(f"QR key file {path} has mode {mode:04o}: others can read it; run chmod 600 {path}")
    return _decode_key(path.read_text(), str(path))


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


# ------------------------------------------------------------------------------------------ replay

_USE_PREFIX = "qruse:"
#: Use rows older than this are deleted when a new one is written (their tokens have long expired).
KEEP_USES = timedelta(minutes=10)


def _use_key(window: int, raw: bytes, member_id: int) -> str:
    digest = hashlib.sha256(raw + b"|member:" + str(member_id).encode()).hexdigest()[:40]
    return f"{_USE_PREFIX}{window:010d}:{digest}"


def record_use(session: Session, token: str, member: Member, *, now: datetime) -> None:
    """Note that ``token`` signed ``member`` in (in ``session``; the caller commits it with the sign-in).
    ``QrRefused('replayed')`` when it already did. Call after ``verify``."""
    from sqlalchemy import delete

    from core.models import Setting

    raw = token_bytes(token)
    window = _HEAD.unpack_from(raw)[1]
    key = _use_key(window, raw, member.id)
    if session.get(Setting, key) is not None:
        raise QrRefused("replayed")
    oldest = _window(now - KEEP_USES)
    session.execute(delete(Setting).where(Setting.key >= _USE_PREFIX,
                                          Setting.key < f"{_USE_PREFIX}{oldest:010d}"))
    session.add(Setting(key=key, value={"member_id": member.id, "meeting_id": _HEAD.unpack_from(raw)[2],
                                        "used_at": now.isoformat()}))


def sign_in_with_token(session: Session, token: str, member: Member, *, key: bytes,
                       now: datetime) -> SignInResult:
    """Sign the logged-in ``member`` in with a scanned code: ``verify`` (the meeting must exist), refuse a
    replay, then ``core.attendance.sign_in(method="qr")`` — committed with the use, lateness and outbox row
    as for any sign-in; idempotent (``created`` False when already signed in). Raises ``QrRefused`` (audited
    ``qr.refused`` with its code, committed) or ``core.attendance.SignInError`` (meeting not open, not on
    the roster of a 支委会: the session is rolled back, nothing written)."""
    from sqlalchemy.exc import IntegrityError

    from core.attendance import sign_in
    from core.audit import audit
    from core.models import Meeting

    actor, terminal, target = f"member:{member.number}", "", ""

    def refuse(exc: QrRefused) -> QrRefused:
        session.rollback()
        audit(session, actor, "qr.refused", target, terminal, code=exc.code)
        session.commit()
        return exc

    try:
        claim = verify(token, key=key, now=now, meeting_exists=lambda mid: session.get(Meeting, mid) is not None)
        terminal, target = claim.terminal_id, f"meeting:{claim.meeting_id}"
        record_use(session, token, member, now=now)
    except QrRefused as exc:
        raise refuse(exc) from None
    meeting = session.get(Meeting, claim.meeting_id)
    try:
        result = sign_in(session, meeting, member, method="qr", terminal_id=claim.terminal_id, now=now)
        session.commit()  # the use row when the member had already signed in (sign_in wrote nothing)
    except IntegrityError:  # the same member's second request with this code won the race
        raise refuse(QrRefused("replayed")) from None
    except Exception:
        session.rollback()
        raise
    return result
