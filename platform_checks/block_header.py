"""A block header rebuilt from its JSON-RPC form, so seals can be recovered and hashes recomputed.

Sealed-header engines sign keccak(RLP(header)) with some part of ``extraData`` changed (Clique drops
the trailing seal, BFT engines drop the commit seals); to check a seal we must rebuild the exact RLP
the sealer hashed. The field order is Ethereum's; fields added by later forks (base fee, withdrawals
root, blob gas, beacon root, requests hash) are included exactly when the node reports them.
Recomputing the block's own hash from the rebuilt header proves the rebuild is faithful before any
seal is judged with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rlp
from eth_hash.auto import keccak

from platform_checks import wire_values as wv

# Fields every header has, in RLP order: (JSON name, kind, fixed length)
_BASE_FIELDS: tuple[tuple[str, str, int | None], ...] = (
    ("parentHash", "data", 32),
    ("sha3Uncles", "data", 32),
    ("miner", "data", 20),
    ("stateRoot", "data", 32),
    ("transactionsRoot", "data", 32),
    ("receiptsRoot", "data", 32),
    ("logsBloom", "data", 256),
    ("difficulty", "int", None),
    ("number", "int", None),
    ("gasLimit", "int", None),
    ("gasUsed", "int", None),
    ("timestamp", "int", None),
    ("extraData", "data", None),
    ("mixHash", "data", 32),
    ("nonce", "data", 8),
)
# Fields added by forks, in RLP order; each is present only if all before it are.
_FORK_FIELDS: tuple[tuple[str, str, int | None], ...] = (
    ("baseFeePerGas", "int", None),
    ("withdrawalsRoot", "data", 32),
    ("blobGasUsed", "int", None),
    ("excessBlobGas", "int", None),
    ("parentBeaconBlockRoot", "data", 32),
    ("requestsHash", "data", 32),
)
EXTRA_DATA_INDEX = 12
MAX_EXTRA_DATA = 65_536


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The header fields as RLP items plus the hash the node reported for the block."""

    number: int
    reported_hash: bytes
    fields: tuple[bytes | int, ...]
    miner: str
    difficulty: int
    mix_hash: bytes
    timestamp: int

    @property
    def extra_data(self) -> bytes:
        value = self.fields[EXTRA_DATA_INDEX]
        if not isinstance(value, bytes):  # pragma: no cover - built that way in from_json
            raise TypeError("extraData must be bytes")
        return value

    def rlp_with_extra_data(self, extra_data: bytes) -> bytes:
        """RLP of this header with ``extraData`` replaced (what sealers sign / what hashes cover)."""
        items = list(self.fields)
        items[EXTRA_DATA_INDEX] = extra_data
        return bytes(rlp.encode(items))

    def hash_with_extra_data(self, extra_data: bytes) -> bytes:
        return bytes(keccak(self.rlp_with_extra_data(extra_data)))

    def computed_hash(self) -> bytes:
        """keccak(RLP(header)) as reported, seals included (Ethereum's and Clique's block hash)."""
        return self.hash_with_extra_data(self.extra_data)


def header_from_json(block: Any) -> BlockHeader:
    """Rebuild a header from an ``eth_getBlockBy*`` result; raise :class:`MalformedValue` if odd."""
    if not isinstance(block, Mapping):
        raise wv.MalformedValue("block is not a JSON object")
    items: list[bytes | int] = []
    for name, kind, length in _BASE_FIELDS:
        items.append(_field(block, name, kind, length))
    for name, kind, length in _FORK_FIELDS:
        if block.get(name) is None:
            break
        items.append(_field(block, name, kind, length))
    extra = items[EXTRA_DATA_INDEX]
    if isinstance(extra, bytes) and len(extra) > MAX_EXTRA_DATA:
        raise wv.MalformedValue("extraData is implausibly long")
    number = wv.quantity(block.get("number"), "number")
    difficulty = wv.quantity(block.get("difficulty"), "difficulty")
    timestamp = wv.quantity(block.get("timestamp"), "timestamp")
    return BlockHeader(
        number=number,
        reported_hash=wv.hash32(block.get("hash"), "hash"),
        fields=tuple(items),
        miner=wv.address(block.get("miner"), "miner"),
        difficulty=difficulty,
        mix_hash=wv.hash32(block.get("mixHash"), "mixHash"),
        timestamp=timestamp,
    )


def _field(block: Mapping[str, Any], name: str, kind: str, length: int | None) -> bytes | int:
    value = block.get(name)
    if kind == "int":
        return wv.quantity(value, name)
    return wv.data(value, name, length=length)
