"""QBFT as the node's block producer: ``BlockProducerAPI`` over the runner, the chain and the pool.

The node swaps :class:`node.producer.SingleNodeProducer` for :class:`QbftProducer` when the validator set
has more than one member; everything else (RPC, pool, storage) stays as it is. The consensus snapshot
lives in the node's LMDB auxiliary key space, written at once (``put_now``) because a vote must be
durable before it is sent, not with the next block.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from eth_typing import Address

from node.abc import BlockProducerAPI, TransportAPI, TxPoolAPI
from node.bft.extra_data import VANITY_LENGTH, BftExtraData
from node.chain_service import ChainService
from node.consensus.qbft.actions import CommitBlock
from node.consensus.qbft.chain_port import ChainBlock, ChainBlockPort, sealed_block
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.height_state import HeightInfo
from node.consensus.qbft.ports import Signer
from node.consensus.qbft.runner import QbftRunner
from node.consensus.qbft.snapshot import Snapshot
from node.consensus.qbft.state_machine import QbftMachine

SNAPSHOT_NAMESPACE = "qbft"
SNAPSHOT_KEY = b"snapshot"


class SnapshotStore(Protocol):
    """The part of ``LmdbStore`` the producer uses."""

    def get(self, namespace: str, key: bytes) -> bytes | None: ...

    def put_now(self, namespace: str, key: bytes, value: bytes | None) -> None: ...


class ChainConsensusHost:
    """:class:`~node.consensus.qbft.runner.ConsensusHost` over the node's chain, pool and store."""

    def __init__(
        self,
        chain: ChainService,
        pool: TxPoolAPI,
        store: SnapshotStore,
        coinbase: Address,
        *,
        peers: Mapping[Address, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.chain = chain
        self.pool = pool
        self.store = store
        self.coinbase = coinbase
        self.peers = dict(peers or {})
        self.clock = clock

    def next_height(self) -> HeightInfo:
        head = self.chain.head()
        number = int(head.block_number)
        return HeightInfo(
            number + 1,
            self.chain.validators_after(number),
            None if number == 0 else Address(head.coinbase),
            float(head.timestamp),
        )

    def _build(self, height: int, round_number: int) -> ChainBlock | None:
        head = self.chain.head()
        if int(head.block_number) + 1 != height:
            return None
        extra = BftExtraData(
            vanity=b"\x00" * VANITY_LENGTH,
            validators=self.chain.validators_after(int(head.block_number)),
            vote=None,
            round=round_number,
            seals=(),
        ).encode()
        block, _left_out = self.chain.build_candidate(
            self.pool.executable(self.chain.block_gas_limit),
            timestamp=max(int(self.clock()), int(head.timestamp) + 1),
            coinbase=self.coinbase,
            extra_data=extra,
        )
        return ChainBlock(block)

    async def build_block(self, height: int, round_number: int) -> ChainBlock | None:
        # Execution is CPU work under the chain's lock: keep the event loop (transport) responsive.
        return await asyncio.to_thread(self._build, height, round_number)

    def _commit(self, decision: CommitBlock) -> HeightInfo:
        block = sealed_block(decision)
        self.chain.commit_block(block)
        self.pool.remove_included(block)
        return self.next_height()

    async def commit_block(self, decision: CommitBlock) -> HeightInfo:
        return await asyncio.to_thread(self._commit, decision)

    def persist_snapshot(self, data: bytes) -> None:
        self.store.put_now(SNAPSHOT_NAMESPACE, SNAPSHOT_KEY, data)

    def load_snapshot(self, port: ChainBlockPort) -> Snapshot | None:
        data = self.store.get(SNAPSHOT_NAMESPACE, SNAPSHOT_KEY)
        return None if data is None else Snapshot.decode(data, port)

    def peer_of(self, validator: Address) -> str | None:
        return self.peers.get(validator)


class QbftProducer(BlockProducerAPI):
    """Produces blocks by QBFT agreement with the other validators."""

    def __init__(
        self,
        chain: ChainService,
        pool: TxPoolAPI,
        store: SnapshotStore,
        signer: Signer,
        transport: TransportAPI,
        *,
        config: QbftConfig | None = None,
        peers: Mapping[Address, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.chain = chain
        self.port = ChainBlockPort(chain)
        self.host = ChainConsensusHost(chain, pool, store, signer.address, peers=peers, clock=clock)
        machine = QbftMachine(
            config or QbftConfig(), signer, self.port, restored=self.host.load_snapshot(self.port)
        )
        self.runner = QbftRunner(machine, transport, self.host, clock=clock)

    async def run(self) -> None:
        await self.runner.run()

    def notify_pending(self) -> None:
        """Nothing to do: QBFT proposes on its own schedule (every block period), with what is pending."""

    def validators(self, block_number: int) -> tuple[Address, ...]:
        return self.chain.validators_after(block_number)

    def block_imported(self) -> None:
        """Sync imported a new head: let consensus move to the height after it."""
        self.runner.block_imported(self.host.next_height())
