"""Strict readers for the values JSON-RPC returns (quantities, hashes, addresses, byte strings).

An endpoint may answer anything; these turn a wrong shape into :class:`MalformedValue` so the probe
records "malformed" instead of crashing or trusting a bogus value.
"""

from __future__ import annotations

import re
from typing import Any

from platform_checks.exceptions import PlatformCheckError

_QUANTITY = re.compile(r"0x(0|[1-9a-fA-F][0-9a-fA-F]{0,63})")
_DATA = re.compile(r"0x([0-9a-fA-F]{2})*")
MAX_DATA_BYTES = 262_144


class MalformedValue(PlatformCheckError):
    """A JSON-RPC result does not have the shape its method promises."""

    code = "malformed_value"


def quantity(value: Any, what: str) -> int:
    """A hex quantity ``0x…`` without leading zeros (as the Ethereum JSON-RPC spec says)."""
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise MalformedValue(f"{what} is not a hex quantity: {str(value)[:80]!r}")
    return int(value, 16)


def data(value: Any, what: str, *, length: int | None = None) -> bytes:
    """Hex-encoded bytes, optionally of an exact length."""
    if not isinstance(value, str) or len(value) > 2 + 2 * MAX_DATA_BYTES or not _DATA.fullmatch(value):
        raise MalformedValue(f"{what} is not hex data: {str(value)[:80]!r}")
    raw = bytes.fromhex(value[2:])
    if length is not None and len(raw) != length:
        raise MalformedValue(f"{what} must be {length} bytes, got {len(raw)}")
    return raw


def hash32(value: Any, what: str) -> bytes:
    return data(value, what, length=32)


def address(value: Any, what: str) -> str:
    """A 20-byte address, returned lower-case ``0x…`` so comparisons never depend on checksums."""
    return "0x" + data(value, what, length=20).hex()


def address_list(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > 1024:
        raise MalformedValue(f"{what} is not a list of addresses")
    return tuple(address(item, f"{what}[{i}]") for i, item in enumerate(value))


def short_text(value: Any, what: str, *, limit: int = 512) -> str:
    if not isinstance(value, str):
        raise MalformedValue(f"{what} is not a string")
    return value[:limit]
