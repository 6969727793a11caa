"""The genesis file: what a network is, parsed and checked where it is loaded.

The file is JSON (``permitchain-genesis/1``) and holds everything that must be identical on every
node: chain id, gas limit, genesis timestamp, allocations, the initial validator set, the BFT timing
(block period, empty-block period, vote epoch) and the account and node allow-lists. The genesis
block is a pure function of the file, so the same file gives the same genesis hash on every machine
(there is no "now" in it).

Example::

    {"format": "permitchain-genesis/1", "chainId": 7210, "gasLimit": 30000000, "timestamp": 0,
     "validators": ["0x..."], "alloc": {"0x...": {"balance": "0xde0b6b3a7640000"}},
     "permissioning": {"accounts": ["0x..."], "nodes": ["<64 hex: Ed25519 node id>", ...]},
     "bft": {"blockPeriodSeconds": 1, "emptyBlockPeriodSeconds": 0, "epochLength": 30000}}

``permissioning.nodes`` is the p2p allow-list a networked node starts from (later changes live in each
node's store, ``perm_addNodesToAllowlist``); ``epochLength`` is when pending validator votes reset.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import Address
from eth_utils.address import is_hex_address, to_canonical_address, to_checksum_address

from node.exceptions import ConfigError

GENESIS_FORMAT = "permitchain-genesis/1"
MIN_GAS_LIMIT = 5_000
MAX_GAS_LIMIT = 2**63 - 1
MAX_GENESIS_FILE_BYTES = 16 * 1024 * 1024
NODE_ID_HEX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Allocation:
    """An account present at genesis."""

    balance: int = 0
    nonce: int = 0
    code: bytes = b""
    storage: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BftTiming:
    """QBFT timing from genesis; the single-node producer uses the empty-block period."""

    block_period_seconds: int = 1
    empty_block_period_seconds: int = 0
    """0 = never produce an empty block."""
    request_timeout_seconds: int = 4
    epoch_length: int = 30_000
    """Blocks after which pending validator votes are forgotten (Besu's ``epochlength``)."""


@dataclass(frozen=True, slots=True)
class GenesisConfig:
    chain_id: int
    gas_limit: int
    timestamp: int
    validators: tuple[Address, ...]
    alloc: Mapping[Address, Allocation]
    allowed_accounts: frozenset[Address]
    bft: BftTiming
    vanity: bytes = b"\x00" * 32
    allowed_nodes: tuple[str, ...] = ()
    """Ed25519 node ids (lowercase hex) allowed to connect at genesis; changed later by ``perm_`` RPC."""

    def genesis_state(self) -> dict[Address, dict[str, Any]]:
        """Return the allocation in py-evm's ``genesis_state`` shape."""
        return {
            address: {
                "balance": a.balance,
                "nonce": a.nonce,
                "code": a.code,
                "storage": dict(a.storage),
            }
            for address, a in sorted(self.alloc.items())
        }

    def to_json(self) -> dict[str, Any]:
        """Return the file form (canonical: sorted keys, checksum addresses, hex quantities)."""
        alloc: dict[str, Any] = {}
        for address, a in sorted(self.alloc.items()):
            entry: dict[str, Any] = {"balance": hex(a.balance)}
            if a.nonce:
                entry["nonce"] = hex(a.nonce)
            if a.code:
                entry["code"] = "0x" + a.code.hex()
            if a.storage:
                entry["storage"] = {hex(k): hex(v) for k, v in sorted(a.storage.items())}
            alloc[to_checksum_address(address)] = entry
        return {
            "format": GENESIS_FORMAT,
            "chainId": self.chain_id,
            "gasLimit": self.gas_limit,
            "timestamp": self.timestamp,
            "vanity": "0x" + self.vanity.hex(),
            "validators": [to_checksum_address(v) for v in self.validators],
            "alloc": alloc,
            "permissioning": self._permissioning_json(),
            "bft": {
                "blockPeriodSeconds": self.bft.block_period_seconds,
                "emptyBlockPeriodSeconds": self.bft.empty_block_period_seconds,
                "requestTimeoutSeconds": self.bft.request_timeout_seconds,
                "epochLength": self.bft.epoch_length,
            },
        }

    def _permissioning_json(self) -> dict[str, Any]:
        table: dict[str, Any] = {"accounts": sorted(to_checksum_address(a) for a in self.allowed_accounts)}
        if self.allowed_nodes:
            table["nodes"] = sorted(self.allowed_nodes)
        return table


def _node_ids(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list of node ids")
    ids = []
    for i, item in enumerate(value):
        text = item.lower().removeprefix("0x") if isinstance(item, str) else ""
        if len(text) != NODE_ID_HEX_LENGTH or any(c not in "0123456789abcdef" for c in text):
            raise ConfigError(f"{where}[{i}] is not a {NODE_ID_HEX_LENGTH}-hex-digit node id: {item!r}")
        ids.append(text)
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{where}: duplicate node id")
    return tuple(sorted(ids))


def _quantity(value: object, where: str, *, minimum: int = 0, maximum: int = 2**256 - 1) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be a number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value, 16) if value.lower().startswith("0x") else int(value, 10)
        except ValueError as exc:
            raise ConfigError(f"{where} is not a number: {value!r}") from exc
    else:
        raise ConfigError(f"{where} must be a number or a hex string")
    if not minimum <= number <= maximum:
        raise ConfigError(f"{where} must be within [{minimum}, {maximum}], got {number}")
    return number


def _address(value: object, where: str) -> Address:
    if not isinstance(value, str) or not is_hex_address(value):
        raise ConfigError(f"{where} is not a 20-byte hex address: {value!r}")
    return Address(to_canonical_address(value))


def _hex_bytes(value: object, where: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ConfigError(f"{where} must be a 0x-prefixed hex string")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as exc:
        raise ConfigError(f"{where} is not hex") from exc


def parse_genesis(data: Mapping[str, Any], *, source: str = "<genesis>") -> GenesisConfig:
    """Build a :class:`GenesisConfig`, raising :class:`ConfigError` on any broken invariant."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the genesis must be a JSON object")
    if data.get("format") != GENESIS_FORMAT:
        raise ConfigError(f"{source}: 'format' must be {GENESIS_FORMAT!r}")
    chain_id = _quantity(data.get("chainId"), f"{source}: chainId", minimum=1, maximum=2**64 - 1)
    gas_limit = _quantity(
        data.get("gasLimit"), f"{source}: gasLimit", minimum=MIN_GAS_LIMIT, maximum=MAX_GAS_LIMIT
    )
    timestamp = _quantity(data.get("timestamp", 0), f"{source}: timestamp", maximum=2**64 - 1)
    vanity = _hex_bytes(data.get("vanity", "0x" + "00" * 32), f"{source}: vanity")
    if len(vanity) != 32:
        raise ConfigError(f"{source}: vanity must be 32 bytes")

    raw_validators = data.get("validators")
    if not isinstance(raw_validators, list) or not raw_validators:
        raise ConfigError(f"{source}: 'validators' must be a non-empty list of addresses")
    validators = tuple(_address(v, f"{source}: validators[{i}]") for i, v in enumerate(raw_validators))
    if len(set(validators)) != len(validators):
        raise ConfigError(f"{source}: duplicate validator")
    # Besu orders validators by address; the proposer rotation relies on one order everywhere.
    validators = tuple(sorted(validators))

    raw_alloc = data.get("alloc", {})
    if not isinstance(raw_alloc, Mapping):
        raise ConfigError(f"{source}: 'alloc' must be an object")
    alloc: dict[Address, Allocation] = {}
    for key, entry in raw_alloc.items():
        where = f"{source}: alloc[{key}]"
        address = _address(key, where)
        if address in alloc:
            raise ConfigError(f"{where}: listed twice")
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be an object")
        storage_raw = entry.get("storage", {})
        if not isinstance(storage_raw, Mapping):
            raise ConfigError(f"{where}.storage must be an object")
        alloc[address] = Allocation(
            balance=_quantity(entry.get("balance", 0), f"{where}.balance"),
            nonce=_quantity(entry.get("nonce", 0), f"{where}.nonce", maximum=2**64 - 1),
            code=_hex_bytes(entry.get("code", "0x"), f"{where}.code"),
            storage={
                _quantity(k, f"{where}.storage key"): _quantity(v, f"{where}.storage value")
                for k, v in storage_raw.items()
            },
        )

    perm = data.get("permissioning", {})
    if not isinstance(perm, Mapping) or not isinstance(perm.get("accounts", []), list):
        raise ConfigError(f"{source}: 'permissioning.accounts' must be a list of addresses")
    allowed = frozenset(
        _address(a, f"{source}: permissioning.accounts[{i}]") for i, a in enumerate(perm.get("accounts", []))
    )

    nodes = _node_ids(perm.get("nodes", []), f"{source}: permissioning.nodes")

    bft_raw = data.get("bft", {})
    if not isinstance(bft_raw, Mapping):
        raise ConfigError(f"{source}: 'bft' must be an object")
    bft = BftTiming(
        block_period_seconds=_quantity(
            bft_raw.get("blockPeriodSeconds", 1), f"{source}: bft.blockPeriodSeconds", maximum=3600
        ),
        empty_block_period_seconds=_quantity(
            bft_raw.get("emptyBlockPeriodSeconds", 0), f"{source}: bft.emptyBlockPeriodSeconds", maximum=86400
        ),
        request_timeout_seconds=_quantity(
            bft_raw.get("requestTimeoutSeconds", 4),
            f"{source}: bft.requestTimeoutSeconds",
            minimum=1,
            maximum=3600,
        ),
        epoch_length=_quantity(
            bft_raw.get("epochLength", 30_000), f"{source}: bft.epochLength", minimum=1, maximum=2**32
        ),
    )
    return GenesisConfig(
        chain_id=chain_id,
        gas_limit=gas_limit,
        timestamp=timestamp,
        validators=validators,
        alloc=alloc,
        allowed_accounts=allowed,
        bft=bft,
        vanity=vanity,
        allowed_nodes=nodes,
    )


def load_genesis(path: Path) -> GenesisConfig:
    """Read and validate a genesis file."""
    try:
        if path.stat().st_size > MAX_GENESIS_FILE_BYTES:
            raise ConfigError(f"{path}: genesis file larger than {MAX_GENESIS_FILE_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"genesis file not found: {path}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
    return parse_genesis(data, source=str(path))


def write_genesis(config: GenesisConfig, path: Path) -> None:
    path.write_text(json.dumps(config.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
