"""Depth limits for untrusted JSON and RLP, checked without recursion before any real parser runs.

py-evm raises the interpreter's recursion limit to 100 000 when it is imported, so a recursive parser
fed a deeply nested document no longer stops with ``RecursionError``: it overflows the C stack and
kills the process. An applicant's node must not be able to crash the service that way, so nesting is
measured here iteratively and anything deeper than the legitimate answers need is refused.
"""

from __future__ import annotations

from permitchain.json_nesting import MAX_JSON_DEPTH, json_depth

__all__ = ["MAX_JSON_DEPTH", "MAX_RLP_DEPTH", "json_depth", "rlp_depth_exceeds"]

MAX_RLP_DEPTH = 4
"""BFT extraData nests three levels (list → validators/vote/seals → items)."""


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
