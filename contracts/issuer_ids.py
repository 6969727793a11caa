"""Issuer ids on chain: the 12-digit BIN or IIN as 12 ASCII digit bytes in a ``bytes12``.

A fixed-size value (not a string) so that an indexed event topic carries the id itself: a log filter
by issuer needs no hashing and the id can be read back from the topic. The check digit is validated
off chain (``kz_eds``); the contracts only insist on exactly twelve digits.
"""

from __future__ import annotations

from contracts.exceptions import InvalidValueError

ISSUER_ID_LENGTH = 12


def encode_issuer_id(issuer_id: str) -> bytes:
    """``"940140000385"`` -> the 12 bytes the contracts take."""
    if len(issuer_id) != ISSUER_ID_LENGTH or not issuer_id.isascii() or not issuer_id.isdigit():
        raise InvalidValueError(f"issuer id must be {ISSUER_ID_LENGTH} digits, got {issuer_id!r}")
    return issuer_id.encode("ascii")


def decode_issuer_id(raw: bytes) -> str:
    """The contracts' ``bytes12`` (or a 32-byte topic, left-aligned) -> the 12-digit string."""
    value = bytes(raw[:ISSUER_ID_LENGTH])
    if len(value) != ISSUER_ID_LENGTH or any(b < 0x30 or b > 0x39 for b in value):
        raise InvalidValueError(f"not an issuer id: {bytes(raw).hex()}")
    return value.decode("ascii")
