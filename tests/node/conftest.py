"""Fixtures for the node's tests: keys, genesis configs, a chain service on a temporary LMDB store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_hash.auto import keccak
from eth_keys.datatypes import PrivateKey
from eth_typing import Address

from node.chain_service import ChainService
from node.config import NodeConfig
from node.devnet.network import (
    free_port,
    start_node,
    stop_all_started,
    stop_node_process,
    wait_until_serving,
)
from node.genesis import GenesisConfig, parse_genesis
from node.provisioning import NetworkPlan, init_network, with_rpc_port
from node.storage.lmdb_store import LmdbStore
from tests.node.txs import CHAIN_ID, sender_key

VALIDATOR_KEY = PrivateKey(b"\x01" * 32)


def make_genesis(
    validators: list[PrivateKey] | None = None,
    *,
    funded: int = 4,
    allowed: int = 4,
    gas_limit: int = 30_000_000,
) -> GenesisConfig:
    validators = validators or [VALIDATOR_KEY]
    return parse_genesis(
        {
            "format": "permitchain-genesis/1",
            "chainId": CHAIN_ID,
            "gasLimit": gas_limit,
            "timestamp": 1_700_000_000,
            "validators": [v.public_key.to_checksum_address() for v in validators],
            "alloc": {
                sender_key(i).public_key.to_checksum_address(): {"balance": hex(10**24)}
                for i in range(funded)
            },
            "permissioning": {
                "accounts": [sender_key(i).public_key.to_checksum_address() for i in range(allowed)]
            },
        }
    )


@pytest.fixture
def genesis() -> GenesisConfig:
    return make_genesis()


@pytest.fixture
def chain(tmp_path: Path, genesis: GenesisConfig) -> Iterator[ChainService]:
    store = LmdbStore(tmp_path / "chain")
    service = ChainService(store, genesis)
    yield service
    store.close()


@dataclass(frozen=True)
class SingleNode:
    """A real node process on loopback: its RPC URL and keys the tests may use.

    ``accounts`` are funded and allow-listed DEVELOPMENT keys; ``outsider`` is funded but not on the
    allow-list (its transactions must be refused).
    """

    url: str
    chain_id: int
    accounts: tuple[PrivateKey, ...]
    outsider: PrivateKey
    validator: Address
    directory: Path
    pid: int

    @property
    def sender(self) -> PrivateKey:
        """A funded, allow-listed key (the first development account)."""
        return self.accounts[0]

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")


OUTSIDER_KEY = PrivateKey(keccak(b"permitchain single-node outsider"))


def start_single_node(directory: Path, *, dev_accounts: int = 4) -> tuple[SingleNode, NodeConfig]:
    outsider_address = Address(OUTSIDER_KEY.public_key.to_canonical_address())
    network = init_network(
        directory, NetworkPlan(dev_accounts=dev_accounts, extra_alloc=((outsider_address, 10**24),))
    )
    config = with_rpc_port(network.node_configs[0], free_port())
    process = start_node(config)
    try:
        wait_until_serving(process)
    except BaseException:
        stop_node_process(process.pid, config.path)
        raise
    node = SingleNode(
        url=process.url,
        chain_id=network.genesis.chain_id,
        accounts=tuple(a.private_key for a in network.dev_accounts),
        outsider=OUTSIDER_KEY,
        validator=network.genesis.validators[0],
        directory=directory,
        pid=process.pid,
    )
    return node, config


@pytest.fixture(scope="session", autouse=True)
def _no_node_process_outlives_the_session() -> Iterator[None]:
    """Whatever a failing test left running, the session ends with no node processes of ours."""
    yield
    stop_all_started()


@pytest.fixture(scope="session")
def single_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SingleNode]:
    """One real node process for the whole session (started once, stopped at the end)."""
    node, config = start_single_node(tmp_path_factory.mktemp("single-node"))
    try:
        yield node
    finally:
        stop_node_process(node.pid, config.path)
