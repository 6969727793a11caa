"""When an idle validator starts the next height (``QbftProducer.height_gate``), and which peer
messages may wake it (``peek_height``): pure decisions with time as a parameter."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_keys.datatypes import PrivateKey

from node.chain_service import ChainService
from node.consensus.qbft.height_state import HeightInfo
from node.consensus.qbft.messages import make_commit, make_prepare, make_round_change
from node.consensus.qbft.ports import LocalKeySigner
from node.consensus.qbft.producer import SYNC_RECHECK_SECONDS, QbftProducer
from node.consensus.qbft.runner import peek_height
from node.p2p.memory import InMemoryNetwork
from node.permissioning import AccountAllowlist
from node.storage.lmdb_store import LmdbStore
from node.txpool.pool import TxPool
from tests.node.conftest import make_genesis
from tests.node.txs import raw_tx, sender_key

KEYS = [bytes([i + 1]) * 32 for i in range(4)]
NOW = 1_700_000_100.0


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[ChainService, TxPool, LmdbStore]]:
    genesis = make_genesis([PrivateKey(k) for k in KEYS])
    store = LmdbStore(tmp_path / "db")
    chain = ChainService(store, genesis)
    pool = TxPool(
        chain, AccountAllowlist(store, genesis.allowed_accounts), block_gas_limit=chain.block_gas_limit
    )
    yield chain, pool, store
    store.close()


def _producer(parts: tuple[ChainService, TxPool, LmdbStore], **kwargs: object) -> QbftProducer:
    chain, pool, store = parts
    transport = InMemoryNetwork().transport("node0")
    return QbftProducer(chain, pool, store, LocalKeySigner(KEYS[0]), transport, **kwargs)  # type: ignore[arg-type]


def _info(parent_timestamp: float) -> HeightInfo:
    return HeightInfo(1, tuple(LocalKeySigner(k).address for k in KEYS), None, parent_timestamp)


def test_without_transactions_only_the_empty_block_period_opens_the_gate(parts) -> None:
    idle = _producer(parts, empty_block_period=0.0)
    assert idle.height_gate(_info(NOW - 3600), NOW) == math.inf  # never an empty block
    periodic = _producer(parts, empty_block_period=5.0)
    assert periodic.height_gate(_info(NOW - 2), NOW) == NOW + 3  # due 5 s after the parent
    assert periodic.height_gate(_info(NOW - 5), NOW) is None
    legacy = _producer(parts)  # no period configured: propose at once whatever is pending
    assert legacy.height_gate(_info(NOW), NOW) is None


def test_a_waiting_transaction_opens_it_but_not_while_syncing(parts) -> None:
    behind = True
    producer = _producer(parts, empty_block_period=0.0, is_syncing=lambda: behind)
    parts[1].add_raw(raw_tx(sender_key(0), 0))
    assert producer.height_gate(_info(NOW), NOW) == NOW + SYNC_RECHECK_SECONDS
    behind = False
    assert producer.height_gate(_info(NOW), NOW) is None


def test_peek_height_reads_every_message_kind_and_refuses_junk(parts) -> None:
    signer = LocalKeySigner(KEYS[1])
    digest = b"\x07" * 32
    assert peek_height(make_prepare(signer, 7, 0, digest).encode()) == 7  # type: ignore[arg-type]
    assert peek_height(make_commit(signer, 8, 1, digest, b"\x00" * 65).encode()) == 8  # type: ignore[arg-type]
    port = _producer(parts).port
    assert peek_height(make_round_change(signer, port, 9, 3).encode()) == 9
    assert peek_height(b"\xff\x00") is None
    assert peek_height(b"") is None
