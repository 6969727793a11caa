"""The single-node block producer: a validator set of one that seals its own blocks.

When to build: as soon as transactions wait (``notify_pending`` wakes the loop, so a lone transaction
is committed within milliseconds), otherwise every ``empty_block_period`` seconds (0 = never build an
empty block), and never sooner than ``min_block_interval`` after the previous block.

Timestamps (seconds) strictly increase: a block gets ``max(now, parent + 1)``. Two blocks in the same
wall-clock second therefore get consecutive timestamps and, under a sustained rate above one block per
second, the chain's clock runs ahead of the wall clock. It may run ahead by at most
``max_timestamp_drift`` seconds; beyond that the producer waits, so bursts stay fast while the chain
time never drifts far from real time (QBFT followers check timestamps against their own clocks).

The block goes through exactly the import checks of a QBFT block (:mod:`node.bft.seal_consensus`): a
quorum of one seal from the one validator.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from eth.abc import BlockAPI
from eth_keys.datatypes import PrivateKey
from eth_typing import Address

from node.abc import BlockProducerAPI
from node.bft.extra_data import BftExtraData, sign_commit_seal, with_commit_seals
from node.chain_service import ChainService
from node.exceptions import ConfigError
from node.keys import key_address
from node.txpool.pool import TxPool

logger = logging.getLogger("node.producer")


DEFAULT_MAX_TIMESTAMP_DRIFT = 2
"""Seconds a lone node's chain time may run ahead of the wall clock. Kept small although a larger lead
would give a burst of sequential transactions a block each at once: acts take effect at their block's
time, and a reader asking for a status "now" by its own clock would not see an act whose block is
dated ahead of it (tried at 30 s: a suspension read back at once still showed the permit valid)."""


@dataclass(frozen=True, slots=True)
class ProducerTiming:
    empty_block_period: float = 0.0
    min_block_interval: float = 0.0
    max_timestamp_drift: int = DEFAULT_MAX_TIMESTAMP_DRIFT


class SingleNodeProducer(BlockProducerAPI):
    """Builds, seals and commits blocks alone; see the module docstring for when."""

    def __init__(
        self,
        chain: ChainService,
        pool: TxPool,
        key: PrivateKey,
        *,
        timing: ProducerTiming | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._chain = chain
        self._pool = pool
        self._key = key
        self._address = key_address(key)
        self.timing = timing or ProducerTiming()
        self._clock = clock
        validators = chain.validators_after(int(chain.head().block_number))
        if validators != (self._address,):
            raise ConfigError(
                "the single-node producer needs a validator set of exactly this node's key; genesis has "
                f"{len(validators)} validator(s)"
            )
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_block_at = 0.0
        self.blocks_produced = 0

    def validators(self, block_number: int) -> tuple[Address, ...]:
        return self._chain.validators_after(block_number)

    def notify_pending(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(wake.set)

    def produce_once(self, now: float, *, allow_empty: bool = False) -> BlockAPI | None:
        """Build, seal and commit one block at time ``now`` if there is work; return it (or None)."""
        gas_limit = self._chain.block_gas_limit
        transactions = self._pool.executable(gas_limit)
        if not transactions and not allow_empty:
            return None
        head = self._chain.head()
        timestamp = max(int(now), head.timestamp + 1)
        extra = BftExtraData(
            vanity=b"\x00" * 32,
            validators=self.validators(int(head.block_number)),
            vote=None,
            round=0,
            seals=(),
        ).encode()
        block, invalid = self._chain.build_candidate(
            transactions, timestamp=timestamp, coinbase=self._address, extra_data=extra
        )
        sealed = block.copy(
            header=with_commit_seals(block.header, (sign_commit_seal(self._key, block.header),))
        )
        self._chain.commit_block(sealed)
        self._pool.remove_included(sealed)
        if invalid:
            self._pool.drop(list(invalid))
            logger.info("dropped %d invalid pooled transactions", len(invalid))
        self._last_block_at = now
        self.blocks_produced += 1
        return sealed

    def seconds_to_wait(self, now: float) -> float:
        """Return how long to wait before building at ``now``: the minimum interval since the last
        block, and however far the chain's time is ahead of ``now`` beyond the allowed drift."""
        since_last = self._last_block_at + self.timing.min_block_interval - now
        ahead = self._chain.head().timestamp - now - self.timing.max_timestamp_drift
        return max(0.0, since_last, float(ahead))

    def _seconds_until_due(self, now: float) -> float | None:
        """Return how long to sleep before the next empty block is due (None = never)."""
        period = self.timing.empty_block_period
        if period <= 0:
            return None
        head_time = float(self._chain.head().timestamp)
        return max(0.0, max(head_time, self._last_block_at) + period - now)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        if len(self._pool):
            self._wake.set()
        while True:
            due = self._seconds_until_due(self._clock())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=due)
                empty_due = False
            except TimeoutError:
                empty_due = True
            self._wake.clear()
            now = self._clock()
            wait = self.seconds_to_wait(now)
            if wait > 0:
                await asyncio.sleep(wait)
                now = self._clock()
            block = await asyncio.to_thread(self.produce_once, now, allow_empty=empty_due)
            if block is not None and len(self._pool) and self._pool.executable(1 << 62):
                self._wake.set()  # more is waiting: build again without waiting for a new arrival
