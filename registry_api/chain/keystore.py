"""The registrar's signing key: an eth-account keystore (encrypted JSON) opened with a password.

The key only lives in memory as a :class:`LocalAccount`; errors name the file, never the key or the
password. Writing a keystore is here too, for deployment scripts and tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_api.chain.exceptions import KeystoreError

MAX_KEYSTORE_BYTES = 64 * 1024


def read_password_file(path: Path) -> str:
    """The password in ``path`` without its trailing newline."""
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise KeystoreError(f"cannot read the registrar password file {path}: {exc.strerror}") from exc


def open_keystore(path: Path, password: str) -> LocalAccount:
    """Decrypt the keystore at ``path``; a wrong password or a damaged file is a :class:`KeystoreError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KeystoreError(f"cannot read the registrar keystore {path}: {exc.strerror}") from exc
    if len(raw) > MAX_KEYSTORE_BYTES:
        raise KeystoreError(f"{path} is too large for a keystore")
    try:
        key = Account.decrypt(json.loads(raw), password)
    except (ValueError, KeyError, TypeError) as exc:
        # eth-account says "MAC mismatch" for a wrong password; never echo what was tried.
        raise KeystoreError(
            f"cannot open the registrar keystore {path}: wrong password or damaged file"
        ) from exc
    account: LocalAccount = Account.from_key(key)
    return account


def write_keystore(path: Path, private_key: bytes, password: str, *, iterations: int | None = None) -> str:
    """Encrypt ``private_key`` into ``path`` (mode 600, must not exist); return the account's address.

    ``iterations`` selects PBKDF2 with that many rounds (tests); by default eth-account's scrypt.
    """
    kdf: Literal["pbkdf2"] | None = "pbkdf2" if iterations is not None else None
    data = Account.encrypt(private_key, password, kdf=kdf, iterations=iterations)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return str(Account.from_key(private_key).address)
