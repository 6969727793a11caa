"""Fixtures for the node's tests: keys, genesis configs, a chain service on a temporary LMDB store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_keys.datatypes import PrivateKey

from node.chain_service import ChainService
from node.genesis import GenesisConfig, parse_genesis
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
