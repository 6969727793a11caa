"""The thin asyncio shell that runs a :class:`QbftMachine` on a real transport and a real chain.

Everything protocol-related stays in the pure machine; this module only moves bytes and time: it feeds
inbound consensus messages, timer expiries, built blocks and sync imports into the machine, one at a
time from a single task, and carries out the returned actions in order (persist, then send). The node
supplies a :class:`ConsensusHost` (build, commit, persist, who is who) and a ``TransportAPI``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

import rlp
from eth_typing import Address
from rlp.exceptions import DecodingError

from node.abc import InboundMessage, MessageKind, TransportAPI
from node.consensus.qbft.actions import (
    Action,
    Broadcast,
    CommitBlock,
    PersistState,
    Rejected,
    RejectReason,
    RequestBlock,
)
from node.consensus.qbft.height_state import HeightInfo
from node.consensus.qbft.ports import ConsensusBlock
from node.consensus.qbft.state_machine import QbftMachine
from node.exceptions import NodeError

_log = logging.getLogger(__name__)


CONNECTION_FAULTS = frozenset({RejectReason.MALFORMED, RejectReason.OVERSIZE, RejectReason.NOT_VALIDATOR})
"""Faults whose author cannot be trusted: the peer that delivered the bytes is blamed."""


class ConsensusHost(Protocol):
    """What the node provides to a running validator (besides the machine's own ports)."""

    def next_height(self) -> HeightInfo:
        """Return the :class:`HeightInfo` of the height after the current head."""
        ...

    async def build_block(self, height: int, round_number: int) -> ConsensusBlock | None:
        """Build a candidate for ``height`` on the head, or None if the head moved on meanwhile."""
        ...

    async def commit_block(self, decision: CommitBlock) -> HeightInfo:
        """Write the decided block with its round and seals atomically; return the next height's info."""
        ...

    def persist_snapshot(self, data: bytes) -> None:
        """Store the consensus snapshot durably before returning."""
        ...

    def peer_of(self, validator: Address) -> str | None:
        """Return the transport node id of ``validator``, if known (for misbehaviour reports)."""
        ...


@dataclass(frozen=True, slots=True)
class _Built:
    block: ConsensusBlock | None


@dataclass(frozen=True, slots=True)
class _Imported:
    info: HeightInfo


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


@dataclass(frozen=True, slots=True)
class _Wake:
    """Something the height gate looks at changed (a transaction arrived, sync finished)."""


_Event = InboundMessage | _Built | _Imported | _Failed | _Wake

HeightGate = Callable[[HeightInfo, float], float | None]
"""Decides when a height may start: ``None`` = now, else the time to ask again (``math.inf``: only when
woken). A node that only proposes when transactions wait keeps idle validators silent this way instead of
letting their round timers churn through empty round changes; a peer's consensus message always opens it."""


def always_open(info: HeightInfo, now: float) -> float | None:
    return None


def peek_height(data: bytes) -> int | None:
    """Return the height a wire message is about without checking signatures, or None if unreadable.

    Used only to decide whether a peer already works on the next height (a late vote for the height
    just decided must not wake an idle validator); the machine still decodes and verifies everything.
    """
    try:
        top = rlp.decode(data, strict=True)
        body = top[1]
        signed = body if isinstance(body[0][0], bytes) else body[0]
        height = signed[0][0]
    except (DecodingError, IndexError, TypeError):
        return None
    if not isinstance(height, bytes) or len(height) > 8:
        return None
    return int.from_bytes(height, "big")


class QbftRunner:
    """Runs one validator until cancelled; see the module docstring."""

    def __init__(
        self,
        machine: QbftMachine,
        transport: TransportAPI,
        host: ConsensusHost,
        *,
        clock: Callable[[], float] = time.time,
        gate: HeightGate = always_open,
        may_join: Callable[[], bool] = lambda: True,
    ) -> None:
        self.machine = machine
        self.transport = transport
        self.host = host
        self.clock = clock
        self.gate = gate
        self.may_join = may_join
        """Whether a peer's message may open the gate (False while this node is still syncing)."""
        self._waiting: HeightInfo | None = None
        """The next height, held back by the gate (the machine's timers are ignored meanwhile)."""
        self._events: asyncio.Queue[_Event] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self.rejected: dict[RejectReason, int] = {}

    def block_imported(self, info: HeightInfo) -> None:
        """Tell the runner that sync imported the head; ``info`` describes the next height."""
        self._events.put_nowait(_Imported(info))

    def wake(self) -> None:
        """Ask the gate again (call from the event loop's thread)."""
        self._events.put_nowait(_Wake())

    @property
    def waiting(self) -> bool:
        """Whether the next height is held back by the gate (the validator is idle)."""
        return self._waiting is not None

    async def _start(self, info: HeightInfo) -> None:
        self._waiting = None
        await self._execute(self.machine.start_height(info, self.clock()), None)

    def _hold(self, info: HeightInfo) -> None:
        current = self.machine.height
        if current is not None and info.height <= current and self._waiting is None:
            return
        if self._waiting is None or info.height > self._waiting.height:
            self._waiting = info

    async def run(self) -> None:
        inbox = self.transport.inbox(frozenset({MessageKind.CONSENSUS}))
        reader = asyncio.get_running_loop().create_task(self._read(inbox))
        try:
            first = self.host.next_height()
            restored = self.machine.snapshot()
            if restored.height == first.height and (restored.round > 0 or restored.prepare_vote is not None):
                await self._start(first)  # resume the persisted round at once: its votes are out already
            else:
                self._hold(first)
            while True:
                now = self.clock()
                if self._waiting is not None:
                    again = self.gate(self._waiting, now)
                    if again is None:
                        await self._start(self._waiting)
                        continue
                    deadline: float | None = None if again == float("inf") else again
                else:
                    deadline = self.machine.next_deadline()
                timeout = None if deadline is None else max(0.0, deadline - now)
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
                    async with asyncio.timeout(timeout):
                        event = await self._events.get()
                except TimeoutError:
                    if self._waiting is None:
                        await self._execute(self.machine.on_tick(self.clock()), None)
                    continue
                await self._handle(event)
        finally:
            reader.cancel()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _read(self, inbox: AsyncIterator[InboundMessage]) -> None:
        async for message in inbox:
            self._events.put_nowait(message)

    async def _handle(self, event: _Event) -> None:
        now = self.clock()
        if isinstance(event, InboundMessage):
            if (
                self._waiting is not None
                and self.may_join()
                and (peek_height(event.payload) or 0) >= self._waiting.height
            ):
                await self._start(self._waiting)  # a peer works on the next height: join it
                now = self.clock()
            await self._execute(self.machine.on_message(event.payload, now), event.sender)
        elif isinstance(event, _Wake):
            return
        elif isinstance(event, _Built):
            if event.block is not None:
                await self._execute(self.machine.on_block_built(event.block, now), None)
        elif isinstance(event, _Failed):
            raise event.error
        else:
            current = self.machine.height
            if current is None or event.info.height > current:
                self._hold(event.info)

    async def _build(self, request: RequestBlock) -> None:
        try:
            block = await self.host.build_block(request.height, request.round)
        except NodeError as exc:
            # No candidate this round (e.g. the head moved): the round timer takes care of liveness.
            _log.warning("building block %d round %d failed: %s", request.height, request.round, exc)
            block = None
        except Exception as exc:  # a bug in the host must stop the runner, not vanish in a task
            self._events.put_nowait(_Failed(exc))
            return
        self._events.put_nowait(_Built(block))

    async def _execute(self, actions: list[Action], peer: str | None) -> None:
        for action in actions:
            if isinstance(action, PersistState):
                self.host.persist_snapshot(action.snapshot.encode())
            elif isinstance(action, Broadcast):
                self.transport.broadcast(MessageKind.CONSENSUS, action.encode())
            elif isinstance(action, RequestBlock):
                task = asyncio.get_running_loop().create_task(self._build(action))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif isinstance(action, CommitBlock):
                _log.info("decided block %d in round %d", action.block.number, action.round)
                info = await self.host.commit_block(action)
                self._hold(info)
            elif isinstance(action, Rejected):
                self._report(action, peer)

    def _report(self, rejected: Rejected, peer: str | None) -> None:
        self.rejected[rejected.reason] = self.rejected.get(rejected.reason, 0) + 1
        if not rejected.fault:
            return
        if rejected.reason in CONNECTION_FAULTS or rejected.sender is None:
            blamed = peer
        else:
            # The transport does not relay: a signed message's author is the peer that sent it, so
            # without an address -> node id map the delivering peer is the one to blame.
            blamed = self.host.peer_of(rejected.sender) or peer
        _log.warning("qbft %s from %s: %s", rejected.reason, blamed, rejected.detail)
        if blamed is not None:
            self.transport.report_misbehaviour(blamed, f"qbft {rejected.reason}: {rejected.detail}")
