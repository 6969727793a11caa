"""The node key: a secp256k1 private key that signs this validator's commit seals.

Stored as hex in a file created with mode 0600 (never world- or group-readable); loading refuses a
file others can read, so a key copied carelessly is noticed, not used. The key is never logged: only
its address is.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from eth_keys.datatypes import PrivateKey
from eth_typing import Address

from node.exceptions import ConfigError

KEY_FILE_MODE = 0o600


def generate_key() -> PrivateKey:
    return PrivateKey(secrets.token_bytes(32))


def key_address(key: PrivateKey) -> Address:
    return Address(key.public_key.to_canonical_address())


def write_key(key: PrivateKey, path: Path) -> None:
    """Write ``key`` to a new file with mode 0600 (refuses to overwrite an existing key)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError as exc:
        raise ConfigError(f"refusing to overwrite the existing key file {path}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.to_hex() + "\n")


def load_key(path: Path) -> PrivateKey:
    """Read a key file written by :func:`write_key`."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise ConfigError(f"node key file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"node key file {path} is not hex text") from exc
    if mode & 0o077:
        raise ConfigError(f"node key file {path} is readable by others (mode {mode:o}); chmod 600 it")
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
        return PrivateKey(raw)
    except (ValueError, Exception) as exc:
        raise ConfigError(f"node key file {path} does not hold a 32-byte hex key") from exc
