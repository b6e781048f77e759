"""Ed25519 signatures on content items and push messages.

Why: a terminal in a lobby shows whatever reaches it. A broker password or a feed URL can leak; a signing
key kept on the administrator's machine does not have to. With one or more public keys configured, a
terminal accepts an item or a push message only when a configured key signed exactly these bytes, and
audits every rejection; with none configured it accepts unsigned content as before.

What is signed is a *canonical* JSON form of the object: the object without its ``_sig`` field, keys
sorted, no spaces, UTF-8, no NaN. The signature travels inside the object itself::

    {..., "_sig": {"alg": "Ed25519", "kid": "<16 hex>", "value": "<base64 of 64 bytes>"}}

``_sig`` starts with an underscore so a signed item is still a valid JSON Feed item (extensions must).
``kid`` is the first 16 hex digits of the SHA-256 of the raw public key: it picks the key to try, and
is not trusted for anything else.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

if TYPE_CHECKING:
    from core.config import Config

SIG_FIELD = "_sig"
ALG = "Ed25519"

#: Reasons a SignatureError carries (and the audit log records).
UNSIGNED, UNKNOWN_KEY, BAD_SIGNATURE, MALFORMED = "unsigned", "unknown_key", "bad_signature", "malformed"


class SignatureError(ValueError):
    """The object is not signed by a configured key; ``reason`` is one of the constants above."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class KeyFileError(Exception):
    """A key file is missing or is not an Ed25519 key in PEM form; the message names the file."""


# ------------------------------------------------------------------------------------------- canonical


def canonical_bytes(obj: dict[str, Any]) -> bytes:
    """The bytes that are signed: ``obj`` without ``_sig``, as sorted, compact UTF-8 JSON.

    Raises ValueError for NaN and infinity, which JSON cannot carry, so that a signer and a verifier never
    disagree about the bytes.
    """
    body = {k: v for k, v in obj.items() if k != SIG_FIELD}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# -------------------------------------------------------------------------------------------------- keys


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def save_keypair(private_key: Ed25519PrivateKey, path: str | Path) -> tuple[Path, Path]:
    """Write the private key (PEM, mode 0600, refusing to overwrite) and ``<path>.pub`` beside it."""
    path = Path(path)
    pub = path.with_name(path.name + ".pub")
    if path.exists():
        raise KeyFileError(f"{path} already exists: not overwriting a signing key")
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    pub.write_bytes(private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    return path, pub


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except OSError as exc:
        raise KeyFileError(f"cannot read signing key {path}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 key ({type(key).__name__})")
    return key


def load_public_key(source: str | Path | bytes) -> Ed25519PublicKey:
    """A public key from a PEM file path, or PEM text/bytes."""
    if isinstance(source, bytes):
        data, name = source, "key"
    elif isinstance(source, str) and source.lstrip().startswith("-----BEGIN"):
        data, name = source.encode(), "key"
    else:
        try:
            data, name = Path(source).read_bytes(), str(source)
        except OSError as exc:
            raise KeyFileError(f"cannot read public key {source}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise KeyFileError(f"{name} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{name} is not an Ed25519 public key ({type(key).__name__})")
    return key


# -------------------------------------------------------------------------------------- sign and verify


def sign(obj: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """A deep copy of ``obj`` with ``_sig`` set (any old signature replaced)."""
    signed = copy.deepcopy(obj)
    signed.pop(SIG_FIELD, None)
    value = private_key.sign(canonical_bytes(signed))
    signed[SIG_FIELD] = {"alg": ALG, "kid": key_id(private_key.public_key()),
                         "value": base64.b64encode(value).decode("ascii")}
    return signed


class Verifier:
    """Checks signatures against the configured public keys.

    ``required`` is True when at least one key is configured: only then are unsigned objects refused.
    """

    def __init__(self, public_keys: Iterable[Ed25519PublicKey] = ()) -> None:
        self.keys = {key_id(k): k for k in public_keys}

    @property
    def required(self) -> bool:
        return bool(self.keys)

    @classmethod
    def from_sources(cls, sources: Iterable[str | Path | bytes]) -> Verifier:
        return cls(load_public_key(s) for s in sources)

    @classmethod
    def from_config(cls, config: Config) -> Verifier:
        """Keys from ``fleet.public_keys`` (a list of PEM file paths)."""
        return cls.from_sources(config.fleet.public_keys)

    def verify(self, obj: Any) -> str | None:
        """Return the key id that signed ``obj``; None when no key is configured (nothing to check).

        Raises SignatureError when keys are configured and ``obj`` is unsigned, signed by another key,
        malformed or changed after signing.
        """
        if not self.required:
            return None
        if not isinstance(obj, dict):
            raise SignatureError(MALFORMED, "not a JSON object")
        sig = obj.get(SIG_FIELD)
        if sig is None:
            raise SignatureError(UNSIGNED, "unsigned")
        if not isinstance(sig, dict) or sig.get("alg") != ALG or not isinstance(sig.get("value"), str):
            raise SignatureError(MALFORMED, f"{SIG_FIELD} must be {{alg: {ALG}, kid, value}}")
        kid = sig.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise SignatureError(UNKNOWN_KEY, f"signed by a key not configured here ({str(kid)[:32]!r})")
        try:
            value = base64.b64decode(sig["value"], validate=True)
            body = canonical_bytes(obj)
        except (binascii.Error, ValueError, TypeError, RecursionError) as exc:
            raise SignatureError(MALFORMED, f"cannot read the signature: {exc}") from None
        try:
            key.verify(value, body)
        except InvalidSignature:
            raise SignatureError(BAD_SIGNATURE, "the signature does not match: changed after signing") from None
        return kid


# ---------------------------------------------------------------------------------------------- feeds


def filter_json_feed(data: bytes, verifier: Verifier) -> tuple[bytes, list[dict[str, str]]]:
    """Keep only the JSON Feed items a configured key signed; returns (document, rejections).

    For the feed sync to call before parsing a JSON Feed when keys are configured (each item carries its
    own ``_sig``). Each rejection is ``{"guid", "reason", "message"}`` for the audit log. A document that
    is not a JSON object with an ``items`` list is returned unchanged (the parser reports it).
    """
    if not verifier.required:
        return data, []
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return data, []
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return data, []
    kept, rejected = [], []
    for item in doc["items"]:
        try:
            verifier.verify(item)
        except SignatureError as exc:
            guid = str(item.get("id") or item.get("url") or "")[:200] if isinstance(item, dict) else ""
            rejected.append({"guid": guid, "reason": exc.reason, "message": str(exc)})
            continue
        kept.append(item)
    doc["items"] = kept
    return json.dumps(doc, ensure_ascii=False).encode(), rejected
