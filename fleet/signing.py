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

The key files themselves (``KeyFileError``, ``key_id``, ``generate_private_key``, ``save_keypair``,
``load_private_key``, ``load_public_key``) live in ``core.signing_keys``, because the configuration checks
key files when it loads and core never imports the fleet; they are re-exported here so fleet code and its
tests take everything about signatures from this one module.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.signing_keys import (
    KeyFileError,
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    save_keypair,
)

if TYPE_CHECKING:
    from core.config import Config

__all__ = [
    "ALG", "BAD_SIGNATURE", "MALFORMED", "SIG_FIELD", "UNKNOWN_KEY", "UNSIGNED", "KeyFileError", "SignatureError",
    "Verifier", "canonical_bytes", "filter_json_feed", "generate_private_key", "key_id", "load_private_key",
    "load_public_key", "save_keypair", "sign",
]

SIG_FIELD = "_sig"
ALG = "Ed25519"

#: Reasons a SignatureError carries (and the audit log records).
UNSIGNED, UNKNOWN_KEY, BAD_SIGNATURE, MALFORMED = "unsigned", "unknown_key", "bad_signature", "malformed"


class SignatureError(ValueError):
    """The object is not signed by a configured key; ``reason`` is one of the constants above."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# ------------------------------------------------------------------------------------------- canonical


def canonical_bytes(obj: dict[str, Any]) -> bytes:
    """The bytes that are signed: ``obj`` without ``_sig``, as sorted, compact UTF-8 JSON.

    Raises ValueError for NaN and infinity, which JSON cannot carry, so that a signer and a verifier never
    disagree about the bytes.
    """
    body = {k: v for k, v in obj.items() if k != SIG_FIELD}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


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
