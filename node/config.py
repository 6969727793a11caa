"""The node configuration file (``permitchain-node/1``, JSON): where things are and how the node runs.

Paths are relative to the file's directory, so a node directory can be moved as a whole. Everything a
network must agree on lives in the genesis file instead; this file is local to one node.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.exceptions import ConfigError
from node.producer import DEFAULT_MAX_TIMESTAMP_DRIFT, ProducerTiming
from node.txpool.pool import PoolLimits

NODE_CONFIG_FORMAT = "permitchain-node/1"
MAX_CONFIG_BYTES = 1024 * 1024
MAX_STATIC_PEERS = 256


@dataclass(frozen=True, slots=True)
class P2pSettings:
    """Where this node listens for its peers, which peers it keeps dialled, and its identity key file."""

    key_path: Path
    host: str = "127.0.0.1"
    port: int = 30303
    static_peers: tuple[str, ...] = ()
    """``<node id hex>@<host>:<port>`` of each peer to keep connected."""
    request_timeout_ms: int | None = None
    """Local override of the genesis QBFT round-0 timeout (tests use short ones); None = genesis value."""
    max_round_timeout_ms: int = 10_000
    """Cap of the doubling round timeout, so a network back from an outage recovers within seconds."""
    observer: bool = False
    """Follow the chain by sync only, never vote (verifiers' nodes), even if the key is a validator."""

    def to_json(self, base: Path) -> dict[str, Any]:
        table: dict[str, Any] = {
            "keyFile": _relative(self.key_path, base),
            "host": self.host,
            "port": self.port,
            "staticPeers": list(self.static_peers),
            "maxRoundTimeoutMs": self.max_round_timeout_ms,
            "observer": self.observer,
        }
        if self.request_timeout_ms is not None:
            table["requestTimeoutMs"] = self.request_timeout_ms
        return table


@dataclass(frozen=True, slots=True)
class NodeConfig:
    path: Path
    genesis_path: Path
    data_dir: Path
    key_path: Path
    rpc_host: str = "127.0.0.1"
    rpc_port: int = 8545
    name: str = "node"
    producer: ProducerTiming = field(default_factory=ProducerTiming)
    pool: PoolLimits = field(default_factory=PoolLimits)
    log_level: str = "INFO"
    p2p: P2pSettings | None = None
    """None: a lone node without a transport (the single-validator producer)."""

    def to_json(self) -> dict[str, Any]:
        base = self.path.parent
        return {
            "format": NODE_CONFIG_FORMAT,
            "name": self.name,
            "genesis": _relative(self.genesis_path, base),
            "dataDir": _relative(self.data_dir, base),
            "keyFile": _relative(self.key_path, base),
            "rpc": {"host": self.rpc_host, "port": self.rpc_port},
            "producer": {
                "minBlockIntervalMs": int(self.producer.min_block_interval * 1000),
                "maxTimestampDriftSeconds": self.producer.max_timestamp_drift,
            },
            "pool": {
                "maxTransactionBytes": self.pool.max_transaction_bytes,
                "maxTransactions": self.pool.max_transactions,
                "maxPerSender": self.pool.max_per_sender,
                "priceBumpPercent": self.pool.price_bump_percent,
                "allowEqualPriceReplacement": self.pool.allow_equal_price_replacement,
            },
            "logLevel": self.log_level,
            **({"p2p": self.p2p.to_json(base)} if self.p2p is not None else {}),
        }


def _relative(path: Path, base: Path) -> str:
    return os.path.relpath(path, base)


def _int(
    table: Mapping[str, Any], key: str, default: int, where: str, *, minimum: int = 0, maximum: int
) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConfigError(f"{where}.{key} must be an integer in [{minimum}, {maximum}]")
    return value


def _p2p(table: object, base: Path, where: str) -> P2pSettings | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: 'p2p' must be an object")
    key = table.get("keyFile")
    if not isinstance(key, str) or not key:
        raise ConfigError(f"{where}: p2p.keyFile must be a path")
    host = table.get("host", "127.0.0.1")
    if not isinstance(host, str) or not host:
        raise ConfigError(f"{where}: p2p.host must be a host name or address")
    peers = table.get("staticPeers", [])
    if not isinstance(peers, list) or not all(isinstance(p, str) and "@" in p for p in peers):
        raise ConfigError(f"{where}: p2p.staticPeers must be a list of '<node id>@<host>:<port>'")
    if len(peers) > MAX_STATIC_PEERS:
        raise ConfigError(f"{where}: at most {MAX_STATIC_PEERS} static peers")
    observer = table.get("observer", False)
    if not isinstance(observer, bool):
        raise ConfigError(f"{where}: p2p.observer must be true or false")
    timeout = table.get("requestTimeoutMs")
    return P2pSettings(
        key_path=(base / key).resolve(),
        host=host,
        port=_int(table, "port", 30303, "p2p", maximum=65535),
        static_peers=tuple(peers),
        request_timeout_ms=None
        if timeout is None
        else _int(table, "requestTimeoutMs", 0, "p2p", minimum=50, maximum=3_600_000),
        max_round_timeout_ms=_int(table, "maxRoundTimeoutMs", 10_000, "p2p", minimum=50, maximum=3_600_000),
        observer=observer,
    )


def load_node_config(path: Path) -> NodeConfig:
    """Read and validate a node configuration file."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: configuration file too large")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"node configuration not found: {path}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != NODE_CONFIG_FORMAT:
        raise ConfigError(f"{path}: 'format' must be {NODE_CONFIG_FORMAT!r}")
    base = path.resolve().parent
    for key in ("genesis", "dataDir", "keyFile"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ConfigError(f"{path}: '{key}' must be a path")
    rpc = data.get("rpc", {})
    producer = data.get("producer", {})
    pool = data.get("pool", {})
    if not all(isinstance(t, dict) for t in (rpc, producer, pool)):
        raise ConfigError(f"{path}: 'rpc', 'producer' and 'pool' must be objects")
    host = rpc.get("host", "127.0.0.1")
    if not isinstance(host, str) or not host:
        raise ConfigError(f"{path}: rpc.host must be a host name or address")
    level = data.get("logLevel", "INFO")
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"{path}: logLevel must be DEBUG, INFO, WARNING or ERROR")
    equal = pool.get("allowEqualPriceReplacement", False)
    if not isinstance(equal, bool):
        raise ConfigError(f"{path}: pool.allowEqualPriceReplacement must be true or false")
    name = data.get("name", "node")
    if not isinstance(name, str) or not name.isprintable() or len(name) > 64:
        raise ConfigError(f"{path}: name must be printable text of at most 64 characters")
    return NodeConfig(
        path=path.resolve(),
        genesis_path=(base / data["genesis"]).resolve(),
        data_dir=(base / data["dataDir"]).resolve(),
        key_path=(base / data["keyFile"]).resolve(),
        rpc_host=host,
        rpc_port=_int(rpc, "port", 8545, "rpc", minimum=1, maximum=65535),
        name=name,
        producer=ProducerTiming(
            min_block_interval=_int(producer, "minBlockIntervalMs", 0, "producer", maximum=3_600_000) / 1000,
            max_timestamp_drift=_int(
                producer, "maxTimestampDriftSeconds", DEFAULT_MAX_TIMESTAMP_DRIFT, "producer", maximum=3600
            ),
        ),
        pool=PoolLimits(
            max_transaction_bytes=_int(
                pool, "maxTransactionBytes", 128 * 1024, "pool", minimum=1024, maximum=4 * 1024 * 1024
            ),
            max_transactions=_int(pool, "maxTransactions", 8192, "pool", minimum=1, maximum=1_000_000),
            max_per_sender=_int(pool, "maxPerSender", 256, "pool", minimum=1, maximum=100_000),
            price_bump_percent=_int(pool, "priceBumpPercent", 10, "pool", maximum=1000),
            allow_equal_price_replacement=equal,
        ),
        log_level=level,
        p2p=_p2p(data.get("p2p"), base, str(path)),
    )


def write_node_config(config: NodeConfig) -> None:
    config.path.write_text(json.dumps(config.to_json(), indent=2) + "\n", encoding="utf-8")
