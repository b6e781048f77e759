"""Ed25519 key files for the fleet's signatures: make, save and load keys, and name a key by its id.

Why this lives in core while the signatures themselves (``fleet.signing``) live in the fleet: the
configuration checks every ``fleet.public_keys`` / ``fleet.admin_keys`` file when it loads (an unreadable
key must stop the configuration, not the kiosk), and core never imports the fleet. So core keeps only what
loading a configuration needs — reading and writing PEM key files — and ``fleet.signing`` re-exports these
names so fleet code and its tests take everything about signatures from one module.

``key_id`` is the first 16 hex digits of the SHA-256 of the raw public key: a signature's ``kid`` names the
key to try with it, and is not trusted for anything else.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class KeyFileError(Exception):
    """A key file is missing or is not an Ed25519 key in PEM form; the message names the file."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


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
