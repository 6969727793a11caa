"""Block sync: fetch the blocks a node missed from a peer that has them, check them, import them.

Every node broadcasts its head (STATUS) every ``status_interval`` and after each new block. A node that
sees a connected peer ahead of it asks that peer for the next blocks by request/response
(``MessageKind.BLOCK_SYNC``) and imports them one by one through :meth:`ChainService.commit_block`,
which re-executes each block and checks its commit seals against the validator set after its parent,
so a lying peer can delay a node but never make it accept a block a quorum did not seal. A peer whose
block fails those checks is reported to the transport (disconnect, score).

Until it has heard at least one peer and is level with the best of them, the node counts as syncing:
a validator stays out of consensus meanwhile (a validator restarted with an empty data directory must
not vote before it knows the chain), and ``eth_syncing`` shows the progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import rlp
from rlp.exceptions import DecodingError, DeserializationError

from node.abc import InboundMessage, MessageKind, TransportAPI
from node.bft.header import BftBlock
from node.chain_service import ChainService
from node.exceptions import InvalidBlock, NodeError
from node.p2p.exceptions import P2PError
from node.sync import wire
from node.sync.exceptions import MalformedSyncMessage

_log = logging.getLogger("node.sync")


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What ``eth_syncing`` reports while the node is behind."""

    starting_block: int
    current_block: int
    highest_block: int


@dataclass(slots=True)
class _PeerHead:
    number: int
    seen_at: float


class BlockSync:
    """Serves blocks to peers and catches this node up from them; see the module docstring."""

    def __init__(
        self,
        chain: ChainService,
        transport: TransportAPI,
        *,
        on_imported: Callable[[], None] = lambda: None,
        status_interval: float = 0.5,
        request_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chain = chain
        self.transport = transport
        self.on_imported = on_imported
        self.status_interval = status_interval
        self.request_timeout = request_timeout
        self.clock = clock
        self._heads: dict[str, _PeerHead] = {}
        self._heard = False
        self._wake = asyncio.Event()
        self._starting: int | None = None
        self.imported = 0
        transport.set_request_handler(MessageKind.BLOCK_SYNC, self._serve)

    # -- views ------------------------------------------------------------------------------------
    def _live_heads(self) -> dict[str, int]:
        connected = {p.node_id for p in self.transport.peers()}
        stale = self.clock() - 4 * self.status_interval
        return {
            peer: head.number
            for peer, head in self._heads.items()
            if peer in connected and head.seen_at >= stale
        }

    def highest_known(self) -> int:
        return max(self._live_heads().values(), default=0)

    def is_syncing(self) -> bool:
        """True until a peer was heard from, and while a connected peer is ahead of this node."""
        return not self._heard or self.highest_known() > int(self.chain.head().block_number)

    def progress(self) -> SyncStatus | None:
        head = int(self.chain.head().block_number)
        highest = self.highest_known()
        if highest <= head:
            return None
        return SyncStatus(self._starting if self._starting is not None else head, head, highest)

    # -- serving ----------------------------------------------------------------------------------
    async def _serve(self, peer_id: str, payload: bytes) -> bytes:
        first, count = wire.decode_request(payload)
        return await asyncio.to_thread(self._blocks_from, first, count)

    def _blocks_from(self, first: int, count: int) -> bytes:
        blocks: list[bytes] = []
        size = 0
        for number in range(first, first + count):
            block = self.chain.block_by_number(number)
            if block is None:
                break
            encoded = bytes(rlp.encode(block))
            if size + len(encoded) > wire.MAX_RESPONSE_BYTES:
                break
            blocks.append(encoded)
            size += len(encoded)
        return wire.encode_response(blocks)

    # -- status -----------------------------------------------------------------------------------
    def announce(self) -> None:
        """Broadcast this node's head (after a commit, and periodically)."""
        head = self.chain.head()
        self.transport.broadcast(
            MessageKind.STATUS, wire.HeadStatus(int(head.block_number), bytes(head.hash)).encode()
        )

    def on_status(self, peer_id: str, payload: bytes) -> None:
        try:
            status = wire.decode_status(payload)
        except MalformedSyncMessage as exc:
            self.transport.report_misbehaviour(peer_id, f"sync: {exc}")
            return
        self._heads[peer_id] = _PeerHead(status.number, self.clock())
        self._heard = True
        if status.number > int(self.chain.head().block_number):
            self._wake.set()

    # -- running ----------------------------------------------------------------------------------
    async def run(self) -> None:
        inbox = self.transport.inbox(frozenset({MessageKind.STATUS}))
        tasks = [
            asyncio.create_task(self._read_status(inbox), name="sync-status-in"),
            asyncio.create_task(self._announce_loop(), name="sync-status-out"),
        ]
        try:
            await self._sync_loop()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _read_status(self, inbox: AsyncIterator[InboundMessage]) -> None:
        async for message in inbox:
            self.on_status(message.sender, message.payload)

    async def _announce_loop(self) -> None:
        while True:
            self.announce()
            await asyncio.sleep(self.status_interval)

    async def _sync_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.status_interval):
                    await self._wake.wait()
            self._wake.clear()
            while await self._sync_step():
                pass

    def _target(self) -> tuple[str, int] | None:
        head = int(self.chain.head().block_number)
        ahead = [(number, peer) for peer, number in self._live_heads().items() if number > head]
        if not ahead:
            self._starting = None
            return None
        number, peer = max(ahead)
        return peer, number

    async def _sync_step(self) -> bool:
        """Fetch and import one batch; return whether there is (probably) more to do right away."""
        target = self._target()
        if target is None:
            return False
        peer, highest = target
        head = int(self.chain.head().block_number)
        if self._starting is None:
            self._starting = head
            _log.info("sync_started", extra={"head": head, "target": highest, "peer": peer[:16]})
        count = min(wire.MAX_BLOCKS_PER_REQUEST, highest - head)
        try:
            data = await self.transport.request(
                peer, MessageKind.BLOCK_SYNC, wire.encode_request(head + 1, count), self.request_timeout
            )
            encoded = wire.decode_response(data)
        except MalformedSyncMessage as exc:
            self.transport.report_misbehaviour(peer, f"sync: {exc}")
            return False
        except P2PError as exc:
            _log.warning("sync_request_failed", extra={"peer": peer[:16], "error": str(exc)})
            self._heads.pop(peer, None)
            return False
        if not encoded:
            self._heads.pop(peer, None)  # it announced more than it serves: ask someone else
            return False
        imported = 0
        for raw in encoded:
            try:
                block = rlp.decode(raw, sedes=BftBlock)
            except (DecodingError, DeserializationError, ValueError, TypeError):
                self.transport.report_misbehaviour(peer, "sync: undecodable block")
                return False
            current = int(self.chain.head().block_number)
            if block.number <= current:
                continue  # consensus committed it meanwhile
            try:
                await asyncio.to_thread(self.chain.commit_block, block)
            except InvalidBlock as exc:
                if int(self.chain.head().block_number) >= block.number:
                    continue  # raced with our own consensus commit of the same height
                _log.warning("sync_block_rejected", extra={"peer": peer[:16], "error": str(exc)})
                self.transport.report_misbehaviour(peer, f"sync: invalid block #{block.number}")
                self._heads.pop(peer, None)
                return False
            except NodeError as exc:
                _log.warning("sync_import_failed", extra={"error": str(exc)})
                return False
            imported += 1
        self.imported += imported
        if imported:
            self.on_imported()
            self.announce()
            _log.info(
                "sync_progress",
                extra={"head": int(self.chain.head().block_number), "target": highest, "imported": imported},
            )
        return imported > 0
