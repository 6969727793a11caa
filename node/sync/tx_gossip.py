"""Transaction gossip: a transaction any node accepts reaches every node's pool, so whichever validator
proposes next includes it.

The network is a full mesh of validators, so a node forwards only what its own clients submitted
(:class:`GossipingPool` wraps the pool the RPC layer writes to); a transaction received from a peer is
admitted through the same pool checks (signature, chain id, allow-list, limits) and never forwarded
again, which rules out gossip loops and amplification by a peer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from eth.abc import BlockAPI, SignedTransactionAPI
from eth_typing import Address, Hash32

from node.abc import InboundMessage, MessageKind, TransportAPI, TxPoolAPI
from node.exceptions import NodeError

_log = logging.getLogger("node.sync.tx_gossip")


class GossipingPool(TxPoolAPI):
    """The node's pool as its RPC layer sees it: every admitted transaction is also sent to all peers."""

    def __init__(self, pool: TxPoolAPI, transport: TransportAPI) -> None:
        self._pool = pool
        self._transport = transport
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Broadcasts are handed to ``loop`` (the RPC layer may call from worker threads)."""
        self._loop = loop

    def _forward(self, raw: bytes) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._transport.broadcast, MessageKind.TRANSACTIONS, raw)

    def add_raw(self, raw: bytes) -> Hash32:
        tx_hash = self._pool.add_raw(raw)
        self._forward(raw)
        return tx_hash

    def add(self, transaction: SignedTransactionAPI) -> Hash32:
        tx_hash = self._pool.add(transaction)
        self._forward(transaction.encode())
        return tx_hash

    def pending_nonce(self, address: Address) -> int:
        return self._pool.pending_nonce(address)

    def get(self, tx_hash: Hash32) -> SignedTransactionAPI | None:
        return self._pool.get(tx_hash)

    def executable(self, limit_gas: int) -> list[SignedTransactionAPI]:
        return self._pool.executable(limit_gas)

    def remove_included(self, block: BlockAPI) -> None:
        self._pool.remove_included(block)

    def __len__(self) -> int:
        return len(self._pool)


class TxGossip:
    """Admits transactions peers gossip into the local pool (never forwarding them further)."""

    def __init__(self, pool: TxPoolAPI, transport: TransportAPI) -> None:
        self.pool = pool
        self.transport = transport
        self.received = 0
        self.refused = 0

    def on_message(self, message: InboundMessage) -> None:
        try:
            self.pool.add_raw(message.payload)
            self.received += 1
        except NodeError as exc:
            # Already known (the usual case when several nodes got it), nonce gone, sender not allowed:
            # the pool's own rules decide; a peer may legitimately be a moment ahead or behind us.
            self.refused += 1
            _log.debug("gossiped transaction refused: %s", exc.code)

    async def run(self) -> None:
        inbox: AsyncIterator[InboundMessage] = self.transport.inbox(frozenset({MessageKind.TRANSACTIONS}))
        async for message in inbox:
            self.on_message(message)
