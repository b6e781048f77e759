"""32-byte secret keys as url-safe base64 text, from an environment variable or a file its owner alone may
read: the face-template key (``core.facecrypt``) and the QR sign-in key (``core.qrsign``).

Why one place: both keys are read the same way — strip the text, decode it, insist on exactly 32 bytes,
refuse a file that group or others can read — and two copies of that would drift (one checking the mode,
the other not). Each caller keeps its own error class and its own advice, so a message still says which
key is wrong, where it came from (variable or file) and what to do about it.
"""

from __future__ import annotations

import base64
import binascii
import stat
from pathlib import Path

KEY_BYTES = 32


def decode_key(text: str, where: str, *, error: type[Exception], name: str, advice: str) -> bytes:
    """The 32 bytes that ``text`` (url-safe base64) holds; else ``error`` saying ``where`` it came from,
    what ``name`` must be and ``advice``."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise error(f"{where}: {name} must be url-safe base64 of {KEY_BYTES} bytes ({advice})")
    return key


def read_key_file(path: Path, *, error: type[Exception], name: str, label: str, advice: str) -> bytes:
    """The key in ``path``, refused (``error``) when group or others may read the file: a key anyone on
    the machine can copy protects nothing. ``label`` names the file in that message ("face key")."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise error(f"{label} file {path} has mode {mode:04o}: others can read it; run chmod 600 {path}")
    return decode_key(path.read_text(), str(path), error=error, name=name, advice=advice)
