"""The TCP transport: listens, dials static peers, authenticates, and routes frames to upper layers.

Connection life cycle: TCP connect -> handshake (:mod:`node.p2p.handshake`, bounded by
``handshake_timeout``) -> admission (remote id allow-listed, not banned, not ourselves, and for a dial the
id we expected) -> dedupe -> the responder sends a first encrypted PING, which the initiator waits for
before it counts the peer as connected (so a refused initiator never shows a phantom peer).

Dedupe: when two nodes dial each other at once, both keep the connection *initiated by the node with
the lower id*; when the initiator is the same (a peer that restarted and redialled) the newer one wins.
Both sides apply the same rule, so they converge on one connection without further messages. An existing
connection silent for two ping intervals is treated as dead and replaced whatever its initiator, so a peer
that restarted is not locked out until the idle timeout fires.

Misbehaviour (bad frames, failed decryption, replays, oversized frames, and what upper layers report)
disconnects at once and adds to a decaying score; reaching the threshold bans the peer for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from node.abc import InboundMessage, MessageKind, PeerDirection, PeerInfo, RequestHandler, TransportAPI
from node.p2p.allowlist import AllowListChange, PeerAllowList
from node.p2p.backoff import Backoff
from node.p2p.config import StaticPeer, TransportConfig
from node.p2p.connection import PING, PONG, PeerConnection
from node.p2p.envelope import Envelope, Role
from node.p2p.events import LogThrottle, log_event
from node.p2p.exceptions import (
    FrameError,
    HandshakeError,
    MessageTooLarge,
    NetworkMismatch,
    P2PError,
    PeerBackpressure,
    PeerNotConnected,
    PeerRefused,
    RequestFailed,
    RequestTimeout,
)
from node.p2p.framing import FRAME_HEADER, FrameOpener, FrameSealer
from node.p2p.handshake import (
    FIRST_MESSAGE_SIZE,
    SECOND_MESSAGE_SIZE,
    THIRD_MESSAGE_SIZE,
    InitiatorHandshake,
    NetworkId,
    ResponderHandshake,
    SessionKeys,
)
from node.p2p.identity import NodeIdentity
from node.p2p.inbox import SubscriptionSet
from node.p2p.scoring import PeerScoreBook

_HANDSHAKE_FAILURES = (HandshakeError, TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError)
_MAX_ERROR_REASON = 200
REFUSAL_LOG_INTERVAL = 30.0
"""Seconds between repeated refusal lines for the same (host, offered id, reason)."""


def _address(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return "unknown"


class TcpTransport(TransportAPI):
    """Authenticated, encrypted, allow-listed node-to-node messaging over TCP."""

    def __init__(
        self,
        identity: NodeIdentity,
        network: NetworkId,
        allowlist: PeerAllowList,
        config: TransportConfig | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._identity = identity
        self._network = network
        self._allowlist = allowlist
        self._config = config or TransportConfig()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._clock = clock
        self._wall_clock = wall_clock
        self._scores = PeerScoreBook(
            threshold=self._config.ban_threshold,
            half_life=self._config.score_half_life,
            ban_seconds=self._config.ban_seconds,
        )
        self._connections: dict[str, PeerConnection] = {}
        self._handshaking = 0
        self._subscriptions = SubscriptionSet(self._config.inbox_capacity)
        self._handlers: dict[MessageKind, RequestHandler] = {}
        self._pending: dict[int, tuple[str, asyncio.Future[bytes]]] = {}
        self._request_ids = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._running = False
        self._dialled: set[str] = set()
        self._refusal_throttle = LogThrottle(REFUSAL_LOG_INTERVAL)

    # ------------------------------------------------------------------ lifecycle

    @property
    def node_id(self) -> str:
        return self._identity.node_id

    @property
    def listen_address(self) -> tuple[str, int]:
        """Return the bound ``(host, port)``; useful with ``listen_port=0``."""
        if self._server is None or not self._server.sockets:
            raise P2PError("transport is not listening")
        name = self._server.sockets[0].getsockname()
        return str(name[0]), int(name[1])

    async def start(self) -> None:
        if self._running:
            return
        host, port = self._config.listen_host, self._config.listen_port
        try:
            self._server = await asyncio.start_server(self._accept, host, port)
        except OSError as exc:
            raise P2PError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        self._running = True
        self._unsubscribe = self._allowlist.subscribe(self._allowlist_changed)
        for peer in self._config.static_peers:
            self.add_static_peer(peer)
        host, port = self.listen_address
        log_event(logging.INFO, "p2p.listening", node_id=self.node_id, address=f"{host}:{port}")

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self._dialled.clear()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        connections = list(self._connections.values())
        for connection in connections:
            connection.close("transport stopped")
        for connection in connections:
            await connection.drain_tasks()
        if self._server is not None:
            await self._server.wait_closed()
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(PeerNotConnected("transport stopped"))
        self._subscriptions.close_all()

    def add_static_peer(self, peer: StaticPeer) -> None:
        """Keep ``peer`` connected from now on (dial with backoff); ``admin_addPeer`` calls this."""
        if not self._running:
            raise P2PError("start the transport before adding peers")
        if peer.node_id in self._dialled:
            return
        self._dialled.add(peer.node_id)
        self._spawn(self._dial_loop(peer), f"p2p-dial-{peer.node_id[:8]}")

    def _spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ upper-layer API

    def _check_size(self, kind: MessageKind, payload: bytes) -> None:
        limit = self._config.kind_limits[kind]
        if len(payload) > limit:
            raise MessageTooLarge(f"{kind.name} payload of {len(payload)} bytes over the limit of {limit}")

    def _enqueue(self, connection: PeerConnection, envelope: Envelope) -> bool:
        if connection.enqueue(envelope):
            return True
        if not connection.closed:
            log_event(
                logging.WARNING, "p2p.peer_backpressure", peer=connection.node_id, address=connection.address
            )
            connection.close("send queue full")
        return False

    def broadcast(self, kind: MessageKind, payload: bytes) -> int:
        self._check_size(kind, payload)
        envelope = Envelope(kind, Role.MESSAGE, 0, payload)
        return sum(self._enqueue(connection, envelope) for connection in list(self._connections.values()))

    def send(self, peer_id: str, kind: MessageKind, payload: bytes) -> None:
        self._check_size(kind, payload)
        connection = self._live(peer_id)
        if not self._enqueue(connection, Envelope(kind, Role.MESSAGE, 0, payload)):
            raise PeerBackpressure(f"peer {peer_id} does not read; disconnected")

    def inbox(self, kinds: frozenset[MessageKind] | None = None) -> AsyncIterator[InboundMessage]:
        return self._subscriptions.subscribe(kinds)

    def set_request_handler(self, kind: MessageKind, handler: RequestHandler) -> None:
        self._handlers[kind] = handler

    async def request(self, peer_id: str, kind: MessageKind, payload: bytes, timeout: float) -> bytes:
        self._check_size(kind, payload)
        connection = self._live(peer_id)
        request_id = next(self._request_ids)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (connection.node_id, future)
        try:
            if not self._enqueue(connection, Envelope(kind, Role.REQUEST, request_id, payload)):
                raise PeerBackpressure(f"peer {peer_id} does not read; disconnected")
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError as exc:
            raise RequestTimeout(f"no {kind.name} response from {peer_id} within {timeout} s") from exc
        finally:
            self._pending.pop(request_id, None)

    def peers(self) -> list[PeerInfo]:
        return [self._connections[node_id].info() for node_id in sorted(self._connections)]

    def peer_count(self) -> int:
        return len(self._connections)

    def report_misbehaviour(self, peer_id: str, reason: str) -> None:
        self._penalise(peer_id.lower(), self._config.reported_violation_penalty, reason)

    def score_book(self) -> PeerScoreBook:
        """Return the scores (read-only use: ``admin`` views and tests)."""
        return self._scores

    def _live(self, peer_id: str) -> PeerConnection:
        connection = self._connections.get(peer_id.lower())
        if connection is None or connection.closed:
            raise PeerNotConnected(f"no connection to peer {peer_id}")
        return connection

    def _penalise(self, node_id: str, points: float, reason: str) -> None:
        banned = self._scores.penalise(node_id, points, self._clock())
        connection = self._connections.get(node_id)
        address = connection.address if connection is not None else "-"
        log_event(
            logging.WARNING,
            "p2p.peer_misbehaved",
            peer=node_id,
            address=address,
            reason=reason,
            banned=banned,
        )
        if connection is not None:
            connection.close(f"misbehaviour: {reason}")

    # ------------------------------------------------------------------ connection owner callbacks

    async def envelope_received(self, connection: PeerConnection, envelope: Envelope) -> None:
        if envelope.role is Role.MESSAGE:
            if envelope.kind is MessageKind.PING:
                self._enqueue(connection, PONG)
            elif envelope.kind is not MessageKind.PONG:
                message = InboundMessage(connection.node_id, envelope.kind, envelope.payload)
                for subscription in self._subscriptions.matching(envelope.kind):
                    await subscription.put(message)
        elif envelope.role is Role.REQUEST:
            self._answer(connection, envelope)
        else:
            self._resolve(connection, envelope)

    def frame_violation(self, connection: PeerConnection, error: FrameError) -> None:
        self._penalise(connection.node_id, self._config.frame_violation_penalty, error.code)

    def connection_closed(self, connection: PeerConnection, reason: str) -> None:
        if self._connections.get(connection.node_id) is connection:
            del self._connections[connection.node_id]
            for node_id, future in self._pending.values():
                if node_id == connection.node_id and not future.done():
                    future.set_exception(PeerNotConnected(f"peer {node_id} disconnected"))
        log_event(
            logging.INFO,
            "p2p.peer_disconnected",
            peer=connection.node_id,
            address=connection.address,
            direction=connection.direction,
            reason=reason,
        )

    def _answer(self, connection: PeerConnection, envelope: Envelope) -> None:
        handler = self._handlers.get(envelope.kind)
        if handler is None:
            self._enqueue(connection, Envelope(envelope.kind, Role.ERROR, envelope.request_id, b"no handler"))
            return
        if connection.inflight_requests >= self._config.max_inflight_requests:
            self._enqueue(connection, Envelope(envelope.kind, Role.ERROR, envelope.request_id, b"busy"))
            return
        connection.inflight_requests += 1
        self._spawn(self._run_handler(connection, envelope, handler), f"p2p-request-{envelope.request_id}")

    async def _run_handler(
        self, connection: PeerConnection, envelope: Envelope, handler: RequestHandler
    ) -> None:
        try:
            response = await handler(connection.node_id, envelope.payload)
            self._check_size(envelope.kind, response)
        except Exception as exc:  # a handler bug must not kill the connection; the requester gets an error
            log_event(
                logging.ERROR, "p2p.request_handler_failed", peer=connection.node_id, kind=envelope.kind.name
            )
            logging.getLogger("node.p2p").debug("handler failure", exc_info=exc)
            reply = Envelope(envelope.kind, Role.ERROR, envelope.request_id, b"handler failed")
        else:
            reply = Envelope(envelope.kind, Role.RESPONSE, envelope.request_id, response)
        finally:
            connection.inflight_requests -= 1
        self._enqueue(connection, reply)

    def _resolve(self, connection: PeerConnection, envelope: Envelope) -> None:
        entry = self._pending.get(envelope.request_id)
        if entry is None or entry[0] != connection.node_id or entry[1].done():
            return  # late answer to a request that timed out: harmless
        if envelope.role is Role.RESPONSE:
            entry[1].set_result(envelope.payload)
        else:
            reason = envelope.payload[:_MAX_ERROR_REASON].decode("utf-8", "replace")
            entry[1].set_exception(RequestFailed(f"peer {connection.node_id} refused the request: {reason}"))

    # ------------------------------------------------------------------ admission and dedupe

    def _admit(self, remote_id: str, expected: str | None) -> None:
        """Raise ``PeerRefused`` unless ``remote_id`` may hold a connection with us."""
        if remote_id == self.node_id:
            raise PeerRefused("connection to self")
        if expected is not None and remote_id != expected:
            raise PeerRefused(f"expected node {expected}")
        if remote_id not in self._allowlist:
            raise PeerRefused("not on the allow-list")
        if self._scores.is_banned(remote_id, self._clock()):
            raise PeerRefused("banned for misbehaviour")

    def _initiator_of(self, connection: PeerConnection) -> str:
        return self.node_id if connection.direction == "outbound" else connection.node_id

    def _register(self, connection: PeerConnection) -> bool:
        """Keep ``connection`` unless an equally good one exists; return whether it was kept."""
        if not self._running:
            connection.close("transport stopped")
            return False
        existing = self._connections.get(connection.node_id)
        if existing is not None and not existing.closed:
            old, new = self._initiator_of(existing), self._initiator_of(connection)
            # A connection silent for two ping intervals is most likely dead (the peer restarted and is
            # dialling again before our idle timeout noticed): let the new one replace it.
            stale = self._clock() - existing.last_received > 2 * self._config.ping_interval
            if old != new and old < new and not stale:
                connection.close("duplicate connection")
                return False
            self._connections[connection.node_id] = connection
            for envelope in existing.take_queued():
                if envelope.kind not in (MessageKind.PING, MessageKind.PONG):
                    connection.enqueue(envelope)
            existing.close("superseded by another connection")
        self._connections[connection.node_id] = connection
        connection.start()
        log_event(
            logging.INFO,
            "p2p.peer_connected",
            peer=connection.node_id,
            address=connection.address,
            direction=connection.direction,
        )
        return True

    def _refuse(self, address: str, offered_id: str, direction: PeerDirection, reason: str) -> None:
        host = address.rpartition(":")[0]
        suppressed = self._refusal_throttle.admit((host, offered_id, reason), self._clock())
        if suppressed is None:
            return
        log_event(
            logging.WARNING,
            "p2p.peer_refused",
            remote=address,
            offered_id=offered_id,
            direction=direction,
            reason=reason,
            suppressed=suppressed,
        )

    def _connection(
        self,
        keys: SessionKeys,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        opener: FrameOpener,
        direction: PeerDirection,
    ) -> PeerConnection:
        return PeerConnection(
            node_id=keys.remote_id,
            reader=reader,
            writer=writer,
            sealer=FrameSealer(keys.send_key),
            opener=opener,
            direction=direction,
            address=_address(writer),
            connected_since=self._wall_clock(),
            config=self._config,
            clock=self._clock,
            owner=self,
        )

    # ------------------------------------------------------------------ inbound

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = _address(writer)
        if not self._running or len(self._connections) + self._handshaking >= self._config.max_connections:
            self._refuse(address, "-", "inbound", "connection limit reached")
            writer.close()
            return
        self._handshaking += 1
        try:
            handshake = ResponderHandshake(self._identity, self._network)
            try:
                async with asyncio.timeout(self._config.handshake_timeout):
                    remote_id = await self._respond(handshake, reader, writer)
                self._admit(remote_id, None)
            except NetworkMismatch as exc:
                self._refuse(address, "-", "inbound", f"network mismatch: {exc}")
                writer.close()
                return
            except PeerRefused as exc:
                self._refuse(address, handshake_remote(handshake), "inbound", str(exc))
                writer.close()
                return
            except _HANDSHAKE_FAILURES as exc:
                log_event(
                    logging.INFO, "p2p.handshake_failed", remote=address, direction="inbound", error=exc
                )
                writer.close()
                return
        finally:
            self._handshaking -= 1
        keys = handshake.keys()
        connection = self._connection(
            keys, reader, writer, FrameOpener(keys.receive_key, self._config.max_body), "inbound"
        )
        connection.enqueue(PING)  # the initiator waits for this frame before it counts us connected
        self._register(connection)

    async def _respond(
        self, handshake: ResponderHandshake, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> str:
        handshake.read_first(await reader.readexactly(FIRST_MESSAGE_SIZE))
        writer.write(handshake.second_message())
        await writer.drain()
        return handshake.read_third(await reader.readexactly(THIRD_MESSAGE_SIZE))

    # ------------------------------------------------------------------ outbound

    async def dial(self, peer: StaticPeer) -> PeerConnection:
        """Connect and authenticate to ``peer``; return the registered connection (raise on failure)."""
        async with asyncio.timeout(self._config.handshake_timeout):
            reader, writer = await asyncio.open_connection(peer.host, peer.port)
        address = _address(writer)
        try:
            async with asyncio.timeout(self._config.handshake_timeout):
                keys, opener = await self._initiate(peer, reader, writer, address)
        except BaseException:
            writer.close()
            raise
        connection = self._connection(keys, reader, writer, opener, "outbound")
        if not self._register(connection):
            raise PeerRefused("a preferred connection to this peer already exists")
        return connection

    async def _initiate(
        self, peer: StaticPeer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str
    ) -> tuple[SessionKeys, FrameOpener]:
        handshake = InitiatorHandshake(self._identity, self._network)
        writer.write(handshake.first_message())
        await writer.drain()
        remote_id = handshake.read_second(await reader.readexactly(SECOND_MESSAGE_SIZE))
        try:
            self._admit(remote_id, peer.node_id)
        except PeerRefused as exc:
            self._refuse(address, remote_id, "outbound", str(exc))
            raise
        writer.write(handshake.third_message())
        await writer.drain()
        keys = handshake.keys()
        opener = FrameOpener(keys.receive_key, self._config.max_body)
        try:
            header = await reader.readexactly(FRAME_HEADER.size)
            body = opener.open(header, await reader.readexactly(opener.read_header(header)))
        except asyncio.IncompleteReadError as exc:
            raise PeerRefused("the remote closed the connection after the handshake (refused)") from exc
        except FrameError as exc:
            raise HandshakeError(f"first frame invalid: {exc}") from exc
        if Envelope.decode(body) != PING:
            raise HandshakeError("first frame after the handshake was not a PING")
        return keys, opener

    async def _dial_loop(self, peer: StaticPeer) -> None:
        backoff = Backoff(
            base=self._config.dial_backoff_base, cap=self._config.dial_backoff_cap, rng=self._rng
        )
        if self.node_id > peer.node_id:
            # Give the lower id's dial a head start: simultaneous dials (and the dedupe they need) get rare.
            await asyncio.sleep(backoff.next_delay())
            backoff.reset()
        while self._running:
            existing = self._connections.get(peer.node_id)
            if existing is not None:
                await existing.wait_closed()
                lived = self._clock() - existing.started_at
                if lived < self._config.ping_interval:
                    await asyncio.sleep(backoff.next_delay())
                continue
            banned_until = self._scores.banned_until(peer.node_id, self._clock())
            if banned_until is not None:
                await asyncio.sleep(banned_until - self._clock())
                continue
            if peer.node_id not in self._allowlist:
                await asyncio.sleep(backoff.next_delay())
                continue
            try:
                await self.dial(peer)
            except (P2PError, *_HANDSHAKE_FAILURES) as exc:
                delay = backoff.next_delay()
                log_event(
                    logging.DEBUG, "p2p.dial_failed", peer=str(peer), error=exc, retry_in=round(delay, 3)
                )
                await asyncio.sleep(delay)
            else:
                backoff.reset()

    # ------------------------------------------------------------------ allow-list changes

    def _allowlist_changed(self, change: AllowListChange, node_id: str) -> None:
        if change is AllowListChange.REMOVED:
            connection = self._connections.get(node_id)
            if connection is not None:
                log_event(logging.INFO, "p2p.peer_removed", peer=node_id, address=connection.address)
                connection.close("removed from the allow-list")


def handshake_remote(handshake: ResponderHandshake) -> str:
    """Return the id a remote proved in a handshake that then was refused, for the log line."""
    with contextlib.suppress(HandshakeError):
        return handshake.keys().remote_id
    return "-"
