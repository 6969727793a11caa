"""Depth limits for untrusted JSON and RLP, checked without recursion before any real parser runs.

py-evm raises the interpreter's recursion limit to 100 000 when it is imported, so a recursive parser
fed a deeply nested document no longer stops with ``RecursionError``: it overflows the C stack and
kills the process. An applicant's node must not be able to crash the service that way, so nesting is
measured here iteratively and anything deeper than the legitimate answers need is refused.
"""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 32
"""Ethereum JSON-RPC answers nest a handful of levels (a block with transactions: 4)."""
MAX_RLP_DEPTH = 4
"""BFT extraData nests three levels (list → validators/vote/seals → items)."""

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """Deepest ``[``/``{`` nesting of a JSON text (strings skipped; malformed text is fine)."""
    stripped = _JSON_STRING.sub(b"", body)
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(stripped):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def rlp_depth_exceeds(raw: bytes, limit: int = MAX_RLP_DEPTH) -> bool:
    """Whether RLP ``raw`` nests lists deeper than ``limit`` (walks prefixes, no recursion).

    Malformed lengths end the walk with ``False``: the real decoder then reports them.
    """
    ends: list[int] = []
    pos = 0
    size = len(raw)
    while pos < size:
        while ends and pos >= ends[-1]:
            ends.pop()
        prefix = raw[pos]
        if prefix < 0x80:
            pos += 1
        elif prefix <= 0xB7:
            pos += 1 + prefix - 0x80
        elif prefix <= 0xBF:
            n = prefix - 0xB7
            pos += 1 + n + int.from_bytes(raw[pos + 1 : pos + 1 + n], "big")
        else:
            if prefix <= 0xF7:
                header, length = 1, prefix - 0xC0
            else:
                n = prefix - 0xF7
                header, length = 1 + n, int.from_bytes(raw[pos + 1 : pos + 1 + n], "big")
            ends.append(pos + header + length)
            if len(ends) > limit:
                return True
            pos += header
    return False
