"""The face-template codec: the key rules and AES-GCM encryption bound to a member, with no numpy or
device library, so that core (the roster down-sync) and robot_assistant.face share one implementation.

Why AES-GCM with the member as associated data: a template is biometric data (DESIGN: stored encrypted,
consent recorded, deletable per member). GCM authenticates as well as hides, and binding the ciphertext
to its member means a blob copied onto another member's row fails to decrypt instead of silently signing
one person in as another.

Two bindings, never interchangeable (different associated-data prefixes):

* **local**, to the member's row id on this terminal (``encrypt``/``decrypt``): what ``face_templates``
  and ``face_photos`` hold;
* **transport**, to the member *number* (``seal``/``unseal``): what crosses the central database in
  ``fleet_roster_changes``, because row ids differ on every terminal. All terminals of an organisation
  share the key (``DANGJIAN_FACE_KEY`` or the key file), so a terminal re-encrypts a received template
  bound to its own row id.

Why the key lives outside the database: whoever copies the database file (a backup, a PostgreSQL dump)
must not get usable templates. The key comes from ``DANGJIAN_FACE_KEY`` (url-safe base64 of 32 bytes) or
from a key file readable by its owner only (mode 0600).

Why outside the data folder too: a backup or copy of the data folder would otherwise carry the database
and the key that opens its templates together. By default the key is ``<data_dir>-keys/face.key`` (beside
the data folder: ``data-keys/face.key`` next to ``data/``), in a folder of mode 0700; ``face.key_file``
puts it anywhere else (another disk, a USB key, a path only root can read). A key that an older version
kept at ``<data_dir>/face.key`` is moved there at start (``relocate_legacy_key``: linked, checked, then
unlinked — never copied over another key), so the templates it encrypted stay readable; until then it
is still used, and ``doctor`` warns while a key sits in the data folder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.keyfiles import decode_key, read_key_file

if TYPE_CHECKING:
    from core.config_sections import Config

KEY_ENV = "DANGJIAN_FACE_KEY"
_VERSION = b"\x01"
_MAKE_ONE = "make one with `launcher.py enroll --make-key`"


class FaceKeyError(RuntimeError):
    """The template key is missing, malformed or too widely readable, or a blob does not decrypt; the
    message says which."""


def _decode_key(text_value: str, where: str) -> bytes:
    return decode_key(text_value, where, error=FaceKeyError, name="the face key", advice=_MAKE_ONE)


def load_key(key_file: Path | None, environ: Mapping[str, str] | None = None) -> bytes:
    """The 32-byte template key from ``$DANGJIAN_FACE_KEY`` or ``key_file`` (which must be mode 0600)."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return _decode_key(env[KEY_ENV], f"environment {KEY_ENV}")
    if key_file is None:
        raise FaceKeyError(f"no face key: set {KEY_ENV} or face.key_file")
    path = Path(key_file)
    if not path.is_file():
        raise FaceKeyError(f"no face key: {path} does not exist and {KEY_ENV} is not set; create it with "
                           f"`launcher.py enroll --make-key` (it is written with mode 0600)")
    return read_key_file(path, error=FaceKeyError, name="the face key", label="face key", advice=_MAKE_ONE)


def create_key_file(path: Path) -> Path:
    """Write a new random key with mode 0600 (created so, never widened); refuse to overwrite one:
    a lost key makes every stored template unreadable."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")
    return path


def default_key_file(data_dir: Path) -> Path:
    """The key's default place: a folder beside the data folder (``data`` → ``data-keys/face.key``)."""
    data_dir = Path(data_dir)
    return data_dir.parent / f"{data_dir.name}-keys" / "face.key"


def legacy_key_file(data_dir: Path) -> Path:
    """Where versions before #17 kept the key: inside the data folder."""
    return Path(data_dir) / "face.key"


def key_file_for(config: Config) -> Path:
    """Where the configuration keeps the key: ``face.key_file``, else the default beside the data folder —
    or, while an older version's key has not been moved yet (``relocate_legacy_key``), that one."""
    if config.face.key_file is not None:
        return config.face.key_file
    new, old = default_key_file(config.site.data_dir), legacy_key_file(config.site.data_dir)
    return old if old.is_file() and not new.exists() else new


def relocate_legacy_key(config: Config) -> str:
    """Move a key kept in the data folder by an older version to the default place outside it, when no
    ``face.key_file`` is configured and nothing is there yet; returns what was done ("" for nothing).
    Hard-linked then unlinked (the same file, mode kept), or, across file systems, copied with mode 0600,
    read back and compared before the old name goes: at no moment does the key exist nowhere."""
    if config.face.key_file is not None:
        return ""
    new, old = default_key_file(config.site.data_dir), legacy_key_file(config.site.data_dir)
    if not old.is_file() or new.exists():
        return ""
    new.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.link(old, new)
    except OSError:
        data = old.read_bytes()
        fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if new.read_bytes() != data:
            new.unlink()
            return f"face key {old} could not be copied to {new}; it stays where it is"
    os.unlink(old)
    return f"face key moved out of the data folder: {old} → {new}"


def key_inside(key_file: Path, data_dir: Path) -> bool:
    """Whether the key file lies in the data folder (a backup of the folder would carry both)."""
    try:
        return Path(key_file).resolve().is_relative_to(Path(data_dir).resolve())
    except OSError:
        return False


class FaceCipher:
    """AES-256-GCM with a random 96-bit nonce per blob: ``version | nonce | ciphertext+tag``."""

    def __init__(self, key: bytes):
        self._aead = AESGCM(key)
        self._mac_key = hmac.new(key, b"dangjian-face:v1:digest", hashlib.sha256).digest()

    @staticmethod
    def _aad(kind: str, member_id: int) -> bytes:
        return f"dangjian-face:v1:{kind}:{member_id}".encode()

    @staticmethod
    def _transport_aad(kind: str, member_number: str) -> bytes:
        return f"dangjian-face:v1:transport:{kind}:number:{member_number}".encode()

    def _seal(self, data: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, data, aad)

    def _open(self, blob: bytes, aad: bytes) -> bytes:
        if blob[:1] != _VERSION:
            raise FaceKeyError("unknown face template format")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], aad)
        except InvalidTag:
            raise FaceKeyError("a face template cannot be decrypted: wrong key, or the row was tampered with") from None

    def encrypt(self, data: bytes, kind: str, member_id: int) -> bytes:
        """Local binding: ``kind`` ("template" or "photo") and this terminal's member row id."""
        return self._seal(data, self._aad(kind, member_id))

    def decrypt(self, blob: bytes, kind: str, member_id: int) -> bytes:
        return self._open(blob, self._aad(kind, member_id))

    def seal(self, data: bytes, kind: str, member_number: str) -> bytes:
        """Transport binding: ``kind`` and the member number (the same on every terminal)."""
        return self._seal(data, self._transport_aad(kind, member_number))

    def unseal(self, blob: bytes, kind: str, member_number: str) -> bytes:
        return self._open(blob, self._transport_aad(kind, member_number))

    def mac(self, data: bytes) -> str:
        """Keyed digest (HMAC-SHA256, hex) of data derived from biometrics: the central database may keep
        it to notice a change, and learns nothing it could test a guessed template against."""
        return hmac.new(self._mac_key, data, hashlib.sha256).hexdigest()
