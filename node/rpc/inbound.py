"""Validate and normalise JSON-RPC parameters into the node's typed values (eth-tester's ``inbound``).

Every parameter a method reads passes through one of these functions, so a wrong type, bad hex or
unknown tag is always ``-32602 invalid params`` naming the parameter, and the methods below only see
``int``, ``bytes``, ``Address``, ``Hash32`` and the dataclasses of :mod:`node.abc`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast, get_args

from eth_typing import Address, Hash32

from node.abc import BlockRef, BlockTag, CallRequest
from node.rpc.errors import InvalidParams

UINT64_MAX = 2**64 - 1
BLOCK_TAGS: frozenset[str] = frozenset(get_args(BlockTag))
MAX_TOPIC_POSITIONS = 4
MAX_ADDRESSES_PER_FILTER = 1000
MAX_TOPICS_PER_POSITION = 1000

_QUANTITY = re.compile(r"0x(0|[1-9a-fA-F][0-9a-fA-F]{0,63})")
_DATA = re.compile(r"0x([0-9a-fA-F]{2})*")

CALL_FIELDS = frozenset(
    {
        "from",
        "to",
        "gas",
        "gasPrice",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "value",
        "data",
        "input",
        "nonce",
        "accessList",
        # sent by ethers/web3 and meaningless for a call: accepted and ignored
        "type",
        "chainId",
    }
)
FILTER_FIELDS = frozenset({"fromBlock", "toBlock", "address", "topics", "blockHash"})


class Params:
    """The positional parameters of one call, with arity checked once up front."""

    __slots__ = ("_values", "method")

    def __init__(self, method: str, values: Sequence[Any]) -> None:
        self.method = method
        self._values = list(values)

    def take(self, required: int, optional: int = 0) -> list[Any]:
        """Return exactly ``required + optional`` values (missing optional ones as ``None``)."""
        count = len(self._values)
        if count < required or count > required + optional:
            expected = str(required) if not optional else f"{required} to {required + optional}"
            raise InvalidParams(f"{self.method} expects {expected} parameters, got {count}")
        return self._values + [None] * (required + optional - count)


def quantity(value: Any, name: str) -> int:
    """Return the integer of a hex QUANTITY (``0x0``, ``0x1a``; no leading zeros, at most 256 bits)."""
    if not isinstance(value, str) or _QUANTITY.fullmatch(value) is None:
        raise InvalidParams(f"{name}: expected a hex quantity like 0x1a, got {_shown(value)}")
    return int(value, 16)


def data(value: Any, name: str) -> bytes:
    """Return the bytes of hex DATA (``0x`` and an even number of hex digits)."""
    if not isinstance(value, str) or _DATA.fullmatch(value) is None:
        raise InvalidParams(f"{name}: expected hex data like 0x00ff, got {_shown(value)}")
    return bytes.fromhex(value[2:])


def fixed_data(value: Any, name: str, size: int) -> bytes:
    raw = data(value, name)
    if len(raw) != size:
        raise InvalidParams(f"{name}: expected {size} bytes of hex, got {len(raw)}")
    return raw


def address(value: Any, name: str) -> Address:
    return Address(fixed_data(value, name, 20))


def hash32(value: Any, name: str) -> Hash32:
    return Hash32(fixed_data(value, name, 32))


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidParams(f"{name}: expected true or false, got {_shown(value)}")
    return value


def block_ref(value: Any, name: str, *, default: BlockTag | None = "latest") -> BlockRef:
    """Return a block reference: a tag, a number, or an EIP-1898 ``{blockHash}``/``{blockNumber}``."""
    if value is None:
        if default is None:
            raise InvalidParams(f"{name}: a block number, tag or hash is required")
        return default
    if isinstance(value, str):
        if value in BLOCK_TAGS:
            return cast(BlockTag, value)
        if value.startswith("0x") and len(value) == 66:
            return hash32(value, name)  # a bare block hash, as geth reads BlockNumberOrHash
        if value.startswith("0x"):
            number = quantity(value, name)
            if number > UINT64_MAX:
                raise InvalidParams(f"{name}: a block number is at most 64 bits")
            return number
        raise InvalidParams(f"{name}: unknown block tag {_shown(value)}")
    if isinstance(value, Mapping):
        keys = set(value)
        if keys <= {"blockHash", "requireCanonical"} and "blockHash" in keys:
            if "requireCanonical" in value:
                boolean(value["requireCanonical"], f"{name}.requireCanonical")
            return hash32(value["blockHash"], f"{name}.blockHash")
        if keys == {"blockNumber"}:
            return block_ref(value["blockNumber"], f"{name}.blockNumber", default=None)
        raise InvalidParams(f"{name}: expected {{blockHash}} or {{blockNumber}}, got keys {sorted(keys)}")
    raise InvalidParams(f"{name}: expected a block number, tag or hash, got {_shown(value)}")


def block_number_or_tag(value: Any, name: str) -> int | BlockTag:
    """Like :func:`block_ref` but refusing hashes, for methods whose spec takes only numbers and tags."""
    ref = block_ref(value, name, default=None)
    if isinstance(ref, bytes):
        raise InvalidParams(f"{name}: expected a block number or tag, not a hash")
    return ref


def call_request(value: Any, name: str) -> CallRequest:
    """Return the call object of ``eth_call``/``eth_estimateGas``, refusing unknown fields."""
    if not isinstance(value, Mapping):
        raise InvalidParams(f"{name}: expected a transaction call object, got {_shown(value)}")
    unknown = set(value) - CALL_FIELDS
    if unknown:
        raise InvalidParams(f"{name}: unsupported fields {sorted(unknown)}")
    payload = b""
    if value.get("data") is not None:
        payload = data(value["data"], f"{name}.data")
    if value.get("input") is not None:
        given = data(value["input"], f"{name}.input")
        if value.get("data") is not None and given != payload:
            raise InvalidParams(f"{name}: both data and input given and they differ")
        payload = given

    def optional_quantity(key: str) -> int | None:
        raw = value.get(key)
        return None if raw is None else quantity(raw, f"{name}.{key}")

    # The nonce is validated but not passed on: like geth, calls and estimates skip nonce checks, so a
    # client holding a nonce read a block ago (ethers fills one in) still gets an answer.
    optional_quantity("nonce")
    return CallRequest(
        sender=None if value.get("from") is None else address(value["from"], f"{name}.from"),
        to=None if value.get("to") is None else address(value["to"], f"{name}.to"),
        gas=optional_quantity("gas"),
        gas_price=optional_quantity("gasPrice"),
        max_fee_per_gas=optional_quantity("maxFeePerGas"),
        max_priority_fee_per_gas=optional_quantity("maxPriorityFeePerGas"),
        value=optional_quantity("value") or 0,
        data=payload,
        nonce=None,
        access_list=_access_list(value.get("accessList"), f"{name}.accessList"),
    )


def _access_list(value: Any, name: str) -> tuple[tuple[Address, tuple[int, ...]], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidParams(f"{name}: expected a list")
    entries: list[tuple[Address, tuple[int, ...]]] = []
    for i, entry in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(entry, Mapping) or set(entry) != {"address", "storageKeys"}:
            raise InvalidParams(f"{where}: expected {{address, storageKeys}}")
        keys = entry["storageKeys"]
        if not isinstance(keys, list):
            raise InvalidParams(f"{where}.storageKeys: expected a list")
        slots = tuple(int.from_bytes(hash32(k, f"{where}.storageKeys"), "big") for k in keys)
        entries.append((address(entry["address"], f"{where}.address"), slots))
    return tuple(entries)


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """An ``eth_getLogs``/``eth_newFilter`` object before its block tags are resolved against the head."""

    from_block: BlockRef
    to_block: BlockRef
    addresses: frozenset[Address]
    topics: tuple[frozenset[Hash32] | None, ...]
    block_hash: Hash32 | None


def filter_spec(value: Any, name: str, *, allow_block_hash: bool = True) -> FilterSpec:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise InvalidParams(f"{name}: expected a filter object, got {_shown(value)}")
    unknown = set(value) - FILTER_FIELDS
    if unknown:
        raise InvalidParams(f"{name}: unsupported fields {sorted(unknown)}")
    block_hash: Hash32 | None = None
    if value.get("blockHash") is not None:
        if not allow_block_hash:
            raise InvalidParams(f"{name}: blockHash is not allowed here")
        if value.get("fromBlock") is not None or value.get("toBlock") is not None:
            raise InvalidParams(f"{name}: blockHash excludes fromBlock and toBlock")
        block_hash = hash32(value["blockHash"], f"{name}.blockHash")
    return FilterSpec(
        from_block=block_number_or_tag_default(value.get("fromBlock"), f"{name}.fromBlock"),
        to_block=block_number_or_tag_default(value.get("toBlock"), f"{name}.toBlock"),
        addresses=_addresses(value.get("address"), f"{name}.address"),
        topics=_topics(value.get("topics"), f"{name}.topics"),
        block_hash=block_hash,
    )


def block_number_or_tag_default(value: Any, name: str) -> BlockRef:
    return "latest" if value is None else block_number_or_tag(value, name)


def _addresses(value: Any, name: str) -> frozenset[Address]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({address(value, name)})
    if isinstance(value, list):
        if len(value) > MAX_ADDRESSES_PER_FILTER:
            raise InvalidParams(f"{name}: at most {MAX_ADDRESSES_PER_FILTER} addresses")
        return frozenset(address(a, f"{name}[{i}]") for i, a in enumerate(value))
    raise InvalidParams(f"{name}: expected an address or a list of addresses")


def _topics(value: Any, name: str) -> tuple[frozenset[Hash32] | None, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_TOPIC_POSITIONS:
        raise InvalidParams(f"{name}: expected a list of at most {MAX_TOPIC_POSITIONS} positions")
    positions: list[frozenset[Hash32] | None] = []
    for i, entry in enumerate(value):
        where = f"{name}[{i}]"
        if entry is None:
            positions.append(None)
        elif isinstance(entry, str):
            positions.append(frozenset({hash32(entry, where)}))
        elif isinstance(entry, list):
            if len(entry) > MAX_TOPICS_PER_POSITION:
                raise InvalidParams(f"{where}: at most {MAX_TOPICS_PER_POSITION} alternatives")
            alternatives = frozenset(hash32(t, f"{where}[{j}]") for j, t in enumerate(entry) if t is not None)
            # An empty list (or only nulls) matches anything, as geth reads it.
            positions.append(alternatives or None)
        else:
            raise InvalidParams(f"{where}: expected null, a topic or a list of topics")
    while positions and positions[-1] is None:
        positions.pop()
    return tuple(positions)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def storage_slot(value: Any, name: str) -> int:
    """Return a storage slot given as a quantity or as up to 32 bytes of hex (clients send both)."""
    if isinstance(value, str) and _QUANTITY.fullmatch(value):
        return int(value, 16)
    raw = data(value, name)
    if len(raw) > 32:
        raise InvalidParams(f"{name}: a storage slot is at most 32 bytes")
    return int.from_bytes(raw, "big")


def count(value: Any, name: str) -> int:
    """Return a small count given as a hex quantity or a JSON integer (``eth_feeHistory`` gets both)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise InvalidParams(f"{name}: must not be negative")
        return value
    return quantity(value, name)


def address_list(value: Any, name: str, *, limit: int) -> tuple[Address, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidParams(f"{name}: expected a non-empty list of addresses")
    if len(value) > limit:
        raise InvalidParams(f"{name}: at most {limit} addresses per call")
    result = tuple(address(item, f"{name}[{i}]") for i, item in enumerate(value))
    if len(set(result)) != len(result):
        raise InvalidParams(f"{name}: the list repeats an address")
    return result
