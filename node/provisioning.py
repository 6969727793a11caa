"""Create a network's files: genesis, validator keys, node configs, development accounts.

Used by ``permitchain node init`` and by the devnet. Layout of a network directory::

    DIR/genesis.json
    DIR/node-0/node.json  node.key (0600)  p2p.key (0600, Ed25519, several nodes only)  data/
    DIR/node-1/...                        (one per validator, then one per observer)
    DIR/dev-accounts.json (0600, only with --dev-accounts: DEVELOPMENT keys, never for real use)
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from eth_keys.datatypes import PrivateKey
from eth_typing import Address
from eth_utils.address import to_checksum_address

from node.config import NodeConfig, P2pSettings, write_node_config
from node.exceptions import ConfigError
from node.genesis import Allocation, BftTiming, GenesisConfig, load_genesis, write_genesis
from node.keys import generate_key, key_address, write_key
from node.p2p.identity import load_or_create_identity

DEFAULT_CHAIN_ID = 7210
DEFAULT_GAS_LIMIT = 30_000_000
DEV_ACCOUNT_BALANCE = 10**24
MAX_VALIDATORS = 64
MAX_DEV_ACCOUNTS = 256
DEV_ACCOUNTS_FILE = "dev-accounts.json"
P2P_KEY_FILE = "p2p.key"
DEV_WARNING = "DEVELOPMENT ACCOUNTS: generated for this devnet only; never fund or use them anywhere else."


@dataclass(frozen=True, slots=True)
class NetworkPlan:
    chain_id: int = DEFAULT_CHAIN_ID
    validators: int = 1
    gas_limit: int = DEFAULT_GAS_LIMIT
    dev_accounts: int = 0
    extra_alloc: tuple[tuple[Address, int], ...] = ()
    extra_allowed: tuple[Address, ...] = ()
    empty_block_period_seconds: int = 0
    block_period_seconds: int = 1
    first_rpc_port: int = 8545
    timestamp: int = 0
    observers: int = 0
    """Non-validating nodes that follow the chain by sync (verifiers)."""
    candidates: int = 0
    """Nodes that run QBFT with a key outside the genesis set: they validate once voted in."""
    networked: bool | None = None
    """Give every node a p2p identity, port and full-mesh static peers; None = when more than one node."""
    first_p2p_port: int = 30303
    p2p_ports: tuple[int, ...] = ()
    """Explicit p2p port per node (the devnet passes free ones); else ``first_p2p_port + i``."""
    rpc_ports: tuple[int, ...] = ()
    """Explicit RPC port per node; else ``first_rpc_port + i``."""
    request_timeout_ms: int | None = None
    """Local QBFT round-0 timeout override written into every node config (tests)."""
    max_round_timeout_ms: int = 10_000


@dataclass(frozen=True, slots=True)
class DevAccount:
    address: Address
    private_key: PrivateKey

    def to_json(self) -> dict[str, str]:
        return {"address": to_checksum_address(self.address), "private_key": self.private_key.to_hex()}


@dataclass(frozen=True, slots=True)
class Network:
    directory: Path
    genesis: GenesisConfig
    node_configs: tuple[NodeConfig, ...]
    dev_accounts: tuple[DevAccount, ...]


def _write_private_json(path: Path, data: object) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def _node_config(directory: Path, index: int, rpc_port: int) -> NodeConfig:
    node_dir = directory / f"node-{index}"
    return NodeConfig(
        path=node_dir / "node.json",
        genesis_path=directory / "genesis.json",
        data_dir=node_dir / "data",
        key_path=node_dir / "node.key",
        rpc_port=rpc_port,
        name=f"node-{index}",
    )


def _prepare_dir(directory: Path) -> None:
    if (directory / "genesis.json").exists():
        raise ConfigError(f"{directory} already holds a network (genesis.json exists)")
    directory.mkdir(parents=True, exist_ok=True)


def init_network(directory: Path, plan: NetworkPlan) -> Network:
    """Create a new network in ``directory`` (which must not hold one)."""
    if not 1 <= plan.validators <= MAX_VALIDATORS:
        raise ConfigError(f"--validators must be between 1 and {MAX_VALIDATORS}")
    if not 0 <= plan.dev_accounts <= MAX_DEV_ACCOUNTS:
        raise ConfigError(f"--dev-accounts must be between 0 and {MAX_DEV_ACCOUNTS}")
    if not 0 <= plan.observers <= MAX_VALIDATORS:
        raise ConfigError(f"--observers must be between 0 and {MAX_VALIDATORS}")
    total = plan.validators + plan.candidates + plan.observers
    networked = plan.networked if plan.networked is not None else total > 1
    if plan.observers and not networked:
        raise ConfigError("observers need the p2p network")
    for name, ports in (("p2p", plan.p2p_ports), ("rpc", plan.rpc_ports)):
        if ports and len(ports) != total:
            raise ConfigError(f"give one {name} port per node ({total}), got {len(ports)}")
    _prepare_dir(directory)
    validator_keys = [generate_key() for _ in range(plan.validators)]
    node_keys = validator_keys + [generate_key() for _ in range(plan.candidates + plan.observers)]
    node_ids: list[str] = []
    if networked:
        for index in range(total):
            node_dir = directory / f"node-{index}"
            node_dir.mkdir(parents=True, exist_ok=False)
            node_ids.append(load_or_create_identity(node_dir / P2P_KEY_FILE).node_id)
    dev = tuple(
        DevAccount(key_address(k), k)
        for k in (PrivateKey(secrets.token_bytes(32)) for _ in range(plan.dev_accounts))
    )
    alloc: dict[Address, Allocation] = {a.address: Allocation(balance=DEV_ACCOUNT_BALANCE) for a in dev}
    for address, balance in plan.extra_alloc:
        alloc[address] = Allocation(balance=balance)
    genesis = GenesisConfig(
        chain_id=plan.chain_id,
        gas_limit=plan.gas_limit,
        timestamp=plan.timestamp,
        validators=tuple(sorted(key_address(k) for k in validator_keys)),
        alloc=alloc,
        allowed_accounts=frozenset({a.address for a in dev} | set(plan.extra_allowed)),
        bft=BftTiming(
            block_period_seconds=plan.block_period_seconds,
            empty_block_period_seconds=plan.empty_block_period_seconds,
        ),
        allowed_nodes=tuple(sorted(node_ids)),
    )
    write_genesis(genesis, directory / "genesis.json")
    p2p_ports = plan.p2p_ports or tuple(plan.first_p2p_port + i for i in range(total))
    peers = tuple(f"{node_id}@127.0.0.1:{port}" for node_id, port in zip(node_ids, p2p_ports, strict=False))
    configs = []
    for index, key in enumerate(node_keys):
        rpc_port = plan.rpc_ports[index] if plan.rpc_ports else plan.first_rpc_port + index
        config = _node_config(directory, index, rpc_port)
        if networked:
            config = replace(
                config,
                p2p=P2pSettings(
                    key_path=config.path.parent / P2P_KEY_FILE,
                    port=p2p_ports[index],
                    static_peers=tuple(p for i, p in enumerate(peers) if i != index),
                    request_timeout_ms=plan.request_timeout_ms,
                    max_round_timeout_ms=plan.max_round_timeout_ms,
                    observer=index >= plan.validators + plan.candidates,
                ),
            )
        else:
            config.path.parent.mkdir(parents=True, exist_ok=False)
        write_key(key, config.key_path)
        write_node_config(config)
        configs.append(config)
    if dev:
        _write_private_json(
            directory / DEV_ACCOUNTS_FILE, {"warning": DEV_WARNING, "accounts": [a.to_json() for a in dev]}
        )
    return Network(directory, load_genesis(directory / "genesis.json"), tuple(configs), dev)


def init_from_genesis(
    directory: Path,
    genesis_file: Path,
    *,
    rpc_port: int = 8545,
    peers: tuple[str, ...] = (),
    p2p_port: int = 30303,
    observer: bool = False,
) -> Network:
    """Create one node directory for an existing network (fresh keys; it validates only if voted in).

    With ``peers`` (``<node id>@host:port``) or ``observer`` the node joins over p2p: its new Ed25519
    id (in ``p2p.key``) must then be added to the other nodes' allow-list (``perm_addNodesToAllowlist``).
    """
    genesis = load_genesis(genesis_file)
    _prepare_dir(directory)
    write_genesis(genesis, directory / "genesis.json")
    config = _node_config(directory, 0, rpc_port)
    config.path.parent.mkdir(parents=True, exist_ok=False)
    if peers or observer or len(genesis.validators) > 1:
        load_or_create_identity(config.path.parent / P2P_KEY_FILE)
        config = replace(
            config,
            p2p=P2pSettings(
                key_path=config.path.parent / P2P_KEY_FILE,
                port=p2p_port,
                static_peers=peers,
                observer=observer,
            ),
        )
    write_key(generate_key(), config.key_path)
    write_node_config(config)
    return Network(directory, load_genesis(directory / "genesis.json"), (config,), ())


def with_rpc_port(config: NodeConfig, port: int) -> NodeConfig:
    updated = replace(config, rpc_port=port)
    write_node_config(updated)
    return updated


def load_dev_accounts(directory: Path) -> tuple[DevAccount, ...]:
    path = directory / DEV_ACCOUNTS_FILE
    if not path.exists():
        return ()
    data = json.loads(path.read_text(encoding="utf-8"))
    accounts = []
    for entry in data.get("accounts", []):
        key = PrivateKey(bytes.fromhex(entry["private_key"].removeprefix("0x")))
        accounts.append(DevAccount(key_address(key), key))
    return tuple(accounts)
