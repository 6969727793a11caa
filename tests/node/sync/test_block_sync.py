"""Block sync and transaction gossip between two real chains over the in-memory transport: a node
that is behind fetches, checks and imports the missing blocks; a peer serving a block with a forged
seal is reported and nothing is imported; gossiped transactions pass the pool's own checks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import rlp

from node.abc import MessageKind
from node.bft.extra_data import decode_extra_data
from node.chain_service import ChainService
from node.genesis import GenesisConfig
from node.p2p import InMemoryNetwork
from node.permissioning import AccountAllowlist
from node.producer import SingleNodeProducer
from node.storage.lmdb_store import LmdbStore
from node.sync import BlockSync, GossipingPool, SyncStatus, TxGossip, wire
from node.txpool.pool import TxPool
from tests.node.conftest import VALIDATOR_KEY, make_genesis
from tests.node.txs import raw_tx, sender_key

A, B = "aa" * 32, "bb" * 32


class Node:
    def __init__(self, directory: Path, genesis: GenesisConfig) -> None:
        self.store = LmdbStore(directory)
        self.chain = ChainService(self.store, genesis)
        self.pool = TxPool(
            self.chain,
            AccountAllowlist(self.store, genesis.allowed_accounts),
            block_gas_limit=genesis.gas_limit,
        )


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    genesis = make_genesis()
    a, b = Node(tmp_path / "a", genesis), Node(tmp_path / "b", genesis)
    yield a, b
    a.store.close()
    b.store.close()


def _grow(node: Node, blocks: int) -> None:
    producer = SingleNodeProducer(node.chain, node.pool, VALIDATOR_KEY)
    start = int(node.chain.head().timestamp)
    for i in range(blocks):
        node.pool.add_raw(raw_tx(sender_key(0), int(node.chain.head().block_number)))
        assert producer.produce_once(start + 1 + i) is not None


async def _until(condition: object, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


def test_a_node_behind_fetches_checks_and_imports_the_missing_blocks(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    _grow(a, 70)  # more than one request's worth (64)
    imported: list[int] = []
    progress: list[object] = []

    async def scenario() -> None:
        net = InMemoryNetwork()
        ta, tb = net.transport(A), net.transport(B)
        await ta.start()
        await tb.start()
        sync_a = BlockSync(a.chain, ta, status_interval=0.05)

        def on_imported() -> None:
            imported.append(int(b.chain.head().block_number))
            progress.append(sync_b.progress())

        sync_b = BlockSync(b.chain, tb, status_interval=0.05, on_imported=on_imported)
        assert sync_b.is_syncing()  # has heard nobody yet: must not vote
        tasks = [asyncio.create_task(sync_a.run()), asyncio.create_task(sync_b.run())]
        try:
            await _until(lambda: 70 in imported)  # told after each imported batch
            await _until(lambda: not sync_b.is_syncing())
            assert sync_b.progress() is None
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await ta.stop()
            await tb.stop()

    asyncio.run(scenario())
    assert b.chain.head().hash == a.chain.head().hash
    assert imported and max(imported) == 70
    assert SyncStatus(0, 64, 70) in progress  # eth_syncing while behind: start, current, highest
    assert b.chain.receipt(a.chain.block_by_number(70).transactions[0].hash) is not None  # type: ignore[union-attr]


def test_a_peer_serving_a_forged_seal_is_reported_and_nothing_is_imported(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    _grow(a, 3)

    async def forged(peer: str, payload: bytes) -> bytes:
        first, count = wire.decode_request(payload)
        blocks = []
        for number in range(first, min(first + count, 4)):
            block = a.chain.block_by_number(number)
            assert block is not None
            extra = decode_extra_data(block.header.extra_data)
            bad = extra.with_seals(tuple(bytes([s[0] ^ 1]) + s[1:] for s in extra.seals))
            blocks.append(rlp.encode(block.copy(header=block.header.copy(extra_data=bad.encode()))))
        return wire.encode_response(blocks)

    async def scenario() -> list[tuple[str, str]]:
        net = InMemoryNetwork()
        ta, tb = net.transport(A), net.transport(B)
        await ta.start()
        await tb.start()
        ta.set_request_handler(MessageKind.BLOCK_SYNC, forged)
        sync_b = BlockSync(b.chain, tb, status_interval=0.05)
        task = asyncio.create_task(sync_b.run())
        try:
            head = a.chain.head()
            status = wire.HeadStatus(int(head.block_number), bytes(head.hash)).encode()

            def announced_and_caught() -> bool:
                ta.broadcast(MessageKind.STATUS, status)  # until B's sync listens
                return bool(tb.misbehaviour)

            await _until(announced_and_caught)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await ta.stop()
            await tb.stop()
        return tb.misbehaviour

    reports = asyncio.run(scenario())
    assert reports[0][0] == A and "invalid block #1" in reports[0][1]
    assert int(b.chain.head().block_number) == 0


def test_gossip_forwards_local_transactions_and_admits_peers_through_the_pool(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes

    async def scenario() -> TxGossip:
        net = InMemoryNetwork()
        ta, tb = net.transport(A), net.transport(B)
        await ta.start()
        await tb.start()
        front = GossipingPool(a.pool, ta)
        front.attach(asyncio.get_running_loop())
        gossip_b = TxGossip(b.pool, tb)
        task = asyncio.create_task(gossip_b.run())
        try:
            good = raw_tx(sender_key(0), 0)
            front.add_raw(good)
            await _until(lambda: len(b.pool) == 1)
            # A peer's junk and a sender off the allow-list are refused by B's pool, not forwarded.
            ta.broadcast(MessageKind.TRANSACTIONS, b"\x01junk")
            ta.broadcast(MessageKind.TRANSACTIONS, raw_tx(sender_key(9), 0))
            await _until(lambda: gossip_b.refused == 2)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await ta.stop()
            await tb.stop()
        return gossip_b

    gossip = asyncio.run(scenario())
    assert gossip.received == 1 and len(b.pool) == 1
