"""The sync messages on the wire (RLP), decoded with limits before anything is trusted.

* STATUS (broadcast): ``[head_number, head_hash]``;
* BLOCK_SYNC request: ``[first_number, count]``; response: ``[block_rlp, ...]`` (canonical blocks from
  ``first_number``, consecutive, with their commit seals; fewer, or none, if the peer has fewer).
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from rlp.exceptions import DecodingError

from node.sync.exceptions import MalformedSyncMessage

MAX_BLOCKS_PER_REQUEST = 64
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Below the transport's 10 MiB BLOCK_SYNC frame limit; a response stops early rather than overflow."""


@dataclass(frozen=True, slots=True)
class HeadStatus:
    number: int
    block_hash: bytes

    def encode(self) -> bytes:
        return bytes(rlp.encode([self.number, self.block_hash]))


def _decode_list(data: bytes, what: str) -> list[object]:
    try:
        item = rlp.decode(data, strict=True)
    except DecodingError as exc:
        raise MalformedSyncMessage(f"{what}: not RLP") from exc
    if not isinstance(item, list):
        raise MalformedSyncMessage(f"{what}: not a list")
    return item


def _uint(item: object, what: str) -> int:
    if not isinstance(item, bytes) or len(item) > 8 or item[:1] == b"\x00":
        raise MalformedSyncMessage(f"{what}: not a canonical 64-bit integer")
    return int.from_bytes(item, "big")


def decode_status(data: bytes) -> HeadStatus:
    items = _decode_list(data, "status")
    if len(items) != 2 or not isinstance(items[1], bytes) or len(items[1]) != 32:
        raise MalformedSyncMessage("status: expected [number, 32-byte hash]")
    return HeadStatus(_uint(items[0], "status number"), items[1])


def encode_request(first: int, count: int) -> bytes:
    return bytes(rlp.encode([first, count]))


def decode_request(data: bytes) -> tuple[int, int]:
    items = _decode_list(data, "block request")
    if len(items) != 2:
        raise MalformedSyncMessage("block request: expected [first, count]")
    first, count = _uint(items[0], "first"), _uint(items[1], "count")
    if first < 1 or not 1 <= count <= MAX_BLOCKS_PER_REQUEST:
        raise MalformedSyncMessage(f"block request: first >= 1 and 1 <= count <= {MAX_BLOCKS_PER_REQUEST}")
    return first, count


def encode_response(blocks: list[bytes]) -> bytes:
    return bytes(rlp.encode(blocks))


def decode_response(data: bytes) -> list[bytes]:
    items = _decode_list(data, "block response")
    if len(items) > MAX_BLOCKS_PER_REQUEST or not all(isinstance(i, bytes) for i in items):
        raise MalformedSyncMessage("block response: too many entries or not a list of blocks")
    return [i for i in items if isinstance(i, bytes)]
