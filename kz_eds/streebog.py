"""Streebog-512 (GOST R 34.11-2012) on 64-bit lanes, about 3x faster than gostcrypto's byte loops.

The compression function is the standard's g_N(h, m) = E(LPS(h ⊕ N), m) ⊕ h ⊕ m with E's twelve
rounds; the LPS lookup tables and round constants are gostcrypto's own (so there is one source of
the standard's numbers), but the state is kept as eight little-endian 64-bit integers instead of
bytearrays XORed byte by byte. Checked against the standard's M1/M2 examples and against gostcrypto
on random inputs (tests/kz_eds/test_gost.py). Digest bytes come out in gostcrypto's order.
"""

from __future__ import annotations

import struct
from typing import Final

from gostcrypto.gosthash import gost_34_11_2012 as _reference

_WORDS: Final = struct.Struct("<8Q")
_MASK: Final = (1 << 512) - 1
_T: Final[tuple[tuple[int, ...], ...]] = tuple(tuple(table) for table in _reference._T)
_C: Final[tuple[tuple[int, ...], ...]] = tuple(_WORDS.unpack(bytes(c)) for c in _reference._C)
_SHIFTS: Final = (0, 8, 16, 24, 32, 40, 48, 56)
_ZERO: Final = (0,) * 8

Lanes = tuple[int, ...] | list[int]


def _lps(w: Lanes) -> list[int]:
    """Substitution, transposition and linear map at once: out[j] = XOR_i T_i[byte j of word i]."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    w0, w1, w2, w3, w4, w5, w6, w7 = w
    return [
        t0[(w0 >> s) & 255]
        ^ t1[(w1 >> s) & 255]
        ^ t2[(w2 >> s) & 255]
        ^ t3[(w3 >> s) & 255]
        ^ t4[(w4 >> s) & 255]
        ^ t5[(w5 >> s) & 255]
        ^ t6[(w6 >> s) & 255]
        ^ t7[(w7 >> s) & 255]
        for s in _SHIFTS
    ]


def _compress(h: Lanes, n: Lanes, m: Lanes) -> list[int]:
    key = _lps([a ^ b for a, b in zip(h, n, strict=True)])
    state = [a ^ b for a, b in zip(key, m, strict=True)]
    for constant in _C:
        state = _lps(state)
        key = _lps([a ^ b for a, b in zip(key, constant, strict=True)])
        state = [a ^ b for a, b in zip(state, key, strict=True)]
    return [a ^ b ^ c for a, b, c in zip(state, h, m, strict=True)]


def _lanes(number: int) -> tuple[int, ...]:
    lanes: tuple[int, ...] = _WORDS.unpack((number & _MASK).to_bytes(64, "little"))
    return lanes


def streebog512(data: bytes) -> bytes:
    """The 64-byte Streebog-512 digest of ``data``."""
    h: Lanes = _ZERO
    length = 0
    sigma = 0
    whole = len(data) // 64 * 64
    view = memoryview(data)
    for offset in range(0, whole, 64):
        block = view[offset : offset + 64]
        h = _compress(h, _lanes(length), _WORDS.unpack(block))
        length += 512
        sigma += int.from_bytes(block, "little")
    rest = bytes(view[whole:])
    padded = rest + b"\x01" + b"\x00" * (63 - len(rest))
    h = _compress(h, _lanes(length), _WORDS.unpack(padded))
    length += len(rest) * 8
    sigma += int.from_bytes(padded, "little")
    h = _compress(h, _ZERO, _lanes(length))
    h = _compress(h, _ZERO, _lanes(sigma))
    return _WORDS.pack(*h)
