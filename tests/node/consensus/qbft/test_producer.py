"""Four validators with real chains (py-evm on LMDB), real pools and the in-memory transport.

Block timestamps are whole seconds and strictly increase, so after the first block each height waits
for the chain's clock: this test takes a few real seconds and is marked slow.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from eth_keys.datatypes import PrivateKey

from node.chain_service import ChainService
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.ports import LocalKeySigner
from node.consensus.qbft.producer import SNAPSHOT_KEY, SNAPSHOT_NAMESPACE, QbftProducer
from node.p2p.memory import InMemoryNetwork
from node.permissioning import AccountAllowlist
from node.storage.lmdb_store import LmdbStore
from node.txpool.pool import TxPool
from tests.node.conftest import make_genesis
from tests.node.txs import raw_tx, sender_key

PRIVATE = [bytes([i + 1]) * 32 for i in range(4)]
CONFIG = QbftConfig(block_period=0.0, request_timeout=30.0, max_round_timeout=30.0)


@pytest.mark.slow
def test_four_qbft_producers_agree_on_real_blocks(tmp_path: Path) -> None:
    genesis = make_genesis([PrivateKey(k) for k in PRIVATE])
    stores = [LmdbStore(tmp_path / f"node{i}") for i in range(4)]
    chains = [ChainService(store, genesis) for store in stores]
    pools = [
        TxPool(
            chain,
            AccountAllowlist(chain.store, genesis.allowed_accounts),
            block_gas_limit=chain.block_gas_limit,
        )
        for chain in chains
    ]
    signers = [LocalKeySigner(k) for k in PRIVATE]
    peers = {s.address: f"node{i}" for i, s in enumerate(signers)}
    tx_hash = None
    for pool in pools:  # no transaction gossip here: every pool holds the transaction
        tx_hash = pool.add_raw(raw_tx(sender_key(0), 0))

    async def scenario() -> None:
        network = InMemoryNetwork(seed=5)
        transports = [network.transport(f"node{i}") for i in range(4)]
        for transport in transports:
            await transport.start()
        producers = [
            QbftProducer(chain, pool, store, signer, transport, config=CONFIG, peers=peers)
            for chain, pool, store, signer, transport in zip(
                chains, pools, stores, signers, transports, strict=True
            )
        ]
        tasks = [asyncio.get_running_loop().create_task(p.run()) for p in producers]
        try:
            async with asyncio.timeout(60):
                while min(int(c.head().block_number) for c in chains) < 3:
                    await asyncio.sleep(0.02)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for transport in transports:
                await transport.stop()

    try:
        asyncio.run(scenario())
        heads = [[c.header_by_number(n).hash for n in range(1, 4)] for c in chains]  # type: ignore[union-attr]
        assert all(h == heads[0] for h in heads)
        assert tx_hash is not None
        locations = {c.transaction_location(tx_hash) for c in chains}
        assert len(locations) == 1 and None not in locations
        assert all(len(pool) == 0 for pool in pools)
        assert all(store.get(SNAPSHOT_NAMESPACE, SNAPSHOT_KEY) for store in stores)
        # A restarted producer finds its votes in its own store.
        network = InMemoryNetwork(seed=6)
        again = QbftProducer(
            chains[0], pools[0], stores[0], signers[0], network.transport("node0"), config=CONFIG
        )
        snapshot = again.host.load_snapshot(again.port)
        assert snapshot is not None and snapshot.height >= 3
    finally:
        for store in stores:
            store.close()
