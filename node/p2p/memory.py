"""An in-memory transport with the same API, for deterministic consensus tests.

All transports created from one :class:`InMemoryNetwork` see each other while started. The network
controls what gets through: partitions (groups that cannot reach each other), per-link delays, per-link
drop rates drawn from a seeded RNG, and a hold switch that queues messages until released, so a test can
interleave deliveries exactly. With no delay, delivery is immediate and in send order, so a test that
drives the event loop the same way gets the same run every time. Links are directional: ``a -> b``
can be cut while ``b -> a`` still works (asymmetric faults).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from node.abc import InboundMessage, MessageKind, PeerInfo, RequestHandler, TransportAPI
from node.p2p.config import DEFAULT_KIND_LIMITS
from node.p2p.envelope import Envelope, Role
from node.p2p.exceptions import (
    MessageTooLarge,
    P2PError,
    PeerNotConnected,
    RequestFailed,
    RequestTimeout,
)
from node.p2p.inbox import SubscriptionSet

Link = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _Held:
    sender: str
    receiver: str
    envelope: Envelope


class InMemoryNetwork:
    """The medium shared by in-memory transports, with fault controls for tests."""

    def __init__(self, *, seed: int = 0, wall_clock: Callable[[], float] = time.time) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - reproducible fault injection, not a secret
        self._wall_clock = wall_clock
        self._transports: dict[str, InMemoryTransport] = {}
        self._groups: dict[str, int] = {}
        self._cut: set[Link] = set()
        self._delays: dict[Link, float] = {}
        self._drop_rates: dict[Link, float] = {}
        self._holding = False
        self._held: list[_Held] = []
        self.delivered = 0
        self.dropped = 0

    def transport(self, node_id: str, *, inbox_capacity: int = 4096) -> InMemoryTransport:
        """Create the transport of ``node_id`` on this network."""
        if node_id in self._transports:
            raise P2PError(f"node {node_id} already has a transport on this network")
        transport = InMemoryTransport(self, node_id, inbox_capacity)
        self._transports[node_id] = transport
        return transport

    # ---------------------------------------------------------------- fault controls

    def partition(self, *groups: Iterable[str]) -> None:
        """Split the nodes into ``groups``; nodes not named form one more group together."""
        self._groups = {node_id: index for index, group in enumerate(groups, start=1) for node_id in group}

    def isolate(self, node_id: str) -> None:
        """Cut ``node_id`` off from everyone (it still runs)."""
        self.partition([node_id])

    def cut(self, sender: str, receiver: str) -> None:
        """Drop everything ``sender`` sends to ``receiver`` (one direction only)."""
        self._cut.add((sender, receiver))

    def heal(self) -> None:
        """Remove partitions and cut links (delays and drop rates stay)."""
        self._groups = {}
        self._cut.clear()

    def set_delay(self, sender: str, receiver: str, seconds: float) -> None:
        """Deliver ``sender -> receiver`` messages ``seconds`` late (0 removes the delay)."""
        if seconds < 0:
            raise P2PError("delay must not be negative")
        self._delays[(sender, receiver)] = seconds

    def set_drop_rate(self, sender: str, receiver: str, rate: float) -> None:
        """Drop each ``sender -> receiver`` message with probability ``rate`` (seeded, reproducible)."""
        if not 0.0 <= rate <= 1.0:
            raise P2PError("drop rate must be within [0, 1]")
        self._drop_rates[(sender, receiver)] = rate

    def hold(self) -> None:
        """Queue every message instead of delivering it, until :meth:`release`."""
        self._holding = True

    def release(self, *, order: Callable[[list[_Held]], list[_Held]] | None = None) -> int:
        """Stop holding and deliver what was held (optionally re-ordered); return how many."""
        self._holding = False
        held = order(self._held) if order is not None else self._held
        self._held = []
        for item in held:
            self._route(item.sender, item.receiver, item.envelope)
        return len(held)

    def connected(self, a_id: str, b_id: str) -> bool:
        """Whether two nodes count as peers: both started and in the same partition group.

        A one-way :meth:`cut` or a drop rate does not disconnect: like a lossy link, messages vanish
        silently while both ends still list each other as peers.
        """
        if a_id == b_id:
            return False
        a, b = self._transports.get(a_id), self._transports.get(b_id)
        if a is None or b is None or not a.running or not b.running:
            return False
        return self._groups.get(a_id, 0) == self._groups.get(b_id, 0)

    def can_reach(self, sender: str, receiver: str) -> bool:
        """Whether a message ``sender -> receiver`` gets through now (ignoring random drops)."""
        return (sender, receiver) not in self._cut and self.connected(sender, receiver)

    # ---------------------------------------------------------------- delivery

    def _send(self, sender: str, receiver: str, envelope: Envelope) -> None:
        if self._holding:
            self._held.append(_Held(sender, receiver, envelope))
            return
        self._route(sender, receiver, envelope)

    def _route(self, sender: str, receiver: str, envelope: Envelope) -> None:
        link = (sender, receiver)
        rate = self._drop_rates.get(link, 0.0)
        if not self.can_reach(sender, receiver) or (rate and self._rng.random() < rate):
            self.dropped += 1
            return
        delay = self._delays.get(link, 0.0)
        if delay:
            asyncio.get_running_loop().call_later(delay, self._arrive, sender, receiver, envelope)
        else:
            self._arrive(sender, receiver, envelope)

    def _arrive(self, sender: str, receiver: str, envelope: Envelope) -> None:
        transport = self._transports.get(receiver)
        if transport is None or not self.can_reach(sender, receiver):
            self.dropped += 1  # the partition started while the message was in flight
            return
        self.delivered += 1
        transport._receive(sender, envelope)

    def _peers_of(self, node_id: str) -> list[InMemoryTransport]:
        return [
            other for other_id, other in sorted(self._transports.items()) if self.connected(node_id, other_id)
        ]


class InMemoryTransport(TransportAPI):
    """A node's end of an :class:`InMemoryNetwork`; behaves like the TCP transport minus sockets."""

    def __init__(self, network: InMemoryNetwork, node_id: str, inbox_capacity: int) -> None:
        self._network = network
        self._node_id = node_id
        self._subscriptions = SubscriptionSet(inbox_capacity)
        self._handlers: dict[MessageKind, RequestHandler] = {}
        self._pending: dict[int, tuple[str, asyncio.Future[bytes]]] = {}
        self._request_ids = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.running = False
        self.started_at = 0.0
        self.misbehaviour: list[tuple[str, str]] = []
        """``(peer, reason)`` reports from upper layers, for tests to assert on."""
        self.inbox_overflows = 0

    @property
    def node_id(self) -> str:
        return self._node_id

    async def start(self) -> None:
        self.running = True
        self.started_at = self._network._wall_clock()

    async def stop(self) -> None:
        self.running = False
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(PeerNotConnected("transport stopped"))
        self._subscriptions.close_all()

    def _check(self, kind: MessageKind, payload: bytes) -> None:
        if not self.running:
            raise P2PError("transport is not started")
        if len(payload) > DEFAULT_KIND_LIMITS[kind]:
            raise MessageTooLarge(f"{kind.name} payload over the limit of {DEFAULT_KIND_LIMITS[kind]} bytes")

    def broadcast(self, kind: MessageKind, payload: bytes) -> int:
        self._check(kind, payload)
        peers = self._network._peers_of(self._node_id)
        for peer in peers:
            self._network._send(self._node_id, peer.node_id, Envelope(kind, Role.MESSAGE, 0, payload))
        return len(peers)

    def send(self, peer_id: str, kind: MessageKind, payload: bytes) -> None:
        self._check(kind, payload)
        self._require_peer(peer_id)
        self._network._send(self._node_id, peer_id, Envelope(kind, Role.MESSAGE, 0, payload))

    def inbox(self, kinds: frozenset[MessageKind] | None = None) -> AsyncIterator[InboundMessage]:
        return self._subscriptions.subscribe(kinds)

    def set_request_handler(self, kind: MessageKind, handler: RequestHandler) -> None:
        self._handlers[kind] = handler

    async def request(self, peer_id: str, kind: MessageKind, payload: bytes, timeout: float) -> bytes:
        self._check(kind, payload)
        self._require_peer(peer_id)
        request_id = next(self._request_ids)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (peer_id, future)
        try:
            self._network._send(self._node_id, peer_id, Envelope(kind, Role.REQUEST, request_id, payload))
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError as exc:
            raise RequestTimeout(f"no {kind.name} response from {peer_id} within {timeout} s") from exc
        finally:
            self._pending.pop(request_id, None)

    def peers(self) -> list[PeerInfo]:
        return [
            PeerInfo(
                node_id=peer.node_id,
                address=f"memory:{peer.node_id}",
                direction="outbound" if self._node_id < peer.node_id else "inbound",
                connected_since=max(self.started_at, peer.started_at),
            )
            for peer in self._network._peers_of(self._node_id)
        ]

    def peer_count(self) -> int:
        return len(self._network._peers_of(self._node_id))

    def report_misbehaviour(self, peer_id: str, reason: str) -> None:
        self.misbehaviour.append((peer_id, reason))

    def _require_peer(self, peer_id: str) -> None:
        if not self._network.connected(self._node_id, peer_id):
            raise PeerNotConnected(f"no connection to peer {peer_id}")

    def _receive(self, sender: str, envelope: Envelope) -> None:
        if envelope.role is Role.MESSAGE:
            message = InboundMessage(sender, envelope.kind, envelope.payload)
            for subscription in self._subscriptions.matching(envelope.kind):
                if not subscription.offer(message):
                    self.inbox_overflows += 1
        elif envelope.role is Role.REQUEST:
            task = asyncio.get_running_loop().create_task(self._answer(sender, envelope))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            entry = self._pending.get(envelope.request_id)
            if entry is None or entry[0] != sender or entry[1].done():
                return
            if envelope.role is Role.RESPONSE:
                entry[1].set_result(envelope.payload)
            else:
                entry[1].set_exception(
                    RequestFailed(f"peer {sender} refused the request: {envelope.payload!r}")
                )

    async def _answer(self, sender: str, envelope: Envelope) -> None:
        handler = self._handlers.get(envelope.kind)
        if handler is None:
            reply = Envelope(envelope.kind, Role.ERROR, envelope.request_id, b"no handler")
        else:
            try:
                reply = Envelope(
                    envelope.kind, Role.RESPONSE, envelope.request_id, await handler(sender, envelope.payload)
                )
            except Exception:  # mirrors the TCP transport: the requester gets an error, not silence
                reply = Envelope(envelope.kind, Role.ERROR, envelope.request_id, b"handler failed")
        if self.running:
            self._network._send(self._node_id, sender, reply)
