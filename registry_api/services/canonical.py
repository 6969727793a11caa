"""Bytes on the wire: canonical JSON (RFC 8785), hashes and base64 — what is signed is what is stored."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import rfc8785

from registry_api.exceptions import InvalidInput


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 (JCS) serialisation of a JSON-compatible value."""
    return rfc8785.dumps(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_base64(text: str, what: str) -> bytes:
    """Strict base64 (no stray characters); a bad value is a 422 naming the field."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"{what} is not valid base64", code="base64_invalid") from exc
