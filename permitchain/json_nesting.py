"""How deep an untrusted JSON text nests, measured without recursion before any parser sees it.

py-evm raises the interpreter's recursion limit to 100 000 when it is imported (and web3 imports it
through eth-tester), so in every process of this project the C JSON parser, fed a few hundred kilobytes
of ``[``, overflows the C stack and kills the process instead of raising ``RecursionError``. Every place
that parses JSON from outside (the node's JSON-RPC, the registry API, the platform checker reading an
applicant's node) asks this module first.
"""

from __future__ import annotations

import re
from itertools import accumulate

MAX_JSON_DEPTH = 32
"""Legitimate documents here nest under ten levels (a JSON-RPC batch of filters with topic lists: 6)."""

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_depth(body: bytes) -> int:
    """Deepest ``[``/``{`` nesting of a JSON text; brackets inside strings are data, not structure.

    Malformed text is fine: stray closers only lower the figure, and a parser that meets one stops
    there, so the result bounds how deep any parser can recurse on ``body``.
    """
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b'""', body)).translate(_DEPTH_STEPS)
    return max(0, max(accumulate(memoryview(brackets).cast("b")), default=0))


def nested_deeper_than(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` nests deeper than ``limit``; linear, and free for the common shallow body."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    return json_depth(body) > limit
