"""QBFT as the node's block producer: ``BlockProducerAPI`` over the runner, the chain and the pool.

The node swaps :class:`node.producer.SingleNodeProducer` for :class:`QbftProducer` when the validator set
has more than one member; everything else (RPC, pool, storage) stays as it is. The consensus snapshot
lives in the node's LMDB auxiliary key space, written at once (``put_now``) because a vote must be
durable before it is sent, not with the next block.
"""

from __future__ import annotations

import asyncio
import logging
import math
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
from node.exceptions import InvalidBlock
from node.voting import PendingVotes, apply_vote

_log = logging.getLogger(__name__)

SYNC_RECHECK_SECONDS = 0.2
DEFAULT_MAX_BLOCK_TRANSACTIONS = 150
"""Every validator re-executes a proposal while its consensus task waits; bounding the block keeps that
well inside the round timeout on a loaded machine, so heavy load gives more blocks, not round changes."""
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
        max_timestamp_drift: int = 2,
        votes: PendingVotes | None = None,
        max_block_transactions: int = DEFAULT_MAX_BLOCK_TRANSACTIONS,
    ) -> None:
        self.votes = votes
        self.max_block_transactions = max_block_transactions
        self.chain = chain
        self.pool = pool
        self.store = store
        self.coinbase = coinbase
        self.peers = dict(peers or {})
        self.clock = clock
        self.max_timestamp_drift = max_timestamp_drift

    def next_height(self) -> HeightInfo:
        head = self.chain.head()
        number = int(head.block_number)
        return HeightInfo(
            number + 1,
            self.chain.validators_after(number),
            None if number == 0 else Address(head.coinbase),
            self.round_zero_base(float(head.timestamp), self.clock()),
        )

    def round_zero_base(self, head_timestamp: float, now: float) -> float:
        """Return the time round 0 starts from (the engine runs the machine with block period 0).

        Timestamps are whole seconds and may run a little ahead under load: round 0 must not wait for
        the chain's clock to catch up, or a lone transaction would wait up to a second, so this is
        ``now`` while the chain leads by no more than the drift. Beyond that the proposer may not build
        before ``head + 1 - drift`` (see :meth:`build_block`), and round 0 starts then: counted from
        ``now``, a round timeout shorter than that wait expired every round 0, so only round-1
        proposers ever proposed (seen with 0.5 s rounds: three of six validators never proposed, and
        their validator votes were never cast).
        """
        return max(min(head_timestamp, now), self.earliest_build(head_timestamp))

    def earliest_build(self, head_timestamp: float) -> float:
        """Return when a child of the head may be built: its timestamp may lead by the drift at most."""
        return head_timestamp + 1 - self.max_timestamp_drift

    def _build(self, height: int, round_number: int) -> ChainBlock | None:
        head = self.chain.head()
        if int(head.block_number) + 1 != height:
            return None
        validators, tally = self.chain.vote_tally_after(int(head.block_number))
        vote = None
        if self.votes is not None:
            ours = {
                c: ballots[self.coinbase] for c, ballots in tally.votes.items() if self.coinbase in ballots
            }
            vote = self.votes.next_vote(validators, ours)
        extra = BftExtraData(
            vanity=b"\x00" * VANITY_LENGTH,
            validators=apply_vote(validators, tally, self.coinbase, vote)[0],
            vote=vote,
            round=round_number,
            seals=(),
        ).encode()
        block, _invalid = self.chain.build_candidate(
            self.pool.executable(self.chain.block_gas_limit)[: self.max_block_transactions],
            timestamp=max(int(self.clock()), int(head.timestamp) + 1),
            coinbase=self.coinbase,
            extra_data=extra,
        )
        return ChainBlock(block)

    async def build_block(self, height: int, round_number: int) -> ChainBlock | None:
        # Block timestamps are whole seconds, strictly increasing: several blocks a second run ahead of
        # real time, which is allowed up to the drift, then the proposer waits so the chain's time
        # never drifts far from the validators' clocks. Round 0 starts only when that wait is over
        # (round_zero_base), so the wait does not eat into the round.
        ahead = self.earliest_build(float(self.chain.head().timestamp)) - self.clock()
        if ahead > 0:
            await asyncio.sleep(min(ahead, float(self.max_timestamp_drift)))
        # Execution is CPU work under the chain's lock: keep the event loop (transport) responsive.
        return await asyncio.to_thread(self._build, height, round_number)

    def _commit(self, decision: CommitBlock) -> HeightInfo:
        block = sealed_block(decision)
        try:
            self.chain.commit_block(block)
        except InvalidBlock:
            # Sync may have imported the same height (with another quorum of seals) a moment earlier.
            stored = self.chain.header_by_number(int(block.number))
            if stored is None or stored.hash != block.hash:
                raise
            _log.info("block %d was already imported by sync", block.number)
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
        empty_block_period: float | None = None,
        is_syncing: Callable[[], bool] | None = None,
        votes: PendingVotes | None = None,
        max_block_transactions: int = DEFAULT_MAX_BLOCK_TRANSACTIONS,
    ) -> None:
        """``empty_block_period``: None = propose at once whatever the pool holds (the old behaviour);
        0 = start a height only when transactions wait; > 0 = also every that many seconds without any.
        ``is_syncing``: while it answers True the validator stays out of consensus (it is behind, or
        restarted with an empty data directory and must not vote before it knows the chain)."""
        self.chain = chain
        self.pool = pool
        self.clock = clock
        self.empty_block_period = empty_block_period
        self.is_syncing = is_syncing
        self.port = ChainBlockPort(chain, clock=clock)
        self.host = ChainConsensusHost(
            chain,
            pool,
            store,
            signer.address,
            peers=peers,
            clock=clock,
            votes=votes,
            max_block_transactions=max_block_transactions,
        )
        machine = QbftMachine(
            config or QbftConfig(), signer, self.port, restored=self.host.load_snapshot(self.port)
        )
        self.runner = QbftRunner(
            machine, transport, self.host, clock=clock, gate=self.height_gate, may_join=self._may_join
        )
        self._loop: asyncio.AbstractEventLoop | None = None

    def height_gate(self, info: HeightInfo, now: float) -> float | None:
        """Start ``info.height`` now (None) or ask again at the returned time (see ``HeightGate``)."""
        if self.is_syncing is not None and self.is_syncing():
            return now + SYNC_RECHECK_SECONDS
        if self.empty_block_period is None or len(self.pool) > 0:
            return None
        if self.empty_block_period > 0:
            due = info.parent_timestamp + self.empty_block_period
            return None if now >= due else due
        return math.inf

    def _may_join(self) -> bool:
        return self.is_syncing is None or not self.is_syncing()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.runner.run()

    def notify_pending(self) -> None:
        """A transaction entered the pool (from any thread): an idle validator starts the next height."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.runner.wake)

    def validators(self, block_number: int) -> tuple[Address, ...]:
        return self.chain.validators_after(block_number)

    def block_imported(self) -> None:
        """Sync imported a new head: let consensus move to the height after it (event loop thread)."""
        self.runner.block_imported(self.host.next_height())
        self.runner.wake()
